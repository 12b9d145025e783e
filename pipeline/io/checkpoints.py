"""The files of one training checkpoint: the trainer state and its progress record.

A checkpoint folder holds `trainer_state.pt` (`UnitTrainer.state_dict()`, loadable with
`torch.load(weights_only=True)`) and `progress.json` (step, the MLflow run id, the logged loss
history). Each file is written atomically (`pipeline.io.atomic`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from pipeline.io.atomic import write_atomic

STATE_FILE = "trainer_state.pt"
PROGRESS_FILE = "progress.json"


def save_checkpoint(folder: Path, trainer_state: dict[str, Any], progress: dict[str, Any]) -> None:
    """Write a checkpoint into `folder` (which must exist)."""
    write_atomic(folder / STATE_FILE, lambda tmp: save_tensors(trainer_state, tmp))
    write_atomic(folder / PROGRESS_FILE, lambda tmp: tmp.write_text(json.dumps(progress, indent=1)))


def save_tensors(obj: Any, path: Path | str) -> None:
    """`torch.save(obj)` into `path` through a Python file object.

    Why not `torch.save(obj, path)`: given a path, torch writes from C++ and a full disk is a
    RuntimeError ("unexpected pos …") without errno or path; through a file object it is
    OSError(ENOSPC), re-raised naming `path` for `pipeline.io.os_faults` to tell in one line.
    """
    try:
        with open(path, "wb") as handle:
            torch.save(obj, handle)
    except (OSError, RuntimeError) as err:  # RuntimeError: torch's closing record after it
        failed = err if isinstance(err, OSError) else err.__context__
        if not isinstance(failed, OSError) or failed.errno is None:
            raise
        raise type(failed)(failed.errno, failed.strerror, str(path)) from failed


def load_checkpoint(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trainer_state, progress) from a folder `save_checkpoint` wrote; ValueError naming the file."""
    state_path, progress_path = folder / STATE_FILE, folder / PROGRESS_FILE
    for path in (state_path, progress_path):
        if not path.is_file():
            raise ValueError(f"{path}: checkpoint file missing")
    try:
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        progress = json.loads(progress_path.read_text())
    except Exception as err:  # torch.load of a truncated file raises assorted types
        raise ValueError(f"{folder}: unreadable checkpoint ({err})") from err
    return state, progress
