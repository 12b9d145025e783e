"""Every DVC stage depends on the code it runs and on the params values it reads.

Why: hand-kept `deps` drifted from the imports (issue 14: `evaluate` missed 55 modules, the
sweeps missed the shard reader), and `dvc repro` skips a stage whose unlisted code changed.
Each stage's command is resolved by DVC itself (foreach, vars, anchors, wdir), its Python
entry point's imports are walked transitively (`pipeline.io.code_imports`), and every project
module it runs must lie under one of its `deps` (a file or a folder). Its params reads are
recorded by running the stage's own config parsing over a recording params dict.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path

import pytest

from pipeline.io.code_imports import ROOT, entry_modules, has_code, project_imports
from tests.pipeline.params_reads import ReadRecorder, covered, read_paths

DVC_FILES = ("dvc.yaml", "experiments/dvc.yaml", "sweeps/dvc.yaml")


def _dvc_stages() -> list[dict]:
    """(name, cmd, wdir, file deps, params entries) of every stage of the three files."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    found = []
    with Repo(str(ROOT)) as repo:
        for dvc_file in DVC_FILES:
            for stage in repo.stage.collect(str(ROOT / dvc_file)):
                params = [
                    key for dep in stage.deps if isinstance(dep, ParamsDependency)
                    for key in (dep.params or [])
                ]  # fmt: skip
                files = [
                    Path(dep.fs_path) for dep in stage.deps if not isinstance(dep, ParamsDependency)
                ]
                found.append({
                    "id": f"{dvc_file}:{stage.addressing.split(':')[-1]}",
                    "cmd": stage.cmd, "wdir": Path(stage.wdir), "deps": files, "params": params,
                })  # fmt: skip
    return found


STAGES = _dvc_stages()


def stage_module(cmd: str) -> str:
    match = re.search(r"python -m ([\w.]+)", cmd)
    assert match, f"stage command is not `python -m pipeline.X`: {cmd}"
    return match.group(1)


def uncovered(modules: dict[str, Path], deps: list[Path]) -> list[str]:
    """Project source files (with code) that are neither a dep nor inside a dep folder."""
    deps = [d.resolve() for d in deps]
    return [
        path.relative_to(ROOT).as_posix()
        for path in modules.values()
        if has_code(path) and not any(path == d or d in path.parents for d in deps)
    ]


def test_all_three_dvc_files_are_read():
    files = {stage["id"].split(":")[0] for stage in STAGES}
    assert files == set(DVC_FILES)
    assert {"dvc.yaml:train_digits", "dvc.yaml:evaluate_digits", "sweeps/dvc.yaml:tune"} <= {
        stage["id"] for stage in STAGES
    }


@pytest.mark.parametrize("stage", STAGES, ids=[s["id"] for s in STAGES])
def test_stage_deps_cover_every_module_it_imports(stage):
    modules = project_imports(*entry_modules(stage_module(stage["cmd"])))
    assert len(modules) > 3
    missing = uncovered(modules, stage["deps"])
    assert not missing, f"{stage['id']}: add to deps (or a folder above them): {missing}"


def test_uncovered_reports_a_module_outside_the_deps():
    modules = project_imports("pipeline.train.loop")
    deps = [ROOT / "unit_core", ROOT / "pipeline"]
    assert uncovered(modules, deps) == []
    missing = uncovered(modules, [ROOT / "unit_core"])
    assert "pipeline/train/loop.py" in missing and "pipeline/data/shard_reader.py" in missing
    assert "pipeline/__init__.py" not in missing  # a docstring only: nothing to rerun for


def test_code_fingerprint_hashes_what_the_train_stage_depends_on():
    """The run-name fingerprint is derived from the same walk; the train stage covers it."""
    from pipeline.train.fingerprint import shaping_sources

    train = next(s for s in STAGES if s["id"] == "dvc.yaml:train_digits")
    hashed = {f"m{i}": path for i, path in enumerate(shaping_sources())}
    assert uncovered(hashed, train["deps"]) == []


