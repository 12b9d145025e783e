"""infra/local/up.sh starts Ray + MLflow + S3 on 127.0.0.1; a job sees them; down.sh stops them.

Slow (~1-2 min on 2 busy cores: MLflow creates its schema, Ray starts a head), hence e2e.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.infra.local_cluster import REPO, UP_SH, marked_pids, run_down

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def read_env_sh(path: Path) -> dict[str, str]:
    pairs = (
        line.removeprefix("export ").split("=", 1)
        for line in path.read_text().splitlines()
        if line.startswith("export ")
    )
    return dict(pairs)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:  # S3 answers 403 to an unsigned request: it is up
        return err.code


def test_up_submit_down(tmp_path: Path) -> None:
    # Short state path outside pytest's deep tmp tree is not needed: Ray's temp dir is /tmp/unit-ray.*
    state = Path(tempfile.mkdtemp(prefix="uls-", dir=tmp_path))
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "MLFLOW_TRACKING", "RAY_ADDRESS"))
    }
    try:
        up = subprocess.run(
            ["bash", str(UP_SH), str(state)],
            capture_output=True,
            text=True,
            timeout=400,
            env=clean_env,
            cwd=REPO,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        assert "ray job submit --working-dir . -- python -m pipeline.train" in up.stdout
        env = read_env_sh(state / "env.sh")
        cluster_id = (state / "cluster_id").read_text().strip()
        assert marked_pids(cluster_id)

        for url in (
            env["RAY_API_SERVER_ADDRESS"] + "/api/version",
            env["MLFLOW_TRACKING_URI"] + "/health",
            env["AWS_ENDPOINT_URL"],
        ):
            assert url.startswith("http://127.0.0.1:"), url
            assert http_status(url) in (200, 403), url

        # The path a user takes: a submitted job sees the tracking server and S3 endpoint.
        probe = (
            "import os; print('SEEN', os.environ['MLFLOW_TRACKING_URI'], "
            "os.environ['AWS_ENDPOINT_URL'])"
        )
        job = subprocess.run(
            [str(REPO / ".venv/bin/ray"), "job", "submit", "--", "python", "-c", probe],
            capture_output=True,
            text=True,
            timeout=180,
            env={**clean_env, **env},
            cwd=tmp_path,
        )
        assert job.returncode == 0, job.stdout + job.stderr
        assert f"SEEN {env['MLFLOW_TRACKING_URI']} {env['AWS_ENDPOINT_URL']}" in job.stdout
    finally:
        cluster_file = state / "cluster_id"
        cluster_id = cluster_file.read_text().strip() if cluster_file.exists() else None
        down = run_down(state)
    assert down.returncode == 0, down.stderr
    assert cluster_id and marked_pids(cluster_id) == []
    assert not (state / "cluster_id").exists()
