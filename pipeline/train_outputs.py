"""What `pipeline train` leaves for DVC and `pipeline evaluate`, written all-or-nothing.

`<train.output>/` holds the task's model file (`translator.pt` or `adaptation.pt`),
`train_run.json` (run name, MLflow run id and model URI, checkpoint location, final step) and
`train_history.json` (the logged loss curves, a DVC plot). The folder is written beside the
old one and swapped in at the end, so a failed run never replaces the last good model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.checkpoint_files import load_checkpoint
from pipeline.tracking.redaction import redact_uri

if TYPE_CHECKING:
    from pipeline.tracking import TrainingRun
    from pipeline.train import PreparedRun

RUN_FILE = "train_run.json"
HISTORY_FILE = "train_history.json"


def replace_folder(target: Path, fill: Any) -> None:
    """Build a new `target` with `fill(tmp_folder)`, then swap it in for the old one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging")
    retired = target.with_name(f".{target.name}.old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def export_outputs(prepared: PreparedRun, result: Any, run: TrainingRun) -> dict[str, Any]:
    """Load the final checkpoint, log the model to MLflow and write `train.output`."""
    if result.checkpoint is None:
        raise RuntimeError(f"Ray run {prepared.run_name} finished without a checkpoint")
    with result.checkpoint.as_directory() as folder:
        state, progress = load_checkpoint(Path(folder))
    task = prepared.task(prepared.model)
    task.load_state_dict(state)
    if task.step != prepared.train.steps:
        raise RuntimeError(
            f"final checkpoint is at step {task.step}, expected {prepared.train.steps}"
        )
    model_uri = task.log_model(run)
    summary = {
        "run_name": prepared.run_name,
        "mlflow_run_id": run.run_id,
        "mlflow_tracking_uri": redact_uri(prepared.tracking_uri),
        "mlflow_model_uri": model_uri,
        "checkpoint": result.checkpoint.path,
        "storage_path": prepared.storage_path,
        "manifest": prepared.manifest_uri,
        "manifest_sha256": prepared.manifest_sha,
        "dataset": prepared.train.dataset,
        "task": prepared.train.task,
        "step": task.step,
        # steps a worker group restarted from (worker failure or a resumed run), oldest first
        "resumed_from_steps": progress.get("resumed_from", []),
        "num_workers": prepared.train.scaling.num_workers,
        "select": prepared.train.select,
        **task.selection(),
        # rank 0's seconds in the worker (pipeline.train_loop.SECONDS), summed over resumes
        "loop_seconds": progress.get("seconds", {}),
    }

    def fill(folder: Path) -> None:
        task.export(folder)
        (folder / RUN_FILE).write_text(json.dumps(summary, indent=1) + "\n")
        (folder / HISTORY_FILE).write_text(json.dumps(progress["history"], indent=1) + "\n")

    replace_folder(Path(prepared.train.output), fill)
    return summary
