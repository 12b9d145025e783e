"""The one exception type of the tracking layer, so `unit-pipeline train` can catch it by name."""

from __future__ import annotations


class TrackingError(RuntimeError):
    """MLflow cannot be used as configured (unreachable server, unwritable store, unknown run)."""
