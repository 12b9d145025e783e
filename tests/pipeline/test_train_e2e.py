"""The real train and evaluate stages on tiny data: real Ray Train DDP, real MLflow (sqlite)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from pipeline.evaluate import __main__ as evaluate
from pipeline.io.run_outputs import load_trained
from pipeline.train import __main__ as train
from pipeline.train.run import PreparedRun
from tests.pipeline.train_fixtures import only_run, tiny_training_params, write_params

pytestmark = pytest.mark.e2e


def test_train_evaluate_and_resume(ray_local, tmp_path):
    params = tiny_training_params(tmp_path, steps=6)
    params_file = write_params(params, tmp_path)
    assert train.main(["--params", params_file]) == 0

    out = tmp_path / "out"
    trained = load_trained(out)  # train_run.json and the run record beside the folder
    assert trained["step"] == 6 and trained["num_workers"] == 2
    assert trained["resumed_from_steps"] == []  # an uninterrupted run
    assert (out / "translator.pt").is_file()
    history = json.loads((out / "train_history.json").read_text())
    assert [h["step"] for h in history] == [2, 4, 6]
    assert all(0.0 <= h["val_pixel_accuracy"] <= 1.0 for h in history)
    assert not any("images_per_s" in h for h in history)  # timings: MLflow and the record
    assert [t["step"] for t in trained["throughput"]] == [2, 4, 6]
    assert "mlflow_run_id" not in json.loads((out / "train_run.json").read_text())
    run_dir = Path(trained["storage_path"]) / trained["run_name"]
    assert sorted(p.name for p in run_dir.glob("checkpoint_0*")) == [
        "checkpoint_00000003",
        "checkpoint_00000006",
    ]

    client, run = only_run(params)
    assert run.info.status == "FINISHED" and run.info.run_id == trained["mlflow_run_id"]
    assert [m.step for m in client.get_metric_history(run.info.run_id, "recon")] == [2, 4, 6]
    assert {"gen_adv", "dis_adv", "kl", "images_per_s", "data_wait_fraction", "lr"} <= set(
        run.data.metrics
    )
    assert run.data.params["unit.model.n_shared"] == "1"
    assert run.data.tags["unit.shard_manifest_sha256"] == PreparedRun(params).manifest_sha
    assert run.data.tags["unit.ray_storage_path"] == trained["storage_path"]
    assert "mlflow.source.git.commit" in run.data.tags
    (dataset_input,) = run.inputs.dataset_inputs  # the shards, as an MLflow dataset
    assert dataset_input.dataset.name == "maps"
    assert run.data.tags["unit.shard_manifest_sha256"].startswith(dataset_input.dataset.digest)
    images = client.list_artifacts(run.info.run_id, "images")
    assert images, "translation grids were not logged"

    assert evaluate.main(["--params", params_file]) == 0
    metrics = json.loads((tmp_path / "eval" / "out" / "metrics.json").read_text())
    assert {"val_pixel_accuracy", "test_pixel_accuracy", "test_constant_colour_baseline"} <= set(
        metrics
    )
    assert metrics["family"] == "unit" and metrics["val_diversity"] == 0.0  # UNIT is unimodal
    champion = client.get_model_version_by_alias(params["tracking"]["registered_model"], "champion")
    assert str(champion.version) == "1" and champion.run_id == run.info.run_id
    eval_run = client.get_run(run.info.run_id)
    assert eval_run.data.metrics["test_pixel_accuracy"] == pytest.approx(
        metrics["test_pixel_accuracy"]
    )
    assert eval_run.data.metrics["val_diversity"] == 0.0

    # Same params again: Ray resumes the finished run at step 6, nothing is retrained, and
    # the same MLflow run is continued rather than a second one created. The DVC output is
    # byte-identical (dvc.lock unchanged); the run record beside it is rewritten.
    files_before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert train.main(["--params", params_file]) == 0
    _, again = only_run(params)
    assert again.info.run_id == run.info.run_id
    assert [m.step for m in client.get_metric_history(run.info.run_id, "recon")] == [2, 4, 6]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files_before
    assert load_trained(out)["mlflow_run_id"] == run.info.run_id  # the record, rewritten


def _this_runs_workers(since: float) -> list[psutil.Process]:
    """Train workers started after `since` (the session's Ray may hold earlier tests' actors)."""
    workers = []
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "RayTrainWorker" in " ".join(proc.cmdline()) and proc.create_time() >= since:
                workers.append(proc)
        except psutil.Error:
            continue
    return workers


def _kill_a_train_worker_after_a_checkpoint(
    run_root: Path, killed: list[int], since: float
) -> None:
    deadline = time.monotonic() + 240
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and not workers:  # find them first: the scan is slow
        workers = _this_runs_workers(since)
        time.sleep(0.2)
    # A checkpoint folder appears while it is being written; the second one's appearance means
    # the first is registered with Ray, so the restart must resume from a checkpoint.
    while time.monotonic() < deadline and len(list(run_root.glob("*/checkpoint_0*"))) < 2:
        time.sleep(0.05)
    for proc in workers:
        try:
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(proc.pid)
            return
        except ProcessLookupError:
            continue


def test_killed_worker_run_still_completes_at_the_final_step(tmp_path):
    steps = 48  # long enough that the kill lands mid-run, after a registered checkpoint
    params = tiny_training_params(tmp_path, steps=steps, checkpoint={"every": 3, "max_failures": 2})
    params["tracking"]["images_every"] = steps  # one grid at the end: grids are not what this tests
    killed: list[int] = []
    killer = threading.Thread(
        target=_kill_a_train_worker_after_a_checkpoint,
        args=(tmp_path / "ray_results", killed, time.time()),
    )
    killer.start()
    # Its own process and Ray, as DVC runs the stage: a warm session Ray reuses worker
    # processes, which hides which one belongs to this run.
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "MLFLOW_TRACKING_URI")}
    stage = subprocess.run(
        [sys.executable, "-m", "pipeline.train", "--params", write_params(params, tmp_path)],
        env=env, capture_output=True, text=True, timeout=500,
    )  # fmt: skip
    assert stage.returncode == 0, stage.stdout[-3000:] + stage.stderr[-3000:]
    killer.join()
    assert killed, "no train worker was found to kill"
    trained = load_trained(tmp_path / "out")
    assert trained["step"] == steps
    # Any resume is from a checkpoint step (every 3). Whether Ray's restart resumes from the
    # checkpoint or from step 0 is not asserted: it varied between runs here (see the issue note).
    resumed = trained["resumed_from_steps"]
    assert all(0 < r < steps and r % 3 == 0 for r in resumed), resumed
    client, run = only_run(params)
    logged = [m.step for m in client.get_metric_history(run.info.run_id, "recon")]
    assert logged[-1] == steps
