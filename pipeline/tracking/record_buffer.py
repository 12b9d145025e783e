"""Metric points, tags and image grids on their way to MLflow: kept in order until acknowledged.

Why: a training run outlives its tracking server's restarts. Logging straight through
`MlflowClient` either raises into the training loop or (MLflow's own HTTP retries) blocks it
for minutes. Here every record waits in a FIFO until a send of it returned; a failed send keeps
it and the next try waits a jittered, doubling delay (1 s .. 30 s), checked without sleeping on
each new record, so the loop never waits on a dead server for more than one short request.

Never twice: a record leaves the queue only after its send returned, and a metric point keeps
the (key, value, timestamp, step) it was given when logged. A send that failed after the server
had stored it (a timeout) is sent again with the same identity, and MLflow's stores skip a point
whose primary key (key, timestamp, step, value) already exists — so a resend adds nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from mlflow.entities import Metric, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from pipeline.io.os_faults import describe, storage_fault

log = logging.getLogger("pipeline.tracking")

BATCH_LIMIT = 1000  # MLflow's log_batch accepts at most 1000 metrics (and 1000 entities)
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# One short request per try: a refused connection fails at once, a hung server within the timeout.
QUICK_HTTP = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


@dataclass(frozen=True)
class PendingImage:
    """An image grid not yet logged: MLflow's image key, training step, time (ms), PIL image."""

    key: str
    step: int
    timestamp: int
    image: Any


@dataclass(frozen=True)
class FinalStatus:
    """The run's end (FINISHED, FAILED, KILLED): queued last, so it follows every record."""

    status: str


Record = Metric | RunTag | PendingImage | FinalStatus


@contextlib.contextmanager
def quick_http() -> Iterator[None]:
    """MLflow's REST client without its own retries and with a 5 s timeout, for this block.

    Settings the user exported win; the values are restored afterwards, so other calls of this
    process (the final model upload) keep MLflow's patient defaults.
    """
    saved = {name: os.environ.get(name) for name in QUICK_HTTP}
    for name, value in QUICK_HTTP.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


class RecordBuffer:
    """The FIFO of one run's unsent records and the backoff between tries to send them."""

    def __init__(
        self,
        client: MlflowClient,
        run_id: str,
        clock: Callable[[], float] = time.monotonic,
        first_delay_s: float = FIRST_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
    ) -> None:
        self.client, self.run_id, self.clock = client, run_id, clock
        self.first_delay_s, self.max_delay_s = first_delay_s, max_delay_s
        self.pending: deque[Record] = deque()
        self.refused: list[Record] = []  # answered 4xx: never logged, listed as missing
        self.down_since: float | None = None  # clock() of the first failed send of this outage
        self.last_error = ""
        self._delay = first_delay_s
        self._next_try = 0.0

    def add(self, records: list[Record]) -> None:
        """Queue `records` behind every earlier one and try to send, unless backing off."""
        self.pending.extend(records)
        if self.clock() >= self._next_try:
            self.send()

    def send(self) -> bool:
        """One pass over the queue, oldest first, stopping at the first failed request.

        Returns True when the queue is empty. Never raises: a failure starts or extends the
        backoff and is logged (a warning when an outage starts, debug while it lasts).
        """
        with quick_http():
            while self.pending:
                chunk = self._next_chunk()
                try:
                    self._send_chunk(chunk)
                except Exception as err:  # noqa: BLE001 — a tracking error must never stop training
                    fault = storage_fault(err)
                    if fault is None and not _refused(err):
                        self._failed(err)
                        return False
                    # Refused for what it is (4xx), or a local artifact store that cannot be
                    # written (full, read-only): resending cannot help now and would block
                    # every later record, so set aside, written with the missing records.
                    why = str(err) if fault is None else self._describe(fault)
                    log.warning("MLflow refused %d record(s) of run %s: %s", len(chunk),
                                self.run_id, why)  # fmt: skip
                    self.refused.extend(chunk)
                    self.last_error = why
                for _ in chunk:
                    self.pending.popleft()  # acknowledged: never sent again
        if self.down_since is not None:
            log.warning(
                "MLflow reachable again after %.0f s; every record kept meanwhile is logged",
                self.clock() - self.down_since,
            )
        self.down_since, self._delay, self._next_try = None, self.first_delay_s, 0.0
        return True

    def drain(self, deadline: float) -> bool:
        """Send until the queue is empty or `deadline` (clock time) passes; at least one try.

        Sleeps through the backoff between tries. Returns True when everything was logged.
        """
        while not self.send():
            wait = min(self._next_try, deadline) - self.clock()
            if self.clock() >= deadline:
                return False
            time.sleep(max(wait, 0.0))
        return True

    def down_for(self) -> float:
        """Seconds since the first failed send of the current outage (0 when none)."""
        return 0.0 if self.down_since is None else self.clock() - self.down_since

    def _next_chunk(self) -> list[Record]:
        """The oldest record alone, or the longest run of records of its kind (up to the limit)."""
        first = self.pending[0]
        if isinstance(first, PendingImage | FinalStatus):
            return [first]
        chunk = []
        for record in self.pending:
            if type(record) is not type(first) or len(chunk) == BATCH_LIMIT:
                break
            chunk.append(record)
        return chunk

    def _send_chunk(self, chunk: list[Record]) -> None:
        first = chunk[0]
        if isinstance(first, Metric):
            self.client.log_batch(self.run_id, metrics=chunk)
        elif isinstance(first, RunTag):
            self.client.log_batch(self.run_id, tags=chunk)
        elif isinstance(first, FinalStatus):
            self.client.set_terminated(self.run_id, first.status)
        else:
            self.client.log_image(
                self.run_id, first.image, key=first.key, step=first.step,
                timestamp=first.timestamp, synchronous=True,
            )  # fmt: skip

    def _describe(self, fault: OSError) -> str:
        """`PATH: problem`; MLflow's image writer names no file, so the run's artifact folder."""
        if fault.filename is None:
            try:
                uri = urlparse(self.client.get_run(self.run_id).info.artifact_uri)
                fault = OSError(
                    fault.errno, fault.strerror, uri.path if uri.scheme == "file" else uri.geturl()
                )
            except Exception:  # noqa: BLE001 — the message only; "(path not reported)" then
                pass
        return describe(fault)

    def _failed(self, err: Exception) -> None:
        now = self.clock()
        self.last_error = f"{type(err).__name__}: {str(err)[:300]}"
        if self.down_since is None:
            self.down_since = now
            log.warning(
                "MLflow: could not log to run %s (%s); training continues, %d record(s) kept "
                "and retried with backoff", self.run_id, self.last_error, len(self.pending),
            )  # fmt: skip
        else:
            log.debug("MLflow still unreachable (%s); %d pending", err, len(self.pending))
        self._next_try = now + self._delay * random.uniform(0.5, 1.5)
        self._delay = min(self._delay * 2, self.max_delay_s)


def _refused(err: Exception) -> bool:
    """True for a server's 4xx answer about the request (not 408/429: those are worth a retry)."""
    if not isinstance(err, MlflowException):
        return False
    status = err.get_http_status_code()
    return 400 <= status < 500 and status not in (408, 429)
