"""The files of a training run's output folder (`<train.output>/`), read by evaluate and tools.

The folder is a DVC output, so it holds only what the same params, code and data reproduce:
the task's model file (named by the task: `translator.pt`, `adaptation.pt`), `RUN_FILE` (run
name, task, dataset, manifest sha256, final and selected step, workers) and `HISTORY_FILE` (the
logged loss and validation curves, a DVC plot). `pipeline.train.outputs` writes it
all-or-nothing.

What differs on every run goes to the run record beside the folder (`run_record_path`:
`outputs/translation.run.json`), which DVC does not track and git ignores: the MLflow run id,
tracking and model URIs, the checkpoint, storage and manifest locations (absolute paths), the
resumes, rank 0's loop seconds and the per-window throughput. In the folder they changed
dvc.lock on every `dvc repro` although the model was the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RUN_FILE = "train_run.json"
HISTORY_FILE = "train_history.json"
RUN_RECORD_SUFFIX = ".run.json"

# Machine timings logged with the losses (`pipeline.train.loop`): MLflow and the run record's
# `throughput` hold them, HISTORY_FILE does not.
TIMING_KEYS = ("images_per_s_per_worker", "images_per_s", "data_wait_fraction", "peak_rss_mb")


def run_record_path(output: str | Path) -> Path:
    """`outputs/translation` → `outputs/translation.run.json`: beside the DVC output, not in it."""
    output = Path(output)
    return output.with_name(output.name + RUN_RECORD_SUFFIX)


def split_history(
    history: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(curves without TIMING_KEYS, per-step rows of only `step` and the TIMING_KEYS present)."""
    curves = [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in history]
    timings = [
        {"step": row["step"], **{k: row[k] for k in TIMING_KEYS if k in row}}
        for row in history
        if any(k in row for k in TIMING_KEYS)
    ]
    return curves, timings


def load_trained(output: str | Path) -> dict[str, Any]:
    """RUN_FILE merged with the run record; ValueError naming the file that is missing or stale.

    A record whose run name or step differs from RUN_FILE's belongs to another training (a
    run whose record write failed, or an output restored by `dvc checkout`): its MLflow run
    id would point evaluation at the wrong run, so it is refused.
    """
    run_file, record_file = Path(output) / RUN_FILE, run_record_path(output)
    for path in (run_file, record_file):
        if not path.is_file():
            raise ValueError(f"{path}: missing (`unit-pipeline train` writes it)")
    trained, record = json.loads(run_file.read_text()), json.loads(record_file.read_text())
    for key in ("run_name", "step"):
        if record.get(key) != trained.get(key):
            raise ValueError(
                f"{record_file}: {key} {record.get(key)!r} is not the output's "
                f"{trained.get(key)!r} ({run_file}): from another training"
            )
    return {**trained, **record}
