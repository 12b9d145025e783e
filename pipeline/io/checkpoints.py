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
    write_atomic(folder / STATE_FILE, lambda tmp: torch.save(trainer_state, tmp))
    write_atomic(folder / PROGRESS_FILE, lambda tmp: tmp.write_text(json.dumps(progress, indent=1)))


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
