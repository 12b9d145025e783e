"""`dvc repro` of the prepare stages in a scratch copy of the project: second run is a no-op."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.dvc_scratch import scratch_project

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_dvc_repro_prepare_twice_second_is_noop(tmp_path):
    dvc = Path(sys.executable).with_name("dvc")
    if not dvc.exists():
        pytest.skip("dvc is not installed in this environment")
    work = tmp_path / "project"
    work.mkdir()
    scratch_project(work)  # only the cheap procedural dataset
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
