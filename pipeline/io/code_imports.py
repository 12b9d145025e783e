"""Which of the project's own source files a module runs, found by walking its imports.

Why: three things must know the code behind a stage, and hand-kept lists of it drift — the
DVC `deps` of each stage (a test checks them against this walk) and the code fingerprint in a
training run's name (`pipeline.train.fingerprint`, derived from this walk). The walk reads the
source with `ast` (nothing is imported or run), follows every `import` of a project package
(`pipeline`, `unit_core`) transitively, including imports inside functions and under
`TYPE_CHECKING`, and adds each module's parent packages (importing `a.b.c` runs `a/__init__`).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root (holds pipeline/, unit_core/)
PROJECT_PACKAGES = ("pipeline", "unit_core")


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of module `name` (`a/b.py` or `a/b/__init__.py`), None if not ours."""
    if name.split(".")[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def direct_imports(name: str, root: Path = ROOT) -> set[str]:
    """Project modules that module `name`'s source imports (anywhere in the file)."""
    path = module_file(name, root)
    if path is None:
        return set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..a import b
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from pkg import name` imports the submodule pkg.name when there is one
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if module_file(m, root) is not None}


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@functools.cache
def project_imports(*entries: str, root: Path = ROOT) -> dict[str, Path]:
    """Module name -> source file of every project module that running `entries` imports."""
    seen: dict[str, Path] = {}
    todo = [parent for entry in entries for parent in _with_parents(entry)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            continue
        seen[name] = path
        for imported in direct_imports(name, root):
            todo.extend(_with_parents(imported))
    return dict(sorted(seen.items()))


def entry_modules(module: str, root: Path = ROOT) -> tuple[str, ...]:
    """What `python -m module` runs: the module, or a package and its `__main__`."""
    path = module_file(module, root)
    if path is not None and path.name == "__init__.py":
        return (module, f"{module}.__main__")
    return (module,)


def has_code(path: Path) -> bool:
    """False for a file that is only a docstring (or empty): it changes no behaviour."""
    body = ast.parse(path.read_text(), str(path)).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)
