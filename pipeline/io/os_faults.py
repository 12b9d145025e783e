"""A full disk, a read-only file system or a refused write, told in one line by every stage.

Why: a long run that meets a full disk should end saying which path and what is wrong, with a
non-zero exit, not in a traceback a user has to read from the bottom up. Every stage's `main`
is wrapped in `names_storage_faults`; the writers make sure the error names the file that was
being written (`pipeline.io.atomic` names the final path, never its temporary name) and leave
nothing half-written behind.

Ray wraps a worker's error (`TrainingFailedError` → the worker's exception, or a `RayTaskError`
whose `cause` is it), so the error's whole chain is searched, not only its outer type.
"""

from __future__ import annotations

import errno
import functools
import logging
from collections.abc import Callable, Iterator

# errno -> the words of the one-line message
PROBLEMS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied (operation not permitted)",
}
EXIT_STORAGE_FAULT = 2  # the stages' exit status for bad data or config: nothing usable written


def storage_fault(err: BaseException) -> OSError | None:
    """The first OSError with an errno of PROBLEMS in `err` or anything it wraps, else None."""
    for candidate in _chain(err):
        if isinstance(candidate, OSError) and candidate.errno in PROBLEMS:
            return candidate
    return None


def describe(fault: OSError) -> str:
    """`PATH: problem` for an OSError of PROBLEMS (`A -> B: problem` for a failed rename)."""
    where = "(path not reported)" if fault.filename is None else str(fault.filename)
    if fault.filename2 is not None:
        where += f" -> {fault.filename2}"
    return f"{where}: {PROBLEMS.get(fault.errno or 0, fault.strerror or 'write failed')}"


def names_storage_faults(log: logging.Logger) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Wrap a stage's `main(argv) -> int`: a storage fault is one error line and exit 2.

    Any other exception propagates unchanged (a bug should keep its traceback).
    """

    def wrap(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def stage_main(argv: list[str] | None = None) -> int:
            try:
                return main(argv)
            except Exception as err:
                fault = storage_fault(err)
                if fault is None:
                    raise
                log.error("%s", describe(fault))
                return EXIT_STORAGE_FAULT

        return stage_main

    return wrap


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err`, then breadth-first what it wraps: causes, contexts and Ray's wrapped errors."""
    queue: list[object] = [err]
    seen: set[int] = set()
    while queue:
        current = queue.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        queue += [current.__cause__, current.__context__]
        queue.append(getattr(current, "cause", None))  # ray.exceptions.RayTaskError
        queue.append(getattr(current, "controller_failure", None))  # Ray Train v2
        failures = getattr(current, "worker_failures", None)  # Ray Train v2 WorkerGroupError
        if isinstance(failures, dict):
            queue += list(failures.values())
