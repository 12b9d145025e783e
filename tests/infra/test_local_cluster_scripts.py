"""infra/local/up.sh starts Ray + MLflow (on PostgreSQL) + S3 on 127.0.0.1; a job sees them;
down.sh stops them, PostgreSQL included.

Slow (~1-2 min on 2 busy cores: MLflow creates its schema, Ray starts a head), hence e2e.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.postgres_server import folder_postgres_can_reach, postgres_missing
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


def postmaster_and_children(state: Path) -> set[int]:
    """The live pids of up.sh's PostgreSQL: its postmaster (postmaster.pid) and its children."""
    pid_file = state / "postgres" / "data" / "postmaster.pid"
    if not pid_file.exists():
        return set()
    postmaster = int(pid_file.read_text().split()[0])
    pids = {postmaster}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # field 4 is the parent pid; the name in field 2 has no spaces for postgres
            if int(stat.read_text().split()[3]) == postmaster:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return {pid for pid in pids if alive(pid)}


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_mlflow_schema_in(backend: str) -> None:
    """The MLflow server created its tables in this PostgreSQL database (its Default experiment)."""
    import psycopg

    with psycopg.connect(backend, connect_timeout=10) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM experiments")]
    assert "Default" in names, names


def test_up_submit_down(tmp_path: Path) -> None:
    backend = "sqlite" if postgres_missing() else "postgresql"
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "MLFLOW_TRACKING", "RAY_ADDRESS"))
    } | {"UNIT_LOCAL_BACKEND": backend}
    with folder_postgres_can_reach("uls-") as state:
        _up_submit_down(state, clean_env, backend, tmp_path)


def _up_submit_down(state: Path, clean_env: dict[str, str], backend: str, tmp_path: Path) -> None:
    postgres_pids: set[int] = set()
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
        assert env["UNIT_LOCAL_MLFLOW_BACKEND"].startswith(backend), env
        if backend == "postgresql":
            assert env["UNIT_LOCAL_MLFLOW_BACKEND"].startswith("postgresql://mlflow@127.0.0.1:")
            assert_mlflow_schema_in(env["UNIT_LOCAL_MLFLOW_BACKEND"])
            postgres_pids = postmaster_and_children(state)
            assert len(postgres_pids) > 1, postgres_pids

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
    # PostgreSQL's children rewrite their environment (process titles): checked by pid instead,
    # and the shutdown was pg_ctl's clean one, not the signal fallback.
    assert {pid for pid in postgres_pids if alive(pid)} == set()
    if backend == "postgresql":
        assert "database system is shut down" in (state / "logs" / "postgres.log").read_text()
    assert not (state / "cluster_id").exists()
