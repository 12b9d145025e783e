"""All-or-nothing writes: a file under a temporary name then renamed, a folder built beside the
old one then swapped in. A crash mid-write never leaves a truncated file or a half-filled
folder under the real name, and a failed run never replaces the last good output.

One file writer for every caller (`storage.write_bytes_atomic`, checkpoints, metrics.json): the
file ends with the mode a plain `open()` gives, 0o666 less the umask. `tempfile.mkstemp` would
leave 0o600, so a checkpoint or metrics file written by one user could not be read by a teammate
or a service reading the shared folder.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

# `.NAME.<pid>.<random>.tmp`: the pid lets a later run remove it if this one is killed
# (`storage.remove_abandoned_temp_files`)
TEMP_NAME = re.compile(r"\..+\.(?P<pid>\d+)\.[^.]+\.tmp")
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call `write(tmp_path)` then rename tmp_path to `path` (same folder, so rename is atomic).

    The temporary file is created empty, exclusively, with mode 0o666 for the kernel to apply
    the umask to — as `open()` does, and without reading the umask (`os.umask` sets it: racy
    under threads). On any failure the temporary file is removed, and an OSError (a full disk,
    a read-only file system) names `path`, not the temporary name nobody asked for.
    """
    try:
        tmp = _create_temp_file(path)
    except OSError as err:
        _raise_naming(err, path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError) and err.filename in (None, str(tmp), tmp):
            _raise_naming(err, path)
        raise


def _raise_naming(err: OSError, path: Path | str) -> NoReturn:
    """Raise `err` as the same OSError subclass naming `path` (`err` itself without an errno)."""
    if err.errno is None:
        raise err
    raise type(err)(err.errno, err.strerror, str(path)) from err


def _create_temp_file(path: Path) -> Path:
    """An empty new file `.NAME.<pid>.<random>.tmp` beside `path`, with open()'s mode."""
    for _ in range(100):  # 64 random bits: a clash is a stale file of a reused pid at most
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
        try:
            os.close(os.open(tmp, _OPEN_FLAGS, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def replace_folder(target: Path, fill: Any) -> None:
    """Build a new `target` with `fill(tmp_folder)`, then swap it in for the old one.

    On any failure the staging folder is removed and the old `target` is kept (put back if it
    was already moved aside); an OSError naming no file or a staged one names its final place
    under `target` instead.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging")
    retired = target.with_name(f".{target.name}.old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        staging.mkdir()
    except OSError as err:
        _raise_naming(err, target)
    try:
        fill(staging)
        _swap(staging, target, retired)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError):
            raise_naming_final(err, staging, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def raise_naming_final(err: OSError, staging: Path, final: Path) -> None:
    """Raise `err` naming the final place of the staged file it names (`final` for none).

    Why: the staging folder is gone once a run fails, so a message naming it would point at
    nothing; the user's question is which output could not be written. Returns when `err`
    names a file outside `staging` (the caller re-raises it unchanged).
    """
    staged = Path(err.filename) if isinstance(err.filename, str) else staging
    if staged == staging or staging in staged.parents:
        _raise_naming(err, final / staged.relative_to(staging))


def _swap(staging: Path, target: Path, retired: Path) -> None:
    """Rename `target` to `retired` and `staging` to `target`; undo the first if the second fails."""
    if target.exists():
        target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        if retired.exists() and not target.exists():
            retired.rename(target)
        raise
