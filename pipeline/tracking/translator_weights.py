"""Our own weights file for a trained translator: `torch.save` of plain tensors and dicts.

Why not a pickled module: `torch.load(weights_only=True)` refuses arbitrary pickles, so loading a
model from a shared registry cannot run foreign code, and the file survives refactors of our
classes. The file holds the translator `state_dict()` and `UnitConfig.to_dict()` — everything
needed to rebuild `UnitTranslator` (the discriminators are not needed for inference).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from unit_core.config import UnitConfig
from unit_core.translator import UnitTranslator

WEIGHTS_FORMAT = 1


def save_translator_weights(translator: UnitTranslator, cfg: UnitConfig, path: str | Path) -> None:
    """Write `translator`'s weights and `cfg` (tensors moved to CPU) to `path`."""
    state = {k: v.detach().cpu() for k, v in translator.state_dict().items()}
    torch.save({"format": WEIGHTS_FORMAT, "unit_config": cfg.to_dict(), "translator": state}, path)


def load_translator_weights(path: str | Path) -> tuple[UnitTranslator, UnitConfig]:
    """Rebuild the translator (CPU, eval mode) and its config from a file `save_…` wrote."""
    payload: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != WEIGHTS_FORMAT:
        raise ValueError(
            f"{path}: translator weights format {payload.get('format')!r}, "
            f"this code reads format {WEIGHTS_FORMAT}"
        )
    cfg = UnitConfig.from_dict(payload["unit_config"])
    translator = UnitTranslator(cfg.model)
    translator.load_state_dict(payload["translator"])
    return translator.eval(), cfg
