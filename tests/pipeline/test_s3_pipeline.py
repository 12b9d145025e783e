"""prepare → train → evaluate with everything in buckets on a real S3 server (SeaweedFS).

Shards go to S3 through `pipeline.prepare`; `pipeline.train` reads them from S3, writes Ray
checkpoints to `s3://…/ray` and tracks to the MLflow server fixture, whose artifacts are proxied
into another bucket; `pipeline.evaluate` scores the model. A second `pipeline.train` with the same
params resumes from the S3 checkpoint at the final step and retrains nothing.

Why `pipeline.train` runs as a subprocess here: Ray workers inherit the environment of the
process that started Ray, and the session's in-process Ray may predate the S3 fixture's
``AWS_*`` variables. A fresh `python -m pipeline.train` is also exactly what DVC and users run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from pipeline.evaluate import __main__ as evaluate
from pipeline.io import storage
from pipeline.io.run_outputs import load_trained
from pipeline.prepare import __main__ as prepare
from tests.fixtures.mlflow_server import MlflowServer
from tests.fixtures.s3_server import CREDENTIALS
from tests.pipeline.data.tiny_params import aerial_params
from tests.pipeline.train_fixtures import tiny_training_params

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def _keys(prefix_uri: str) -> list[str]:
    bucket, prefix = storage.split_s3(prefix_uri)
    pages = (
        storage.s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _train(params_file: Path, cwd: Path, tracking_uri: str) -> str:
    """`python -m pipeline.train` in a fresh process with its own local Ray."""
    env = {**os.environ, "RAY_ADDRESS": "local", "MLFLOW_TRACKING_URI": tracking_uri}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.train", "--params", str(params_file)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=540,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def _no_credentials_in(texts: list[str]) -> None:
    for secret in (CREDENTIALS["AWS_SECRET_ACCESS_KEY"], CREDENTIALS["AWS_ACCESS_KEY_ID"]):
        assert not any(secret in t for t in texts), "an AWS credential leaked"


def test_prepare_train_evaluate_resume_all_in_s3(
    s3_bucket: str, mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    shards = f"{s3_bucket}/shards/maps"
    prep_file = tmp_path / "prepare.yaml"
    prep_file.write_text(yaml.safe_dump(aerial_params(shards, size=32, counts=(16, 8, 8))))
    assert prepare.main(["--dataset", "maps", "--params", str(prep_file), "--no-progress"]) == 0
    assert "shards/maps/manifest.json" in _keys(shards)

    checkpoints = f"{s3_bucket}/ray"
    params = tiny_training_params(
        tmp_path, steps=6, workers=2, checkpoint={"storage_path": checkpoints}
    )
    params["train"]["manifest"] = shards
    params["tracking"]["tracking_uri"] = mlflow_server.uri
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))

    first_log = _train(params_file, tmp_path, mlflow_server.uri)
    trained = load_trained(tmp_path / "out")
    assert trained["step"] == 6 and trained["storage_path"] == checkpoints
    assert trained["manifest"] == shards
    run_prefix = f"{checkpoints}/{trained['run_name']}"
    ckpt_keys = _keys(run_prefix)
    for step in ("00000003", "00000006"):
        for name in ("trainer_state.pt", "progress.json"):
            key = f"ray/{trained['run_name']}/checkpoint_{step}/{name}"
            assert key in ckpt_keys, ckpt_keys

    client = MlflowClient(mlflow_server.uri)
    run = client.get_run(trained["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    assert run.data.tags["unit.ray_storage_path"] == checkpoints
    artifact_keys = _keys(mlflow_server.artifacts_destination)
    assert any(run.info.run_id in k and "/images/" in k for k in artifact_keys), artifact_keys
    assert any(k.endswith("/MLmodel") for k in artifact_keys), artifact_keys

    assert evaluate.main(["--params", str(params_file)]) == 0
    metrics = json.loads((tmp_path / "eval" / "out" / "metrics.json").read_text())
    assert 0.0 <= metrics["test_pixel_accuracy"] <= 1.0
    evaluated = client.get_run(run.info.run_id)
    assert evaluated.data.metrics["test_pixel_accuracy"] == pytest.approx(
        metrics["test_pixel_accuracy"]
    )

    # Same params again: Ray finds the run in S3, restores step 6, and trains nothing more.
    recon_steps = [m.step for m in client.get_metric_history(run.info.run_id, "recon")]
    model_before = (tmp_path / "out" / "translator.pt").read_bytes()
    second_log = _train(params_file, tmp_path, mlflow_server.uri)
    again = load_trained(tmp_path / "out")
    assert again["mlflow_run_id"] == run.info.run_id and again["step"] == 6
    assert [m.step for m in client.get_metric_history(run.info.run_id, "recon")] == recon_steps
    assert (tmp_path / "out" / "translator.pt").read_bytes() == model_before
    assert sorted(k for k in _keys(run_prefix) if "/checkpoint_" in k) == sorted(
        k for k in ckpt_keys if "/checkpoint_" in k
    )

    final = client.get_run(run.info.run_id)
    _no_credentials_in(
        [first_log, second_log, json.dumps(final.data.params), json.dumps(final.data.tags)]
    )
