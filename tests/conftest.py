"""Session-wide test settings: no telemetry, no cloud metadata lookups, deterministic torch."""

import os

import pytest
import torch

os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Ray Train's controller polls its workers every 2 s, so each `fit` (a stage, a Tune trial)
# waits up to 2 s per state change: ~5 s of a tiny fit's ~14 s here. A hanging poll is not an
# error (only one hanging 600 s is), so polling every 0.2 s tests the same behaviours sooner.
# Set before any Ray starts: local Ray processes and stage subprocesses inherit it (the
# killed-job stage of tests/pipeline/test_fault_injection.py keeps Ray's 2 s: see there).
os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", "0.2")


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    """Every test process computes on one intra-op thread (stage subprocesses and Ray workers
    set their own: unit_core/cpu_threads.py).

    Why: the tests' models are tiny, so a second thread gains nothing, and under `make test`'s
    two workers on 2 cores OpenMP threads spin-wait for a core the other worker holds: a
    1.7 s test took 14.8 s in the suite, and one module 101 s against 11 s.
    """
    torch.set_num_threads(1)


# Fixtures that live in their own modules (one role per file) are registered here.
pytest_plugins: list[str] = [
    "tests.fixtures.s3_server",
    "tests.fixtures.mlflow_server",
    "tests.fixtures.ray_local",
    "tests.fixtures.ray_head",
    "tests.fixtures.mlflow_state",
    "tests.fixtures.mounts",
]


def pytest_collection_modifyitems(items: list) -> None:
    """Files with end-to-end tests first, the rest after, each file's tests kept in order.

    Why: `make test` runs two workers, a file per worker at a time (pytest-xdist, loadfile).
    The e2e files take 15-160 s each and the others a few seconds, so starting with the long
    ones lets the short ones fill the gaps at the end instead of one long file running alone.
    """
    e2e_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("e2e")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in e2e_files)  # stable sort
