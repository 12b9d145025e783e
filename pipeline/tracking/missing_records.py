"""The file of tracking records a run could not deliver: what is missing, and how to send it.

Why a file: when the tracking server stays down past `tracking.outage_grace_s`, the run still
finishes its training and keeps its checkpoints and outputs; the metric points, tags, image
grids and final status it could not log are written here, beside the run's output, so a person
can see exactly what the MLflow run lacks and re-log it later with
`python -m pipeline.tracking.relog FILE` (which keeps each point's original step and timestamp,
so points the server did get are not doubled).

Format (JSON): run_id, tracking_uri (redacted), why, relog (the command), metrics (key, value,
timestamp ms, step[, model_id, dataset_name, dataset_digest]), tags {key: value}, images (key,
step, timestamp, file: a PNG in the `<name>.images/` folder beside it), status (or null).
A second writer for the same run (the driver after the worker) merges into the same file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlflow.entities import Metric, RunTag

from pipeline.io.atomic import write_atomic
from pipeline.tracking.record_buffer import FinalStatus, PendingImage, Record
from pipeline.tracking.redaction import redact_uri

RELOG_COMMAND = "python -m pipeline.tracking.relog"


def missing_records_path(beside: str | Path, run_id: str) -> Path:
    """`<beside>.mlflow-missing-<run_id>.json`: next to a run's output (or any path prefix)."""
    beside = Path(beside)
    return beside.with_name(f"{beside.name}.mlflow-missing-{run_id}.json").absolute()


def write_missing_records(
    path: Path,
    run_id: str,
    tracking_uri: str,
    records: list[Record],
    why: str,
) -> dict[str, int]:
    """Add `records` to the file at `path` (creating it); the counts added, by kind."""
    content = read_missing_records(path) if path.exists() else _empty(run_id, tracking_uri)
    content["why"] = why
    images_dir = path.with_name(path.name.removesuffix(".json") + ".images")
    counts = {"metrics": 0, "tags": 0, "images": 0, "status": 0}
    for record in records:
        if isinstance(record, Metric):
            content["metrics"].append(_metric_dict(record))
            counts["metrics"] += 1
        elif isinstance(record, RunTag):
            content["tags"][record.key] = record.value
            counts["tags"] += 1
        elif isinstance(record, FinalStatus):
            content["status"] = record.status
            counts["status"] += 1
        else:
            content["images"].append(_save_image(record, images_dir))
            counts["images"] += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content, indent=1) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text))
    return counts


def read_missing_records(path: Path) -> dict[str, Any]:
    """The file's content as written by `write_missing_records`."""
    return json.loads(Path(path).read_text())


def _empty(run_id: str, tracking_uri: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "tracking_uri": redact_uri(tracking_uri),
        "why": "",
        "relog": f"{RELOG_COMMAND} FILE [--tracking-uri URI]",
        "metrics": [],
        "tags": {},
        "images": [],
        "status": None,
    }


def _metric_dict(metric: Metric) -> dict[str, Any]:
    entry = {"key": metric.key, "value": metric.value, "timestamp": metric.timestamp,
             "step": metric.step}  # fmt: skip
    for name in ("model_id", "dataset_name", "dataset_digest"):
        if getattr(metric, name, None):
            entry[name] = getattr(metric, name)
    return entry


def _save_image(image: PendingImage, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", image.key)
    name = f"{key}-step{image.step:08d}-{image.timestamp}.png"
    image.image.save(folder / name)
    return {"key": image.key, "step": image.step, "timestamp": image.timestamp,
            "file": f"{folder.name}/{name}"}  # fmt: skip
