"""A tracking server that dies mid-run: training goes on; every point arrives once, or is filed.

Real `infra/mlflow/start.sh` servers on 127.0.0.1 (tests/fixtures/local_mlflow.py), killed with
SIGKILL and started again on the same sqlite store and port; the "training" is a loop of
`TrainingRun.log_metrics` calls in this process, as rank 0 makes them.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import torch
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.tracking.missing_records import read_missing_records
from pipeline.tracking.relog import main as relog_main
from tests.fixtures.local_mlflow import LocalMlflow, local_mlflow  # noqa: F401 — fixture

ROWS = {"a": torch.zeros(2, 3, 8, 8, dtype=torch.uint8)}  # a tiny image grid


def _start(server: LocalMlflow, tmp_path: Path, grace_s: float) -> TrainingRun:
    cfg = TrackingConfig(tracking_uri=server.uri, experiment="outage", outage_grace_s=grace_s)
    run = TrainingRun.start(cfg, "outage", tracking_uri=server.uri, records_beside=tmp_path / "out")
    run.buffer.first_delay_s, run.buffer.max_delay_s = 0.2, 1.0  # a short test, same logic
    return run


def _log_steps(run: TrainingRun, steps: range, pause_s: float = 0.0) -> float:
    """Log `loss` = step / 2 and `lr` at each step; the slowest call's seconds."""
    slowest = 0.0
    for step in steps:
        called = time.perf_counter()
        run.log_metrics({"loss": step / 2, "lr": 1e-3}, step)
        slowest = max(slowest, time.perf_counter() - called)
        time.sleep(pause_s)
    return slowest


def _assert_every_step_once(client: MlflowClient, run_id: str, steps: range) -> None:
    for key in ("loss", "lr"):
        history = sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)
        assert [m.step for m in history] == list(steps), key  # none lost, none twice
    loss = sorted(client.get_metric_history(run_id, "loss"), key=lambda m: m.step)
    assert [m.value for m in loss] == [step / 2 for step in steps]


def test_server_restarted_mid_run_gets_every_point_once(
    local_mlflow: LocalMlflow,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = _start(local_mlflow, tmp_path, grace_s=60)
    with caplog.at_level(logging.WARNING, logger="pipeline.tracking"):
        _log_steps(run, range(1, 21))
        local_mlflow.kill()
        slowest = _log_steps(run, range(21, 31))
        run.log_image_grid("translations", ROWS, 25)
        run.set_tags({"phase": "during outage"})
        restart = threading.Thread(target=local_mlflow.start)
        restart.start()  # the run goes on logging while the server comes back
        slowest = max(slowest, _log_steps(run, range(31, 81), pause_s=0.2))
        restart.join(90)
        missing = run.end("FINISHED")

    assert slowest < 3, "a log call waited on the dead server"
    assert missing is None and not list(tmp_path.glob("out.mlflow-missing-*"))
    client = MlflowClient(local_mlflow.uri)
    _assert_every_step_once(client, run.run_id, range(1, 81))
    got = client.get_run(run.run_id)
    assert got.info.status == "FINISHED" and got.data.tags["phase"] == "during outage"
    images = [a.path for a in client.list_artifacts(run.run_id, "images")]
    assert any("translations+step+25+" in path for path in images)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "training continues" in messages and "reachable again" in messages
    # A point sent again with its identity (a lost acknowledgement) is not stored twice.
    (point,) = [m for m in client.get_metric_history(run.run_id, "loss") if m.step == 25]
    client.log_batch(run.run_id, metrics=[Metric("loss", point.value, point.timestamp, 25)])
    _assert_every_step_once(client, run.run_id, range(1, 81))


def test_server_down_past_the_grace_period_files_what_is_missing(
    local_mlflow: LocalMlflow,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = _start(local_mlflow, tmp_path, grace_s=2)
    with caplog.at_level(logging.WARNING, logger="pipeline.tracking"):
        _log_steps(run, range(1, 11))
        local_mlflow.kill()
        _log_steps(run, range(11, 21))  # training finishes: nothing raised
        run.log_image_grid("translations", ROWS, 20)
        ended = time.monotonic()
        missing = run.end("FINISHED")
        assert time.monotonic() - ended < 10  # the grace period, not MLflow's minutes of retries

    assert missing == tmp_path / f"out.mlflow-missing-{run.run_id}.json"
    filed = read_missing_records(missing)
    assert filed["run_id"] == run.run_id and filed["status"] == "FINISHED"
    assert sorted({m["step"] for m in filed["metrics"]}) == list(range(11, 21))
    assert len(filed["metrics"]) == 20
    assert (missing.parent / filed["images"][0]["file"]).is_file()
    (warning,) = [r.getMessage() for r in caplog.records if str(missing) in r.getMessage()]
    assert "python -m pipeline.tracking.relog" in warning and "20 metric point(s)" in warning

    local_mlflow.start()
    assert relog_main([str(missing), "--tracking-uri", local_mlflow.uri]) == 0
    client = MlflowClient(local_mlflow.uri)
    _assert_every_step_once(client, run.run_id, range(1, 21))
    assert client.get_run(run.run_id).info.status == "FINISHED"
    assert not missing.exists() and missing.with_name(missing.name + ".relogged").exists()
