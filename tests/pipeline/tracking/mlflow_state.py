"""Reset MLflow's process-global state between tests."""

from __future__ import annotations

import mlflow


def reset_mlflow_globals() -> None:
    """End leftover active runs and unset the global URI (MLflow mirrors it into the env)."""
    while mlflow.active_run() is not None:
        mlflow.end_run("KILLED")
    mlflow.set_tracking_uri(None)
