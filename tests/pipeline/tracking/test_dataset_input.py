"""log_training_data: concurrent trials logging one dataset all get it; a failing write warns."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from pipeline.tracking import retry
from pipeline.tracking.dataset_input import log_training_data
from pipeline.tracking.retry import retry_tracking_write
from tests.fixtures.processes import run_processes

PROCESSES = 8
WAIT_S = 60  # bounds the barrier and the joins: a hung child fails the test, never hangs it


def _log_same_dataset(uri: str, experiment_id: str, source: str, barrier, runs) -> None:
    """One Tune trial's driver: its own run, then the shared dataset, all released together."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        barrier.wait(WAIT_S)
        log_training_data("maps", source, "cd" * 32, {"train": {"a": 4, "b": 4}})
    runs.put(run.info.run_id)


def test_simultaneous_trials_each_get_the_dataset(tracking_uri: str, tmp_path: Path) -> None:
    # Without the retry some of these lose the store's check-then-insert race: sqlite3
    # IntegrityError "UNIQUE constraint failed: datasets.experiment_id, datasets.name, ...".
    client = MlflowClient(tracking_uri)
    experiment_id = client.create_experiment(f"race-{tmp_path.name}")
    # forkserver: children share one import of mlflow (spawn takes ~5 s each on a busy machine)
    # yet inherit no sqlite connections from this process (fork would).
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier, runs = ctx.Barrier(PROCESSES), ctx.Queue()
    args = (tracking_uri, experiment_id, str(tmp_path), barrier, runs)
    procs = [ctx.Process(target=_log_same_dataset, args=args) for _ in range(PROCESSES)]
    run_ids = run_processes(ctx, procs, runs, WAIT_S)

    for run_id in run_ids:
        (dataset_input,) = client.get_run(run_id).inputs.dataset_inputs
        assert (dataset_input.dataset.name, dataset_input.dataset.digest) == ("maps", "cd" * 8)


def test_retries_then_gives_up_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(retry.time, "sleep", sleeps.append)
    monkeypatch.setattr(retry.random, "uniform", lambda low, high: 1.0)  # no jitter
    calls = 0

    def always_fails() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("UNIQUE constraint failed: datasets.name")

    with caplog.at_level(logging.WARNING, logger="pipeline.tracking"):
        given = retry_tracking_write(always_fails, "dataset 'maps'", attempts=4, first_delay_s=0.05)
    assert given is None
    assert calls == 4
    assert sleeps == pytest.approx([0.05, 0.1, 0.2])  # short, doubling backoff
    (record,) = caplog.records
    assert "dataset 'maps'" in record.getMessage() and "UNIQUE" in record.getMessage()


def test_a_write_that_wins_on_a_retry_returns_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry.time, "sleep", lambda _: None)
    outcomes = iter([RuntimeError("database is locked"), "linked"])

    def flaky() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_tracking_write(flaky, "dataset") == "linked"
