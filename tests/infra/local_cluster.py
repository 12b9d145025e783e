"""Helpers for tests that start Ray/MLflow/S3 processes: find and stop exactly ours.

Everything a test starts carries `UNIT_LOCAL_CLUSTER_ID=<id>` in its environment (Ray passes it
on to its raylets, agents and workers); `infra/local/down.sh` stops by that id — the one
implementation of "stop only what we started" that the scripts and the tests share.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.fixtures.processes import pids_with_env

REPO = Path(__file__).resolve().parents[2]
UP_SH = REPO / "infra" / "local" / "up.sh"
DOWN_SH = REPO / "infra" / "local" / "down.sh"
MARKER = "UNIT_LOCAL_CLUSTER_ID"


def new_cluster_id(state_dir: Path) -> str:
    """A fresh id written where down.sh looks for it."""
    cluster_id = f"unit-test-{uuid.uuid4().hex[:12]}"
    (state_dir / "cluster_id").write_text(cluster_id + "\n")
    return cluster_id


def marked_pids(cluster_id: str) -> list[int]:
    """Live processes whose environment holds this cluster id."""
    return pids_with_env(MARKER, cluster_id)


def run_down(state_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DOWN_SH), str(state_dir)], capture_output=True, text=True, timeout=timeout
    )
