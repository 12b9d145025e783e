"""What `unit-pipeline train` leaves for DVC and `unit-pipeline evaluate`, written all-or-nothing.

`<train.output>/` (a DVC output) holds the task's model file (`translator.pt` or
`adaptation.pt`), `train_run.json` (run name, task, dataset, manifest sha256, final and selected
step) and `train_history.json` (the logged loss curves, a DVC plot): only what the same params,
code and data reproduce. The folder is written beside the old one and swapped in at the end, so
a failed run never replaces the last good model. What changes on every run (MLflow run id and
URIs, absolute paths, resumes, timings) goes to the untracked run record beside it,
`<train.output>.run.json` (`pipeline.io.run_outputs`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.io.atomic import replace_folder, write_atomic
from pipeline.io.checkpoints import load_checkpoint
from pipeline.io.os_faults import describe, storage_fault
from pipeline.io.run_outputs import HISTORY_FILE, RUN_FILE, run_record_path, split_history
from pipeline.tracking.reachability import check_tracking_reachable
from pipeline.tracking.redaction import redact_uri

if TYPE_CHECKING:
    from pipeline.tracking import TrainingRun
    from pipeline.train.run import PreparedRun

__all__ = ["HISTORY_FILE", "RUN_FILE", "export_outputs"]

log = logging.getLogger("pipeline.train")


def export_outputs(prepared: PreparedRun, result: Any, run: TrainingRun) -> dict[str, Any]:
    """Log the final checkpoint's model to MLflow; write `train.output` and its run record.

    Returns both merged (the record's per-window throughput left out), for the stage's stdout.
    No trainer is built.
    """
    if result.checkpoint is None:
        raise RuntimeError(f"Ray run {prepared.run_name} finished without a checkpoint")
    with result.checkpoint.as_directory() as folder:
        state, progress = load_checkpoint(Path(folder))
    final = prepared.task.final_model(prepared.model, state)  # no second trainer
    if final.step != prepared.train.steps:
        raise RuntimeError(
            f"final checkpoint is at step {final.step}, expected {prepared.train.steps}"
        )
    model_uri = _log_model(final, run, prepared.tracking_uri, prepared.train.output)
    curves, throughput = split_history(progress["history"])
    summary = {  # deterministic: the same params, code and data give the same file
        "run_name": prepared.run_name,  # a hash of params, code and data (run.run_name_for)
        "manifest_sha256": prepared.manifest_sha,
        "dataset": prepared.train.dataset,
        "task": prepared.train.task,
        "step": final.step,
        "num_workers": prepared.train.scaling.num_workers,
        "select": prepared.train.select,
        **final.selection,
    }
    record = {  # this run only: kept out of the DVC output
        "run_name": prepared.run_name,
        "step": final.step,
        "mlflow_run_id": run.run_id,
        "mlflow_tracking_uri": redact_uri(prepared.tracking_uri),
        "mlflow_model_uri": model_uri,
        "checkpoint": result.checkpoint.path,
        "storage_path": prepared.storage_path,
        "manifest": prepared.manifest_uri,
        # steps a worker group restarted from (worker failure or a resumed run), oldest first
        "resumed_from_steps": progress.get("resumed_from", []),
        # rank 0's seconds in the worker (pipeline.train.loop.SECONDS), summed over resumes
        "loop_seconds": progress.get("seconds", {}),
        "throughput": throughput,  # per logged window; the same values are in MLflow
    }

    def fill(folder: Path) -> None:
        final.export(folder)
        (folder / RUN_FILE).write_text(json.dumps(summary, indent=1) + "\n")
        (folder / HISTORY_FILE).write_text(json.dumps(curves, indent=1) + "\n")

    output = Path(prepared.train.output)
    replace_folder(output, fill)
    text = json.dumps(record, indent=1) + "\n"
    write_atomic(run_record_path(output), lambda tmp: tmp.write_text(text))
    return {**summary, **{k: v for k, v in record.items() if k != "throughput"}}


def _log_model(final: Any, run: TrainingRun, tracking_uri: str, output: str) -> str | None:
    """The model's MLflow URI, or None when the tracking server cannot take it now.

    Why not fail: training is done and its checkpoint kept; the output is still written, and
    running the same `unit-pipeline train` again resumes the finished Ray run at its final
    checkpoint, re-exports it and logs the model then. A probe first, so a down server costs
    seconds, not MLflow's minutes of HTTP retries.
    """
    try:
        check_tracking_reachable(tracking_uri)
        return final.log(run)
    except Exception as err:  # noqa: BLE001 — a tracking fault must not discard a trained model
        fault = storage_fault(err)  # a full or read-only local artifact store: name the path
        log.warning(
            "MLflow run %s: the model was not logged (%s); the exported model is in %s. Run the "
            "same `unit-pipeline train` again once the server is back to log it", run.run_id,
            err if fault is None else describe(fault), output,
        )  # fmt: skip
        return None
