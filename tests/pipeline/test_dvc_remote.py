"""A DVC remote in a real S3 bucket: repro → push → lose cache and outputs → pull → nothing to do.

Runs in a scratch copy of the project (as tests/pipeline/test_dvc_stage.py does) with only the
cheap procedural `prepare@aerial_maps` stage, so every DVC command names that stage (the
later stages were never run here). The remote's endpoint is set with
`dvc remote modify … endpointurl`; credentials come from the standard AWS env the S3 fixture set,
never from the DVC config (asserted: `.dvc/config` must not hold them).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.io import storage
from tests.fixtures.s3_server import CREDENTIALS, S3Server
from tests.pipeline.dvc_scratch import scratch_project

REPO = Path(__file__).resolve().parents[2]
STAGE = "prepare@aerial_maps"
OUTPUT = Path("data/shards/aerial_maps")

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_push_drop_cache_pull_then_repro_is_a_noop(s3_server: S3Server, s3_bucket: str, tmp_path):
    dvc = Path(sys.executable).with_name("dvc")
    if not dvc.exists():
        pytest.skip("dvc is not installed in this environment")
    work = tmp_path / "project"
    work.mkdir()
    scratch_project(work)
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    def run(*args: str) -> str:
        proc = subprocess.run([str(dvc), *args], cwd=work, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"dvc {' '.join(args)}:\n{proc.stdout}{proc.stderr}"
        return proc.stdout + proc.stderr

    remote = f"{s3_bucket}/dvcstore"
    run("init", "--no-scm", "-q")
    run("remote", "add", "-d", "s3remote", remote)
    run("remote", "modify", "s3remote", "endpointurl", s3_server.endpoint)
    config = (work / ".dvc" / "config").read_text()
    assert s3_server.endpoint in config
    assert not any(secret in config for secret in CREDENTIALS.values())

    assert f"Running stage '{STAGE}'" in run("repro", STAGE)
    produced = _digests(work / OUTPUT)
    assert "manifest.json" in produced
    run("push", STAGE)
    bucket, prefix = storage.split_s3(remote)
    listing = storage.s3_client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    pushed = [o["Key"] for o in listing.get("Contents", [])]
    assert len(pushed) >= len(produced), pushed  # one object per file, plus the .dir listing

    shutil.rmtree(work / ".dvc" / "cache")
    shutil.rmtree(work / OUTPUT)
    run("pull", STAGE)
    assert _digests(work / OUTPUT) == produced

    status = run("status", STAGE)
    assert "Data and pipelines are up to date" in status, status
    again = run("repro", STAGE)
    assert "Running stage" not in again and "didn't change" in again, again
    assert "Cache and remote 's3remote' are in sync" in run("status", "--cloud", STAGE)
