"""`train`'s driver side on an output it cannot write (full disk, read-only folder): one line
naming the output, exit 2, the MLflow run ended FAILED, the earlier output and the checkpoint
kept. Ray is faked here (`fit` returns the final checkpoint); the export is the real one.
Real mounts: tests/fixtures/mounts.py, skipped where mounting is refused."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

import pipeline.train.__main__ as stage
from pipeline.io.checkpoints import save_checkpoint
from pipeline.io.run_outputs import RUN_FILE, run_record_path
from pipeline.tasks.translation import MODEL_FILE, ExportedTranslator
from tests.fixtures.mounts import FILLER, fill
from tests.unit_core.tiny import tiny_config
from unit_core.model_family import build_translator

REPO = Path(__file__).resolve().parents[3]
STEPS = 2


class FakeRun:
    """The MLflow run as `train` drives it: how it was ended is what the test checks."""

    run_id = "run0"

    def __init__(self) -> None:
        self.ended: list[str] = []

    def log_translator(self, translator: Any, cfg: Any) -> str:
        return "models:/m/1"

    def end(self, status: str) -> None:
        self.ended.append(status)


@pytest.fixture
def faked_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """`train` with its preflight, MLflow run and Ray `fit` faked; `.output` is set by the test."""
    cfg = tiny_config()
    checkpoint = tmp_path / "ray_results" / "checkpoint_000002"
    checkpoint.mkdir(parents=True)
    save_checkpoint(checkpoint, {"step": STEPS}, {"step": STEPS, "history": []})
    exported = ExportedTranslator(cfg, build_translator(cfg), STEPS, {})
    prepared = SimpleNamespace(
        run_name="tiny-0123456789", manifest_sha="ab" * 32, model=cfg, tracking_uri="sqlite://",
        storage_path=str(checkpoint.parent), manifest_uri="shards",
        task=SimpleNamespace(final_model=lambda model, state: exported),
        train=SimpleNamespace(steps=STEPS, dataset="maps", task="translation", select="last",
                              output=None, scaling=SimpleNamespace(num_workers=1)),
    )  # fmt: skip
    result = SimpleNamespace(
        checkpoint=SimpleNamespace(path=str(checkpoint), as_directory=lambda: nullcontext(checkpoint))
    )  # fmt: skip
    run = FakeRun()
    monkeypatch.setattr(stage, "PreparedRun", lambda params, section: prepared)
    monkeypatch.setattr(stage, "check_overrides_used", lambda overrides, prepared: None)
    monkeypatch.setattr(stage, "start_or_resume_mlflow_run", lambda prepared: run)
    monkeypatch.setattr(stage, "fit", lambda prepared, run, timings: result)
    return SimpleNamespace(prepared=prepared, run=run, checkpoint=checkpoint)


def _train(faked: SimpleNamespace, output: Path) -> int:
    faked.prepared.train.output = str(output)
    return stage.main(["--params", str(REPO / "params.yaml")])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _only_error(caplog) -> str:
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback
    return line


def test_full_disk_at_export_names_the_model_file_and_marks_the_run_failed(
    faked_ray, tmp_path, mounts, caplog
):
    disk = mounts.full_disk(tmp_path / "outputs", size_kib=4096)  # room for one model
    output = disk / "translation"
    assert _train(faked_ray, output) == 0  # the earlier, good run
    before, checkpoint = _files(output), _files(faked_ray.checkpoint)
    fill(disk)
    faked_ray.run.ended.clear()
    caplog.clear()
    assert _train(faked_ray, output) == 2
    assert _only_error(caplog) == f"{output / MODEL_FILE}: no space left on device"
    assert faked_ray.run.ended == ["FAILED"]
    assert _files(output) == before and _files(faked_ray.checkpoint) == checkpoint
    assert sorted(p.name for p in disk.iterdir()) == sorted(
        [FILLER, "translation", run_record_path(output).name]
    )  # no staging folder, no temp file


def test_read_only_output_folder_marks_the_run_failed_and_keeps_the_earlier_output(
    faked_ray, tmp_path, mounts, caplog
):
    output = tmp_path / "outputs" / "translation"
    assert _train(faked_ray, output) == 0
    before = _files(output)
    mounts.read_only(output.parent)
    faked_ray.run.ended.clear()
    caplog.clear()
    assert _train(faked_ray, output) == 2
    assert _only_error(caplog) == f"{output}: read-only file system"
    assert faked_ray.run.ended == ["FAILED"]
    assert _files(output) == before and (output / RUN_FILE).is_file()
    assert torch.load(faked_ray.checkpoint / "trainer_state.pt", weights_only=True)["step"] == STEPS
