"""`evaluate` writing metrics.json into a read-only folder or onto a full disk: one line naming
the file, exit 2, the earlier metrics.json whole and no temp file (real mounts:
tests/fixtures/mounts.py, skipped where mounting is refused). Scoring is faked: the write is
what is under test."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

import pipeline.evaluate.__main__ as stage
from tests.fixtures.mounts import FILLER, fill

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trained output and a task whose scoring is instant (and MLflow never reached)."""
    trained = {"manifest": "m", "step": 3, "run_name": "r", "mlflow_run_id": "x"}
    task = SimpleNamespace(evaluate=lambda output, manifest, cfg: {"val_pixel_accuracy": 0.5})
    monkeypatch.setattr(stage, "load_trained", lambda output: dict(trained))
    monkeypatch.setattr(stage, "load_manifest", lambda uri: None)
    monkeypatch.setattr(stage, "TASKS", {"translation": task})
    monkeypatch.setattr(stage, "_track", lambda *a, **k: pytest.fail("tracked a failed write"))


def _evaluate(output_root: Path) -> int:
    return stage.main(["--params", str(REPO / "params.yaml"),
                       "--set", f"evaluate.output_root={output_root}",
                       "--set", "train.output=outputs/translation", "--set", "train.task=translation"])  # fmt: skip


def _only_error(caplog) -> str:
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback
    return line


def test_read_only_metrics_folder_exits_2_naming_metrics_json(tmp_path, mounts, scored, caplog):
    metrics = tmp_path / "evaluation" / "translation" / "metrics.json"
    metrics.parent.mkdir(parents=True)
    metrics.write_text('{"old": 1}')
    mounts.read_only(metrics.parent)
    assert _evaluate(tmp_path / "evaluation") == 2
    assert _only_error(caplog) == f"{metrics}: read-only file system"
    assert metrics.read_text() == '{"old": 1}'


def test_full_disk_exits_2_and_leaves_no_temp_file(tmp_path, mounts, scored, caplog):
    disk = mounts.full_disk(tmp_path / "evaluation")
    metrics = disk / "translation" / "metrics.json"
    metrics.parent.mkdir()
    fill(disk)
    assert _evaluate(disk) == 2
    assert _only_error(caplog) == f"{metrics}: no space left on device"
    assert sorted(p.name for p in disk.rglob("*")) == sorted([FILLER, "translation"])
