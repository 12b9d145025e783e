"""The `tracking:` section of params.yaml and how its tracking URI is resolved.

Why resolve once, in the driver: `sqlite:///mlflow.db` is relative to the *current directory*.
DVC runs stages from the repo root, so that default lands in the repo — but Ray Train workers may
run elsewhere (`ray job submit --working-dir .` unpacks the code into a temporary directory), and
a relative path there would write a database nobody ever sees. `resolve_tracking_uri` turns it
into an absolute `sqlite:////abs/path/mlflow.db` before the URI is handed to the workers.
`MLFLOW_TRACKING_URI`, when set, wins over params.yaml (the MLflow convention, and how a cluster
points every job at its tracking server without editing params).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from unit_core.typed_config import TypedConfig, require

SQLITE_PREFIX = "sqlite:///"
DEFAULT_TRACKING_URI = SQLITE_PREFIX + "mlflow.db"


@dataclass(frozen=True)
class TrackingConfig(TypedConfig):
    """Where and how a training run is tracked (params.yaml `tracking:` section)."""

    default_prefix: ClassVar[str] = "tracking."

    tracking_uri: str = DEFAULT_TRACKING_URI  # relative sqlite paths resolve against the cwd
    experiment: str = "unit"
    registered_model: str = "unit-translator"
    log_every: int = 50  # training steps between metric logs
    images_every: int = 500  # training steps between translation image grids
    # The metric of `evaluate`'s metrics.json that decides @champion: a validation metric,
    # never a test one (choosing by the test split would bias the reported test number).
    champion_metric: str = "val_pixel_accuracy"
    champion_higher_is_better: bool = True
    # How long a tracking outage may last at the end of a run (and past which it is reported):
    # records kept meanwhile are delivered when the server returns, else written to a
    # `*.mlflow-missing-<run id>.json` file beside the output (pipeline/tracking/missing_records.py).
    outage_grace_s: float = 300.0
    # The longest wait between two tries to reach a down server (the waits double from 1 s up
    # to this). Lower it where the server comes back quickly and the run is short: a run that
    # finished while backing off waits out the remaining delay before its last records go.
    retry_max_delay_s: float = 30.0

    def validate(self, prefix: str = "") -> None:
        for key in ("tracking_uri", "experiment", "registered_model", "champion_metric"):
            require(bool(getattr(self, key).strip()), prefix + key, "must not be empty")
        for key in ("log_every", "images_every"):
            value = getattr(self, key)
            require(value >= 1, prefix + key, f"must be >= 1 step, got {value}")
        require(
            self.outage_grace_s >= 0,
            prefix + "outage_grace_s",
            f"must be >= 0 seconds, got {self.outage_grace_s}",
        )
        require(
            self.retry_max_delay_s >= 1,
            prefix + "retry_max_delay_s",
            f"must be >= 1 second (the first wait), got {self.retry_max_delay_s}",
        )
        require(
            self.champion_metric.startswith("val_"),
            prefix + "champion_metric",
            f"must be a validation metric (val_*), got {self.champion_metric!r}",
        )

    def resolved_uri(self, base_dir: str | Path | None = None) -> str:
        """`resolve_tracking_uri(self.tracking_uri, base_dir)`."""
        return resolve_tracking_uri(self.tracking_uri, base_dir)


def resolve_tracking_uri(uri: str, base_dir: str | Path | None = None) -> str:
    """The URI to use: `$MLFLOW_TRACKING_URI` if set, else `uri` with a relative sqlite path
    (or plain local path) made absolute against `base_dir` (default: the current directory)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or uri
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if uri.startswith(SQLITE_PREFIX):
        path = uri[len(SQLITE_PREFIX) :]
        # sqlite:////abs has a leading "/" left here; sqlite:///:memory: is not a file.
        if path and not path.startswith("/") and path != ":memory:":
            return SQLITE_PREFIX + str((base / path).resolve())
        return uri
    if "://" not in uri and not uri.startswith("file:"):
        return str((base / uri).resolve())  # a bare directory: MLflow's file store
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///…` URI, or None for any other store."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    path = uri[len(SQLITE_PREFIX) :]
    return None if path in ("", ":memory:") else Path(path)
