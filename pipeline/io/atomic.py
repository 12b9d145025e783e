"""All-or-nothing writes: a file under a temporary name then renamed, a folder built beside the
old one then swapped in. A crash mid-write never leaves a truncated file or a half-filled
folder under the real name, and a failed run never replaces the last good output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, write: Any) -> None:
    """Call `write(tmp_path)` then rename tmp_path to `path` (same folder, so rename is atomic)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(target: Path, fill: Any) -> None:
    """Build a new `target` with `fill(tmp_folder)`, then swap it in for the old one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging")
    retired = target.with_name(f".{target.name}.old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
