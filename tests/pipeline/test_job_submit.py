"""The cluster path: `ray job submit --working-dir <repo> -- python -m pipeline.train` on a head
started with `ray start --head`, exactly as docs/usage.md shows (see tests/fixtures/ray_head.py).

The working-dir upload honours .gitignore, so the tiny shards, outputs, checkpoints and MLflow
store are all given as absolute paths outside the repo; the job's driver runs on this machine
and sees them.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from pipeline.io.run_outputs import load_trained
from tests.fixtures.ray_head import RayHead
from tests.pipeline.train_fixtures import REPO, tiny_training_params

pytestmark = pytest.mark.e2e


def test_job_submit_trains_on_a_ray_head(ray_head: RayHead, tmp_path: Path) -> None:
    params = tiny_training_params(tmp_path, steps=6, workers=2)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    submission_id = f"unit-test-{uuid.uuid4().hex[:8]}"

    submitted = ray_head.ray(
        "job", "submit", "--address", ray_head.dashboard_url,
        "--submission-id", submission_id, "--working-dir", str(REPO),
        "--", "python", "-m", "pipeline.train", "--params", str(params_file),
        timeout=300,
    )  # fmt: skip
    logs = submitted.stdout + submitted.stderr
    assert submitted.returncode == 0, logs[-4000:]
    job = ray_head.job_info(submission_id)
    assert job["status"] == "SUCCEEDED", job
    # The driver ran on this head and used it rather than starting a Ray of its own (Ray
    # logs the GCS address with 127.0.0.1 resolved to the node's IP, hence only the port).
    driver_log = ray_head.temp_dir / "session_latest" / "logs" / f"job-driver-{submission_id}.log"
    gcs_port = ray_head.gcs_address.rsplit(":", 1)[1]
    connected = rf"Connecting to existing Ray cluster at address: [\w.:\[\]-]+:{gcs_port}\.\.\."
    assert re.search(connected, driver_log.read_text()), driver_log.read_text()[-3000:]

    trained = load_trained(tmp_path / "out")
    assert trained["step"] == 6 and trained["num_workers"] == 2
    assert trained["storage_path"] == str(tmp_path / "ray_results")
    run_dir = Path(trained["storage_path"]) / trained["run_name"]
    assert sorted(p.name for p in run_dir.glob("checkpoint_0*")) == [
        "checkpoint_00000003",
        "checkpoint_00000006",
    ]

    run = MlflowClient(params["tracking"]["tracking_uri"]).get_run(trained["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    assert {"recon", "gen_adv", "images_per_s", "val_pixel_accuracy"} <= set(run.data.metrics)
    assert run.data.tags["unit.ray_storage_path"] == trained["storage_path"]
    assert run.data.tags["unit.ray_run_name"] == trained["run_name"]
