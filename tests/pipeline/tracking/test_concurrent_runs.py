"""Eight training processes logging to one tracking store at once: nothing of any run is lost.

Each process is what rank 0 of a training does, without Ray: `TrainingRun.start` (the shared
experiment created or found concurrently), its dataset input, then metric points at every step,
then `end()`. All released together by a barrier, on both backends a team meets — sqlite (the
laptop default) and PostgreSQL (tests/fixtures/postgres_server.py, a real server on 127.0.0.1) —
each directly as a store URI and behind one local MLflow server (`infra/mlflow/start.sh`).
Bounded: a hung child fails the test after WAIT_S, and every child is killed in `finally`.
"""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.fixtures.local_mlflow import LocalMlflow
from tests.fixtures.postgres_server import Postgres, postgres  # noqa: F401 — fixture
from tests.fixtures.processes import run_processes

PROCESSES = 8
STEPS = 40
KEYS = ("loss_gen", "loss_dis", "lr")
WAIT_S = 120


def _train(uri: str, experiment: str, index: int, out: str, barrier, results) -> None:
    """One training's tracking: start, dataset, a point per key and step, end."""
    from pipeline.tracking import TrackingConfig, TrainingRun
    from pipeline.tracking.dataset_input import log_training_data

    cfg = TrackingConfig(tracking_uri=uri, experiment=experiment, outage_grace_s=60)
    barrier.wait(WAIT_S)  # every process creates/finds the experiment at the same moment
    run = TrainingRun.start(cfg, f"proc-{index}", params={"index": index}, tracking_uri=uri,
                            records_beside=Path(out) / f"proc-{index}")  # fmt: skip
    log_training_data("maps", out, "ef" * 32, {"train": {"a": 4, "b": 4}})
    for step in range(1, STEPS + 1):
        run.log_metrics({key: index + step / 1000 for key in KEYS}, step)
    missing = run.end("FINISHED")
    results.put((index, run.run_id, None if missing is None else str(missing)))


def _run_all(uri: str, tmp_path: Path) -> list[tuple[int, str, str | None]]:
    experiment = f"concurrent-{uuid.uuid4().hex[:8]}"
    # The store exists before the trainings start, as in the pipeline (the driver, or a sweep's
    # parent run, creates it): eight processes opening a brand-new sqlite file at once race
    # MLflow's schema migration (alembic "expected to match one row ... 0 found").
    MlflowClient(uri).search_experiments(max_results=1)
    # forkserver: children share one import of mlflow yet inherit no store connections.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipeline.tracking", "pipeline.tracking.dataset_input"])
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [
        ctx.Process(target=_train, args=(uri, experiment, i, str(tmp_path), barrier, results))
        for i in range(PROCESSES)
    ]
    got = run_processes(ctx, procs, results, WAIT_S)
    return sorted(got)


def _assert_everything_arrived(uri: str, got: list[tuple[int, str, str | None]]) -> None:
    client = MlflowClient(uri)
    assert [missing for _, _, missing in got] == [None] * PROCESSES
    for index, run_id, _ in got:
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and run.data.params["index"] == str(index)
        for key in KEYS:
            history = sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)
            assert [m.step for m in history] == list(range(1, STEPS + 1)), (index, key)
            assert [m.value for m in history] == [index + s / 1000 for s in range(1, STEPS + 1)]
        (dataset_input,) = run.inputs.dataset_inputs
        assert (dataset_input.dataset.name, dataset_input.dataset.digest) == ("maps", "ef" * 8)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_uri(request: pytest.FixtureRequest) -> str:
    """The store URI of each backend: the session's sqlite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("tracking_uri")
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()


def test_eight_processes_on_one_store(backend_uri: str, tmp_path: Path) -> None:
    _assert_everything_arrived(backend_uri, _run_all(backend_uri, tmp_path))


def test_eight_processes_on_one_mlflow_server(backend_uri: str, tmp_path: Path) -> None:
    # A fresh sqlite file per server (as infra/local/up.sh with UNIT_LOCAL_BACKEND=sqlite).
    store = None if backend_uri.startswith("sqlite") else backend_uri
    server = LocalMlflow(tmp_path, backend_uri=store)
    try:
        server.start()
        _assert_everything_arrived(server.uri, _run_all(server.uri, tmp_path))
    finally:
        server.stop()
