"""Our own weights file for a trained translator: `torch.save` of plain tensors and dicts.

Why not a pickled module: `torch.load(weights_only=True)` refuses arbitrary pickles, so loading a
model from a shared registry cannot run foreign code, and the file survives refactors of our
classes. The file holds the translator `state_dict()` and its config dict — everything needed to
rebuild the translator of either family (the discriminators are not needed for inference). The
config's `model.family` says which; files without it are UNIT.

`translator_from_trainer_state` rebuilds the same from a training checkpoint's trainer state,
so `unit-pipeline translate` also takes a checkpoint folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipeline.io.checkpoints import save_tensors
from unit_core.model_family import build_translator, config_from_dict
from unit_core.typed_config import ConfigError

WEIGHTS_FORMAT = 1


def save_translator_weights(translator: nn.Module, cfg: Any, path: str | Path) -> None:
    """Write `translator`'s weights and `cfg` (tensors moved to CPU) to `path`."""
    state = {k: v.detach().cpu() for k, v in translator.state_dict().items()}
    payload = {"format": WEIGHTS_FORMAT, "unit_config": cfg.to_dict(), "translator": state}
    save_tensors(payload, path)  # a full disk: OSError(ENOSPC), not torch's RuntimeError


def load_translator_weights(path: str | Path) -> tuple[nn.Module, Any]:
    """Rebuild (translator on CPU in eval mode, its config) from a file `save_…` wrote.

    ValueError naming `path` for a file that is not a translator weights file (a corrupt file,
    a domain-adaptation model, another format).
    """
    try:
        payload: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated or foreign file raises assorted types
        raise ValueError(f"{path}: not a readable translator weights file ({err})") from err
    if not isinstance(payload, dict):
        raise ValueError(f"{path}: not a translator weights file")
    if "da_config" in payload:
        raise ValueError(
            f"{path}: is a domain-adaptation model (classifier), not an image translator"
        )
    if payload.get("format") != WEIGHTS_FORMAT or "unit_config" not in payload:
        raise ValueError(
            f"{path}: translator weights format {payload.get('format')!r}, "
            f"this code reads format {WEIGHTS_FORMAT}"
        )
    return _rebuild(payload["unit_config"], payload["translator"], str(path))


def translator_from_trainer_state(state: dict[str, Any], where: str) -> tuple[nn.Module, Any]:
    """(translator, config) from a trainer `state_dict()` (a training checkpoint's state)."""
    if "da" in state and "baseline" in state:
        raise ValueError(f"{where}: is a domain-adaptation checkpoint, not an image translator")
    if "config" not in state or "translator" not in state:
        raise ValueError(f"{where}: not a translation trainer state")
    return _rebuild(state["config"], state["translator"], where)


def _rebuild(config: dict[str, Any], weights: dict[str, Any], where: str) -> tuple[nn.Module, Any]:
    try:
        cfg = config_from_dict(config)
    except ConfigError as err:
        raise ValueError(f"{where}: {err}") from err
    translator = build_translator(cfg)
    try:
        translator.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"{where}: weights do not fit a {cfg.model.family} translator") from err
    return translator.eval(), cfg