# --- params -----------------------------------------------------------------------------------


def _stage_args(cmd: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--section", default="train")
    parser.add_argument("--dataset")
    parser.add_argument("--preset", action="append", default=[])
    parser.add_argument("--set", action="append", default=[])
    args, _ = parser.parse_known_args(shlex.split(cmd.split(" -m ", 1)[1])[1:])
    return args


def _read_by_stage(module: str, params: dict, args: argparse.Namespace) -> None:
    """Run the config parsing the stage's `main` does (everything before the work starts)."""
    if module == "pipeline.prepare":
        from pipeline.data.config import dataset_config

        dataset_config(params, args.dataset)
    elif module == "pipeline.train":
        from pipeline.train.run import PreparedRun

        PreparedRun(params, args.section)
    elif module == "pipeline.evaluate":
        from pipeline.evaluate.__main__ import EvaluateSettings

        EvaluateSettings.from_params(params, args.section)
    elif module == "pipeline.tune":
        from pipeline.tune.sweep import plan_sweep

        plan_sweep(params)
    else:
        raise AssertionError(f"no params reader for stage module {module}: add one here")


@pytest.fixture(scope="module")
def embedded_shards(tmp_path_factory) -> dict[str, Path]:
    """Every dataset of params.yaml prepared into a temp folder (a clean clone has no shards).

    The train stages read the manifest before any work starts; the real `data/shards` must not
    be needed (CI runs on a clean clone) nor written by a test.
    """
    import yaml

    from pipeline.data.write_dataset import prepare_dataset

    root = tmp_path_factory.mktemp("shards")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    outputs = {}
    for name in params["prepare"]["datasets"]:
        outputs[name] = root / name
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(ROOT)  # the sources are relative to the repository root
            prepare_dataset(params, name, str(outputs[name]), progress=False)
    return outputs


@pytest.mark.parametrize("stage", STAGES, ids=[s["id"] for s in STAGES])
def test_stage_params_cover_every_value_it_reads(stage, monkeypatch, tmp_path, embedded_shards):
    from pipeline.io.params_file import load_run_params

    monkeypatch.chdir(stage["wdir"])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    args = _stage_args(stage["cmd"])
    params = load_run_params(Path("params.yaml"), args.preset, args.set)
    for name, output in embedded_shards.items():
        params["prepare"]["datasets"][name]["output"] = str(output)
    log: set[str] = set()
    _read_by_stage(stage_module(stage["cmd"]), ReadRecorder(params, log), args)
    reads = read_paths(log)
    assert reads
    missing = sorted(p for p in reads if not covered(p, stage["params"]))
    assert not missing, f"{stage['id']}: add to params: {missing}"


def test_read_paths_keep_leaves_and_wholes():
    log: set[str] = set()
    params = ReadRecorder({"a": {"b": 1, "c": {"d": 2}}, "e": {"f": 3}, "g": 4}, log)
    assert params["a"]["b"] == 1
    dict(params["e"])  # a whole mapping, value by value
    params.get("a")["c"]  # noqa: B018  (a mapping read but not opened: counts as whole)
    assert read_paths(log) == {"a.b", "a.c", "e.f"}
    assert covered("a.c", ["a"]) and not covered("a", ["a.b"]) and not covered("ab", ["a"])


def test_byte_code_caches_never_change_a_code_folder_dep():
    """Stages depend on code *folders*; Python writes `__pycache__/` into them on first import
    (a test run, a stage run), which would change their hashes and make `dvc repro` rerun
    every stage after `make test`. `.dvcignore` must keep them out of the hash."""
    from dvc.repo import Repo

    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    with Repo(str(ROOT)) as repo:
        ignore = repo.dvcignore
        for folder in ("pipeline/prepare", "pipeline/train", "unit_core"):
            cache = f"{repo.root_dir}/{folder}/__pycache__/module.cpython-311.pyc"
            assert ignore.is_ignored(repo.fs, cache), cache
            assert not ignore.is_ignored(repo.fs, f"{repo.root_dir}/{folder}/__init__.py")
