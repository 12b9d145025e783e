"""`train` with real Ray Train and MLflow (sqlite) writing onto a real full disk (a tmpfs) or
into a read-only file system (a read-only bind mount):

- checkpoints (`train.checkpoint.storage_path`): one line naming the file, exit 2, the MLflow
  run FAILED; on a full disk the last checkpoint that fitted is kept whole; a read-only
  storage path fails before the first step;
- MLflow artifacts (image grids, the logged model) in a full or read-only local artifact store:
  tracking never fails training, so the run finishes, the output is exported, the grids go to
  the missing-records file beside it and the warnings name the store's path.

Real mounts: tests/fixtures/mounts.py, skipped where mounting is refused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient

from pipeline.io.run_outputs import load_trained
from pipeline.train import __main__ as train
from tests.fixtures.mounts import Mounts, fill
from tests.pipeline.train_fixtures import only_run, tiny_training_params, write_params

pytestmark = pytest.mark.e2e

NO_SPACE = "no space left on device"
READ_ONLY = "read-only file system"
CHECKPOINT_BYTES = 1_000_000  # one tiny-model checkpoint is ~0.94 MB (trainer_state.pt)


def _params(root: Path, **train_keys) -> tuple[dict, str]:
    """Two steps on one worker, written to `root/params.yaml`."""
    params = tiny_training_params(root, steps=2, workers=1, **train_keys)
    return params, write_params(params, root)


def _pipeline_records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("pipeline") and r.levelno >= level]


def test_full_checkpoint_storage_names_the_file_keeps_the_last_checkpoint_and_fails_the_run(
    ray_local, tmp_path, mounts, caplog
):
    disk = mounts.full_disk(tmp_path / "ray_results", size_kib=4096)
    params, params_file = _params(
        tmp_path, checkpoint={"every": 1, "max_failures": 0, "storage_path": str(disk)}
    )
    params["tracking"]["images_every"] = 100  # no grids: checkpoints are what this tests
    write_params(params, tmp_path)
    fill(disk, leave_bytes=CHECKPOINT_BYTES + 300_000)  # room for step 1's checkpoint only

    assert train.main(["--params", params_file]) == 2

    [line] = [r.getMessage() for r in _pipeline_records(caplog, logging.ERROR)]
    assert line.startswith(f"{disk}/") and line.endswith(f": {NO_SPACE}"), line
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("pipeline"))
    assert only_run(params)[1].info.status == "FAILED"
    [kept] = list(disk.glob("*/checkpoint_0*"))  # the half-copied step 2 removed
    assert kept.name == "checkpoint_00000001"
    assert torch.load(kept / "trainer_state.pt", weights_only=True)["step"] == 1
    assert not (tmp_path / "out").exists()  # nothing exported


def test_read_only_checkpoint_storage_names_the_folder_and_fails_the_run(
    ray_local, tmp_path, mounts, caplog
):
    storage = tmp_path / "ray_results"
    storage.mkdir()
    mounts.read_only(storage)
    params, params_file = _params(
        tmp_path, checkpoint={"every": 1, "max_failures": 0, "storage_path": str(storage)}
    )

    assert train.main(["--params", params_file]) == 2

    [line] = [r.getMessage() for r in _pipeline_records(caplog, logging.ERROR)]
    assert line.startswith(f"{storage}") and line.endswith(f": {READ_ONLY}"), line
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("pipeline"))
    assert only_run(params)[1].info.status == "FAILED"
    assert not list(storage.iterdir())  # nothing written
    assert not (tmp_path / "out").exists()  # nothing exported


class _Unwritable:
    """A folder made full (a filled tmpfs) or read-only (a bind mount), in two steps: `make`
    before MLflow's experiment names it, `spoil` after (MLflow writes nothing there until a run
    logs an artifact)."""

    def __init__(self, fault: str, mounts: Mounts) -> None:
        self.fault, self.mounts = fault, mounts
        self.problem = {"full": NO_SPACE, "read_only": READ_ONLY}[fault]

    def make(self, folder: Path) -> Path:
        if self.fault == "full":
            return self.mounts.full_disk(folder, size_kib=256)
        folder.mkdir(parents=True)
        return folder

    def spoil(self, folder: Path) -> None:
        if self.fault == "full":
            fill(folder)
        else:
            self.mounts.read_only(folder)


@pytest.mark.parametrize("fault", ["full", "read_only"])
def test_unwritable_artifact_store_still_finishes_training_and_files_the_grids(
    ray_local, tmp_path, mounts, caplog, fault
):
    params, params_file = _params(tmp_path, checkpoint={"every": 2, "max_failures": 0})
    params["tracking"]["images_every"] = 2  # one grid, at the last step
    write_params(params, tmp_path)
    unwritable = _Unwritable(fault, mounts)
    store = unwritable.make(tmp_path / "artifacts")
    client = MlflowClient(params["tracking"]["tracking_uri"])
    client.create_experiment(params["tracking"]["experiment"], artifact_location=store.as_uri())
    unwritable.spoil(store)
    problem = unwritable.problem

    assert train.main(["--params", params_file]) == 0

    out = tmp_path / "out"
    assert (out / "translator.pt").is_file()
    record = load_trained(out)
    assert record["step"] == 2 and record["mlflow_model_uri"] is None
    _, run = only_run(params)
    assert run.info.status == "FINISHED" and run.info.run_id == record["mlflow_run_id"]
    [warning] = [r.getMessage() for r in _pipeline_records(caplog, logging.WARNING)]
    assert "the model was not logged" in warning and f"{store}/" in warning and problem in warning
    assert not _pipeline_records(caplog, logging.ERROR)
    # The worker's grid was set aside at once (not retried for tracking.outage_grace_s) into
    # the missing-records file beside the output, which names the store and the problem.
    [missing] = list(tmp_path.glob("out.mlflow-missing-*.json"))
    content = json.loads(missing.read_text())
    assert content["images"] and {image["step"] for image in content["images"]} == {2}
    assert f"{store}/" in content["why"] and problem in content["why"]
