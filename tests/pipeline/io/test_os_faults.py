"""Storage faults are found however deeply they are wrapped, and a stage prints one line."""

from __future__ import annotations

import errno
import logging

import pytest

from pipeline.io.os_faults import (
    EXIT_STORAGE_FAULT,
    describe,
    names_storage_faults,
    storage_fault,
)

log = logging.getLogger("tests.os_faults")


def _full(path: str = "/data/shard.parquet") -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", path)


class FakeRayTaskError(RuntimeError):
    """As Ray's RayTaskError: the worker's exception is its `cause`, not its `__cause__`."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("worker died")
        self.cause = cause


class FakeWorkerGroupError(RuntimeError):
    """As Ray Train v2's WorkerGroupError: each rank's exception in `worker_failures`."""

    def __init__(self, failures: dict[int, BaseException]) -> None:
        super().__init__("training failed")
        self.worker_failures = failures


def test_a_fault_is_found_through_causes_contexts_and_rays_wrappers() -> None:
    full = _full()
    try:
        try:
            raise full
        except OSError as err:
            raise RuntimeError("export failed") from err
    except RuntimeError as outer:
        assert storage_fault(outer) is full
    assert storage_fault(FakeRayTaskError(full)) is full
    assert storage_fault(FakeWorkerGroupError({0: ValueError("x"), 1: full})) is full
    assert storage_fault(ValueError("bad key")) is None
    assert storage_fault(OSError(errno.ENOENT, "No such file", "/x")) is None  # not a write fault


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "no space left on device"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.EDQUOT, "disk quota exceeded"),
    ],
)
def test_the_message_names_the_path_and_the_problem(code: int, words: str) -> None:
    assert describe(OSError(code, "strerror", "/out/metrics.json")) == f"/out/metrics.json: {words}"
    renamed = describe(OSError(code, "strerror", "/out/.a.staging", None, "/out/a"))
    assert renamed == f"/out/.a.staging -> /out/a: {words}"


def test_a_stage_main_exits_2_with_one_line_and_other_errors_keep_their_traceback(caplog) -> None:
    @names_storage_faults(log)
    def full_disk_main(argv: list[str] | None = None) -> int:
        raise RuntimeError("Ray run failed") from _full("/ckpt/checkpoint_000002/trainer_state.pt")

    @names_storage_faults(log)
    def buggy_main(argv: list[str] | None = None) -> int:
        raise KeyError("bug")

    with caplog.at_level(logging.ERROR):
        assert full_disk_main([]) == EXIT_STORAGE_FAULT
    [record] = caplog.records
    assert record.getMessage() == "/ckpt/checkpoint_000002/trainer_state.pt: no space left on device"
    assert record.exc_info is None  # no traceback
    with pytest.raises(KeyError):
        buggy_main([])
