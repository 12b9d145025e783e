"""The `train` stage (its own process, its own local Ray) while its MLflow server dies mid-run.

A real `infra/mlflow/start.sh` server on 127.0.0.1 (tests/fixtures/local_mlflow.py, sqlite) is
killed with SIGKILL once rank 0 has logged its first metric points and started again on the same
store and port a few seconds later. Training goes on meanwhile; rank 0's record buffer
(pipeline/tracking/record_buffer.py) delivers the points logged while the server was down, and
`drain()` at the end of the loop waits for it, so every step's point arrives exactly once and
the run ends FINISHED. `tests/pipeline/tracking/test_tracking_outage.py` tests the same buffer on
`TrainingRun` alone, without Ray.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from pipeline.io.run_outputs import load_trained
from tests.fixtures.local_mlflow import LocalMlflow, local_mlflow  # noqa: F401 — fixture
from tests.fixtures.processes import pids_with_env
from tests.pipeline.train_fixtures import tiny_training_params, write_params

pytestmark = pytest.mark.e2e

STEPS = 60  # a metric point each step: the kill lands after the first, the rest span the outage
MARKER = "UNIT_TEST_TRACKING_OUTAGE"  # in the stage's environment: its Ray processes carry it


def _logged_points(db: Path, key: str) -> int:
    """Points of `key` in the server's sqlite store (read directly: no request to the server)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as store:
            return store.execute("SELECT count(*) FROM metrics WHERE key = ?", (key,)).fetchone()[0]
    except sqlite3.OperationalError:  # no table yet, or the server is writing
        return 0


def _wait_for_first_point(db: Path, stage: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 300
    while _logged_points(db, "recon") == 0:
        assert stage.poll() is None, f"the stage ended before logging:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, "no metric point logged in 300 s"
        time.sleep(0.05)


def _stop_stage(stage: subprocess.Popen, marker: str) -> None:
    """Kill the stage and the Ray processes it started (they carry `marker`), if still alive."""
    if stage.poll() is None:
        stage.kill()
        stage.wait(10)
    for pid in pids_with_env(MARKER, marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


def test_server_killed_and_restarted_mid_training_gets_every_point_once(
    local_mlflow: LocalMlflow,  # noqa: F811
    tmp_path: Path,
) -> None:
    params = tiny_training_params(
        tmp_path, steps=STEPS, workers=1, checkpoint={"every": STEPS, "max_failures": 0}
    )
    # Retries at most 2 s apart: the default 30 s cap let the doubling waits overshoot the
    # server's return by up to 30 s (the test took 38-126 s in the suite; the logic is the same).
    params["tracking"].update(
        tracking_uri=local_mlflow.uri, log_every=1, images_every=STEPS, retry_max_delay_s=2
    )
    params_file = write_params(params, tmp_path)
    marker = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "MLFLOW_TRACKING_URI")}
    env[MARKER] = marker
    log = tmp_path / "stage.log"
    with open(log, "wb") as output:  # a file, not a pipe: a full pipe would stall the stage
        stage = subprocess.Popen(
            [sys.executable, "-m", "pipeline.train", "--params", params_file],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_first_point(local_mlflow.root / "mlflow.db", stage, log)
        local_mlflow.kill()
        killed_ms = int(time.time() * 1000)
        time.sleep(3)
        restarting_ms = int(time.time() * 1000)
        local_mlflow.start()
        returncode = stage.wait(300)
    finally:
        _stop_stage(stage, marker)
    text = log.read_text()

    assert returncode == 0, text[-3000:]
    record = load_trained(tmp_path / "out")
    assert (tmp_path / "out" / "translator.pt").is_file() and record["step"] == STEPS
    assert record["mlflow_model_uri"] is not None  # the server was back for the model, too
    assert not list(tmp_path.glob("out.mlflow-missing-*"))  # nothing set aside
    client = MlflowClient(local_mlflow.uri)
    run = client.get_run(record["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    history = sorted(client.get_metric_history(run.info.run_id, "recon"), key=lambda m: m.step)
    assert [m.step for m in history] == list(range(1, STEPS + 1))  # none lost, none twice
    # Points stamped while the server was down (logged then, delivered afterwards): the kill
    # landed mid-training, not after it.
    during = [m.step for m in history if killed_ms <= m.timestamp < restarting_ms]
    assert during, text[-3000:]
    assert "training continues" in text and "reachable again" in text  # rank 0's buffer said so
