"""Whether a process id still runs: how leftovers of killed runs are told from live work.

Temp files and staging folders carry their writer's pid in their name; a later run removes
those whose writer is gone (SIGKILL leaves them behind) and leaves a live writer's alone.
"""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or not a pid at all
        return True
    return True
