"""`dvc repro` of the prepare stages in a scratch copy of the project: second run is a no-op."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_dvc_repro_prepare_twice_second_is_noop(tmp_path):
    dvc = Path(sys.executable).with_name("dvc")
    if not dvc.exists():
        pytest.skip("dvc is not installed in this environment")
    work = tmp_path / "project"
    work.mkdir()
    for name in ("pipeline", "unit_core"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    maps = params["prepare"]["datasets"]["aerial_maps"]
    maps["image_size"] = 16
    maps["pairs"]["splits"] = {"train": {"count": 4}, "test": {"count": 2}}
    # Only the cheap procedural dataset: the digits stage would only add time here.
    # The other sections stay: dvc.yaml's later stages template from them.
    params["prepare"] = {"datasets": {"aerial_maps": maps}}
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    def run(*args: str) -> str:
        proc = subprocess.run([str(dvc), *args], cwd=work, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    run("init", "--no-scm", "-q")
    first = run("repro", "prepare")
    assert "Running stage 'prepare@aerial_maps'" in first
    manifest = work / "data" / "shards" / "aerial_maps" / "manifest.json"
    before = manifest.stat().st_mtime_ns
    second = run("repro", "prepare")
    assert "Running stage" not in second and "didn't change" in second
    assert manifest.stat().st_mtime_ns == before
    assert "Running stage" not in run("status")  # nothing out of date
