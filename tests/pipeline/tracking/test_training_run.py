"""TrainingRun: params, metrics by step, image grids, tags, resume, end status."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from PIL import Image

from pipeline.tracking import (
    TrackingConfig,
    TrackingError,
    TrainingRun,
    compose_image_grid,
    training_tags,
)
from pipeline.tracking.redaction import REDACTED
from pipeline.tracking.run_tags import (
    DVC_STAGE_ENV,
    DVC_STAGE_TAG,
    GIT_COMMIT_TAG,
    RAY_STORAGE_TAG,
    SHARD_MANIFEST_TAG,
    SOURCE_NAME_TAG,
    SOURCE_TYPE_TAG,
)

REPO = Path(__file__).resolve().parents[3]


def _client(uri: str) -> MlflowClient:
    return MlflowClient(uri)


def test_params_flattened_metrics_by_step_and_tags(tracking_config: TrackingConfig) -> None:
    params = {"model": {"n_shared": 1, "norm": "instance"}, "optimizer": {"lr": 1e-4}}
    tags = training_tags("f" * 64, "/data/ray_results", ray_run_name="unit-mnist", repo_dir=REPO)
    run = TrainingRun.start(tracking_config, "unit-mnist", params=params, tags=tags)
    for step in (50, 100):
        run.log_metrics({"loss/recon": 1.0 / step, "lr": 1e-4}, step=step)
    run.end()

    client = _client(tracking_config.tracking_uri)
    data = client.get_run(run.run_id)
    assert data.info.status == "FINISHED" and data.info.run_name == "unit-mnist"
    assert data.data.params == {
        "model.n_shared": "1",
        "model.norm": "instance",
        "optimizer.lr": "0.0001",
    }
    history = client.get_metric_history(run.run_id, "loss/recon")
    assert [(m.step, m.value) for m in history] == [(50, 0.02), (100, 0.01)]
    assert data.data.tags[SHARD_MANIFEST_TAG] == "f" * 64
    assert data.data.tags[RAY_STORAGE_TAG] == "/data/ray_results"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode == 0:
        assert data.data.tags[GIT_COMMIT_TAG] == head.stdout.strip()


def test_git_commit_tag_absent_outside_a_checkout(tmp_path: Path) -> None:
    tags = training_tags("abc", "/tmp/ray", repo_dir=tmp_path)
    assert GIT_COMMIT_TAG not in tags and tags[SHARD_MANIFEST_TAG] == "abc"


def test_credentials_never_reach_params_or_tags(tracking_config: TrackingConfig) -> None:
    # A configured value holding an environment credential never gets here: it is refused at
    # start (tests/pipeline/test_credential_check.py). Left: secret-named keys, URI userinfo.
    params = {"storage": {"aws_secret_access_key": "very-secret-value-123", "bucket": "b"}}
    run = TrainingRun.start(
        tracking_config, "secrets", params=params, tags={"mlflow_token": "abcdef"}
    )
    run.set_tags({"endpoint": "https://user:pw-9876@s3.local"})
    run.end()
    data = _client(tracking_config.tracking_uri).get_run(run.run_id).data
    logged = {**data.params, **data.tags}
    assert not any("very-secret-value-123" in v or "pw-9876" in v for v in logged.values())
    assert data.params["storage.aws_secret_access_key"] == REDACTED
    assert data.tags["mlflow_token"] == REDACTED and data.params["storage.bucket"] == "b"


def test_image_grid_is_a_png_of_the_expected_size(tracking_config: TrackingConfig) -> None:
    g = torch.Generator().manual_seed(0)
    rows = {
        "a": torch.randint(0, 256, (3, 1, 16, 16), dtype=torch.uint8, generator=g),  # grey
        "a2b": torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8, generator=g),  # RGB
    }
    run = TrainingRun.start(tracking_config, "images")
    run.log_image_grid("translations", rows, step=500)
    run.end()

    client = _client(tracking_config.tracking_uri)
    pngs = [
        a.path
        for a in client.list_artifacts(run.run_id, "images")
        if a.path.endswith(".png") and "translations+step+500+" in a.path
    ]
    assert len(pngs) == 1
    local = client.download_artifacts(run.run_id, pngs[0])
    image = Image.open(io.BytesIO(Path(local).read_bytes()))
    expected = compose_image_grid(rows)
    assert image.format == "PNG" and image.mode == "RGB" and image.size == expected.size
    # 16 px cells are upscaled x4; two rows of 64 px cells with 2 px padding.
    assert image.height == 2 * (64 + 2) + 2
    assert np.array_equal(np.asarray(image), np.asarray(expected))


def test_artifacts_live_beside_the_sqlite_db_not_in_the_cwd(
    tracking_config: TrackingConfig,
) -> None:
    run = TrainingRun.start(tracking_config, "where")
    run.end()
    root = _client(tracking_config.tracking_uri).get_run(run.run_id).info.artifact_uri
    db_dir = Path(tracking_config.tracking_uri.removeprefix("sqlite:///")).parent
    assert root.startswith((db_dir / "mlruns").as_uri())


def test_resume_continues_the_same_run(tracking_config: TrackingConfig) -> None:
    first = TrainingRun.start(tracking_config, "resumable", params={"train": {"steps": 10}})
    first.log_metrics({"loss/total": 3.0}, step=10)
    first.end("FAILED")  # e.g. the worker crashed

    resumed = TrainingRun.start(
        tracking_config, "resumable", params={"train": {"steps": 20}}, run_id=first.run_id
    )
    resumed.log_metrics({"loss/total": 2.0}, step=20)
    resumed.end()

    client = _client(tracking_config.tracking_uri)
    run = client.get_run(first.run_id)
    assert resumed.run_id == first.run_id and run.info.status == "FINISHED"
    assert run.data.params["train.steps"] == "10"  # original params kept, change only warned
    history = client.get_metric_history(first.run_id, "loss/total")
    assert [m.step for m in history] == [10, 20]
    experiment = client.get_experiment_by_name(tracking_config.experiment)
    assert len(client.search_runs([experiment.experiment_id])) == 1


def test_resume_of_unknown_run_is_a_clear_error(tracking_config: TrackingConfig) -> None:
    with pytest.raises(TrackingError, match="cannot continue MLflow run 0123abcd"):
        TrainingRun.start(tracking_config, "x", run_id="0123abcd")


def test_context_manager_marks_failed_runs(tracking_config: TrackingConfig) -> None:
    with pytest.raises(RuntimeError):
        with TrainingRun.start(tracking_config, "crash") as run:
            raise RuntimeError("worker died")
    assert _client(tracking_config.tracking_uri).get_run(run.run_id).info.status == "FAILED"


def test_experiment_opens_as_model_training(tracking_config: TrackingConfig) -> None:
    """MLflow 3's UI picks the experiment view by `mlflow.experimentKind`; existing ones too."""
    client = _client(tracking_config.tracking_uri)
    existing = client.create_experiment(tracking_config.experiment)  # made before this code
    TrainingRun.start(tracking_config, "kind").end()
    tags = client.get_experiment(existing).tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"


