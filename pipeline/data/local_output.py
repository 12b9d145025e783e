"""A local output folder's staging, its swap into place, and cleanup after killed runs.

Why a staging folder: a run writes into ``.<name>.tmp-<pid>`` beside the output and renames it
into place only once the manifest is written, so a failed run never leaves a half output. A run
killed with SIGKILL cannot remove its staging folder; the next run does, telling it by name and
by its process id being gone (a live process's folder is left alone: it may still be writing).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from pipeline.io.processes import process_alive

log = logging.getLogger(__name__)


def staging_folder(final: Path) -> Path:
    """This process's staging folder for the output folder `final`."""
    return final.parent / f".{final.name}.tmp-{os.getpid()}"


def remove_abandoned_staging(final: Path) -> None:
    """Remove the ``.<name>.tmp-<pid>`` folders beside `final` whose process no longer runs."""
    prefix = f".{final.name}.tmp-"
    for entry in sorted(final.parent.iterdir()):
        pid = entry.name[len(prefix) :]
        if not entry.name.startswith(prefix) or not pid.isdigit() or process_alive(int(pid)):
            continue
        log.warning("removing %s, left by prepare process %s that is no longer running", entry, pid)
        shutil.rmtree(entry, ignore_errors=True)


def swap_into_place(staging: Path, final: Path, owned: set[str]) -> None:
    """Replace `final` by `staging` with two renames, then delete the old output's `owned` files.

    The old folder is removed only once empty: a file that appeared in it since the ownership
    check is kept (with a warning) rather than deleted.
    """
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if not old.exists():
        return
    for name in owned:
        (old / name).unlink(missing_ok=True)
    try:
        old.rmdir()
    except OSError:
        log.warning("kept %s: it holds files that prepare did not write", old)
