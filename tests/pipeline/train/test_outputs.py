"""export_outputs: the DVC output is byte-reproducible; what changes per run goes beside it."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pipeline.io.checkpoints import save_checkpoint
from pipeline.io.run_outputs import (
    HISTORY_FILE,
    RUN_FILE,
    TIMING_KEYS,
    load_trained,
    run_record_path,
)
from pipeline.train.outputs import export_outputs

STEPS = 4


@dataclass
class FakeExport:
    """What `Task.final_model` returns: a step, the selection and the model file."""

    step: int
    selection: dict[str, Any]

    def export(self, folder: Path) -> None:
        (folder / "translator.pt").write_bytes(b"weights")

    def log(self, run: Any) -> str:
        return f"models:/m-{run.run_id}"


class FakeCheckpoint:
    def __init__(self, folder: Path) -> None:
        self.path = str(folder)

    def as_directory(self) -> nullcontext[str]:
        return nullcontext(self.path)


def _history(seconds_per_window: float) -> list[dict[str, float]]:
    """Losses as deterministic as the model; throughput as the machine happened to run."""
    return [
        {"step": step, "recon": 1.0 / step, "val_pixel_accuracy": 0.1 * step,
         "images_per_s": 8 / seconds_per_window, "images_per_s_per_worker": 4 / seconds_per_window,
         "data_wait_fraction": 0.1, "peak_rss_mb": 500 + seconds_per_window}
        for step in (2, 4)
    ]  # fmt: skip


def _export(root: Path, output: Path, attempt: int) -> dict[str, Any]:
    """One training's export, as a repeated `dvc repro` would do it: new run id, paths, times."""
    checkpoint = root / f"ray_results_{attempt}" / "checkpoint_00000004"
    checkpoint.mkdir(parents=True)
    progress = {"step": STEPS, "history": _history(1.0 + attempt),
                "seconds": {"train_steps": 10.0 + attempt}, "resumed_from": [2] * attempt}  # fmt: skip
    save_checkpoint(checkpoint, {"step": STEPS}, progress)
    prepared = SimpleNamespace(
        run_name="tiny-0123456789",
        task=SimpleNamespace(final_model=lambda model, state: FakeExport(state["step"], {})),
        model=None,
        train=SimpleNamespace(
            steps=STEPS,
            dataset="maps",
            task="translation",
            select="last",
            output=str(output),
            scaling=SimpleNamespace(num_workers=2),
        ),
        tracking_uri=f"sqlite:///{root}/mlflow_{attempt}.db",
        storage_path=str(checkpoint.parents[0]),
        manifest_uri=str(root / f"checkout_{attempt}" / "shards"),
        manifest_sha="ab" * 32,
    )
    run = SimpleNamespace(run_id=f"run{attempt}")
    return export_outputs(prepared, SimpleNamespace(checkpoint=FakeCheckpoint(checkpoint)), run)


def test_the_output_folder_is_byte_identical_across_runs(tmp_path: Path) -> None:
    output = tmp_path / "outputs" / "translation"
    summary = _export(tmp_path, output, attempt=0)
    first = {p.name: p.read_bytes() for p in output.iterdir()}
    _export(tmp_path, output, attempt=1)
    assert {p.name: p.read_bytes() for p in output.iterdir()} == first  # dvc.lock unchanged

    cached = json.loads(first[RUN_FILE])
    assert cached == {
        "run_name": "tiny-0123456789", "manifest_sha256": "ab" * 32, "dataset": "maps",
        "task": "translation", "step": STEPS, "num_workers": 2, "select": "last",
    }  # fmt: skip
    history = json.loads(first[HISTORY_FILE])
    assert [set(row) for row in history] == [{"step", "recon", "val_pixel_accuracy"}] * 2
    assert summary["mlflow_run_id"] == "run0" and "throughput" not in summary  # stdout


def test_the_run_record_beside_the_output_holds_this_runs_ids_paths_and_timings(
    tmp_path: Path,
) -> None:
    output = tmp_path / "outputs" / "translation"
    _export(tmp_path, output, attempt=1)
    record_file = run_record_path(output)
    assert record_file == tmp_path / "outputs" / "translation.run.json"  # not in the DVC out
    record = json.loads(record_file.read_text())
    assert record["mlflow_run_id"] == "run1" and record["mlflow_model_uri"] == "models:/m-run1"
    assert record["manifest"] == str(tmp_path / "checkout_1" / "shards")
    assert record["resumed_from_steps"] == [2] and record["loop_seconds"] == {"train_steps": 11.0}
    assert [row["step"] for row in record["throughput"]] == [2, 4]
    assert set(record["throughput"][0]) == {"step", *TIMING_KEYS}

    trained = load_trained(output)  # what evaluate reads: both, merged
    assert trained["mlflow_run_id"] == "run1" and trained["num_workers"] == 2


def test_a_missing_or_stale_run_record_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "translation"
    _export(tmp_path, output, attempt=0)
    record_file = run_record_path(output)
    record = json.loads(record_file.read_text())
    record_file.write_text(json.dumps({**record, "run_name": "tiny-other"}))
    with pytest.raises(ValueError, match="translation.run.json: run_name 'tiny-other'"):
        load_trained(output)
    record_file.unlink()
    with pytest.raises(ValueError, match="translation.run.json: missing"):
        load_trained(output)


def test_a_model_the_tracking_server_cannot_take_still_leaves_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: FakeExport, run: Any) -> str:
        raise ConnectionError("tracking server down")

    monkeypatch.setattr(FakeExport, "log", refused)
    output = tmp_path / "outputs" / "translation"
    summary = _export(tmp_path, output, attempt=0)
    assert (output / "translator.pt").read_bytes() == b"weights"
    assert summary["mlflow_model_uri"] is None and summary["mlflow_run_id"] == "run0"