def test_a_lost_race_on_the_experiment_tag_does_not_fail_the_run(
    tracking_config: TrackingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs starting together on a new experiment race to tag it (check, then insert): the
    losers' UNIQUE error is retried, and a tagged experiment is not written again."""
    client = _client(tracking_config.tracking_uri)
    client.create_experiment(tracking_config.experiment)
    real_set_tag, calls = MlflowClient.set_experiment_tag, []

    def race_lost_once(self, experiment_id, key, value):
        calls.append(key)
        if len(calls) == 1:  # another run inserted the same tag in between
            real_set_tag(self, experiment_id, key, value)
            raise MlflowException("UNIQUE constraint failed: experiment_tags.key")
        return real_set_tag(self, experiment_id, key, value)

    monkeypatch.setattr(MlflowClient, "set_experiment_tag", race_lost_once)
    TrainingRun.start(tracking_config, "first").end("FINISHED")
    assert calls == ["mlflow.experimentKind"] * 2  # lost once, retried
    TrainingRun.start(tracking_config, "second").end("FINISHED")
    assert len(calls) == 2  # already tagged: no write
    runs = client.search_runs(
        [client.get_experiment_by_name(tracking_config.experiment).experiment_id]
    )
    assert {r.info.status for r in runs} == {"FINISHED"} and len(runs) == 2


def test_system_metrics_are_sampled_into_the_run(
    tracking_config: TrackingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.2")
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "1")
    run = TrainingRun.start(tracking_config, "sys", system_metrics=True)
    time.sleep(1.5)
    run.end()
    metrics = _client(tracking_config.tracking_uri).get_run(run.run_id).data.metrics
    assert {"system/cpu_utilization_percentage", "system/system_memory_usage_megabytes"} <= set(
        metrics
    )


def test_source_and_dvc_stage_tags_say_how_the_run_started(
    tracking_config: TrackingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run by hand, the stage is the section's; under `dvc repro`, DVC's own `$DVC_STAGE`."""
    monkeypatch.delenv(DVC_STAGE_ENV, raising=False)
    by_hand = training_tags("abc", "/tmp/ray", section="adapt", repo_dir=REPO)
    assert by_hand[DVC_STAGE_TAG] == "adapt"
    assert by_hand[SOURCE_NAME_TAG] == "python -m pipeline.train --section adapt"
    assert by_hand[SOURCE_TYPE_TAG] == "LOCAL"

    monkeypatch.setenv(DVC_STAGE_ENV, "experiments/dvc.yaml:train@munit")
    run = TrainingRun.start(tracking_config, "staged", tags=training_tags("abc", "/tmp/ray"))
    run.end()
    tags = _client(tracking_config.tracking_uri).get_run(run.run_id).data.tags
    assert tags[DVC_STAGE_TAG] == "experiments/dvc.yaml:train@munit"
    assert tags[SOURCE_NAME_TAG] == "python -m pipeline.train --section train"
