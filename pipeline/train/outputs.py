"""What `unit-pipeline train` leaves for DVC and `unit-pipeline evaluate`, written all-or-nothing.

`<train.output>/` holds the task's model file (`translator.pt` or `adaptation.pt`),
`train_run.json` (run name, MLflow run id and model URI, checkpoint location, final step) and
`train_history.json` (the logged loss curves, a DVC plot). The folder is written beside the
old one and swapped in at the end, so a failed run never replaces the last good model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.io.atomic import replace_folder
from pipeline.io.checkpoints import load_checkpoint
from pipeline.io.run_outputs import HISTORY_FILE, RUN_FILE
from pipeline.tracking.redaction import redact_uri

if TYPE_CHECKING:
    from pipeline.tracking import TrainingRun
    from pipeline.train.run import PreparedRun

__all__ = ["HISTORY_FILE", "RUN_FILE", "export_outputs"]


def export_outputs(prepared: PreparedRun, result: Any, run: TrainingRun) -> dict[str, Any]:
    """Log the final checkpoint's model to MLflow and write `train.output` (no trainer is built)."""
    if result.checkpoint is None:
        raise RuntimeError(f"Ray run {prepared.run_name} finished without a checkpoint")
    with result.checkpoint.as_directory() as folder:
        state, progress = load_checkpoint(Path(folder))
    final = prepared.task.final_model(prepared.model, state)  # no second trainer
    if final.step != prepared.train.steps:
        raise RuntimeError(
            f"final checkpoint is at step {final.step}, expected {prepared.train.steps}"
        )
    model_uri = final.log(run)
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
        "step": final.step,
        # steps a worker group restarted from (worker failure or a resumed run), oldest first
        "resumed_from_steps": progress.get("resumed_from", []),
        "num_workers": prepared.train.scaling.num_workers,
        "select": prepared.train.select,
        **final.selection,
        # rank 0's seconds in the worker (pipeline.train.loop.SECONDS), summed over resumes
        "loop_seconds": progress.get("seconds", {}),
    }

    def fill(folder: Path) -> None:
        final.export(folder)
        (folder / RUN_FILE).write_text(json.dumps(summary, indent=1) + "\n")
        (folder / HISTORY_FILE).write_text(json.dumps(progress["history"], indent=1) + "\n")

    replace_folder(Path(prepared.train.output), fill)
    return summary
