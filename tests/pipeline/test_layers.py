"""Who may import whom (docs/architecture.md), checked on the source: no cycles, no layer
importing one above it, no stage importing another stage's CLI (`__main__`), and inside
`unit_core` no method package (`unit`, `munit`, `da`) importing another or imported by the
shared root (but for the `model.family` registry)."""

from __future__ import annotations

import pytest

from pipeline.io.code_imports import ROOT, direct_imports

FLOORS = {  # layer -> the layers it may import
    "unit_core": set(),
    "io": {"unit_core"},
    "data": {"io", "unit_core"},
    "tracking": {"io", "unit_core"},
    "tasks": {"io", "data", "tracking", "unit_core"},
}
STAGES = {"prepare", "train", "evaluate", "tune", "translate"}  # may import floors and libraries
CORE_METHODS = {"unit", "munit", "da"}  # unit_core/<method>/; the rest of unit_core is shared
CORE_REGISTRY = "unit_core.model_family"  # the one shared module that names the methods


def all_modules() -> list[str]:
    names = []
    for package in ("pipeline", "unit_core"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = all_modules()
GRAPH = {name: direct_imports(name) for name in MODULES}


def layer(name: str) -> str:
    parts = name.split(".")
    return "unit_core" if parts[0] == "unit_core" else ".".join(parts[1:2]) or "pipeline"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for imported in sorted(GRAPH.get(name, ())):
            if state.get(imported) == 1:
                cycle = path[path.index(imported):] + [imported]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if imported not in state:
                visit(imported, [*path, imported])
        state[name] = 2

    for name in MODULES:
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("floor", sorted(FLOORS))
def test_a_floor_imports_only_the_floors_below_it(floor):
    wrong = sorted(
        f"{name} -> {imported}"
        for name, imports in GRAPH.items() if layer(name) == floor
        for imported in imports
        if layer(imported) != floor and layer(imported) not in FLOORS[floor]
    )  # fmt: skip
    assert not wrong


def test_stages_import_floors_and_libraries_never_a_cli():
    wrong = sorted(
        f"{name} -> {imported}"
        for name, imports in GRAPH.items() if layer(name) in STAGES
        for imported in imports
        if layer(imported) != layer(name)
        and (imported.endswith(".__main__") or layer(imported) not in STAGES | set(FLOORS))
    )  # fmt: skip
    assert not wrong
    assert "pipeline.train.run" in GRAPH["pipeline.tune.sweep"]  # tune uses train's library


def core_method(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "unit_core" and parts[1:2] and parts[1] in CORE_METHODS else None


def test_core_methods_import_only_the_shared_core():
    wrong = sorted(
        f"{name} -> {imported}"
        for name, imports in GRAPH.items() if layer(name) == "unit_core"
        for imported in imports
        if core_method(imported) is not None and core_method(imported) != core_method(name)
        and name != CORE_REGISTRY
    )  # fmt: skip
    assert not wrong
    assert {"unit_core.unit.trainer", "unit_core.munit.trainer"} <= GRAPH[CORE_REGISTRY]
