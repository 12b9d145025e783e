"""Retry a best-effort MLflow write with short backoff; give up with a warning, never raise.

Why: MLflow's stores check then insert. Two Tune trials logging the same dataset at the same
moment against one sqlite store both see "no such dataset", both insert, and the loser fails with
`UNIQUE constraint failed: datasets.experiment_id, datasets.name, datasets.digest` (sqlite may
also answer "database is locked" under the same contention). After a lost race the row exists, so
the same write again simply links to it. And a tracking write that still fails is a lost line on
the run page, not a reason to fail a trial that has hours of training ahead: the caller continues.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("pipeline.tracking")

T = TypeVar("T")

ATTEMPTS = 5
FIRST_DELAY_S = 0.05  # doubling, jittered: ~0.75 s in all before giving up


def retry_tracking_write(
    write: Callable[[], T],
    what: str,
    attempts: int = ATTEMPTS,
    first_delay_s: float = FIRST_DELAY_S,
) -> T | None:
    """Call `write` up to `attempts` times; its result, or None after a warning naming `what`.

    Any exception counts as a failed try (the stores wrap IntegrityError and OperationalError in
    MlflowException; a REST store answers with its own): retried after `first_delay_s`, doubling,
    times a random factor in [0.5, 1.5) so racing writers do not collide again in step.
    """
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except Exception as err:  # noqa: BLE001 — a tracking write must never fail training
            if attempt == attempts:
                log.warning(
                    "MLflow: could not log %s after %d tries (%s: %s); training continues "
                    "without it", what, attempts, type(err).__name__, err,
                )  # fmt: skip
                return None
            log.debug("MLflow: logging %s failed (try %d), retrying: %s", what, attempt, err)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay *= 2
    return None  # attempts < 1: nothing was tried
