"""The exported domain-adaptation model file (`adaptation.pt`): format, writing, reading.

One `torch.save` of plain tensors and dicts (loaded with `weights_only=True`, so a registry model
cannot run foreign code): the format number, the `DaConfig` as a dict (`da_config`), and the
final state of the adapting trainer (`da`: `DaTrainer.state_dict()`) and of the source-only
baseline (`baseline`). Why here, in `io`: the training task writes it, the evaluation reads it,
and `pipeline.tracking` logs and loads it as the adapted classifier, which may not import tasks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pipeline.io.checkpoints import save_tensors
from unit_core.da.classifier import AdaptedClassifier
from unit_core.da.config import DaConfig
from unit_core.da.discriminator import DaDiscriminatorPair
from unit_core.typed_config import ConfigError

MODEL_FORMAT = 1


def save_adaptation(cfg: DaConfig, state: dict[str, Any], path: str | Path) -> None:
    """Write `cfg` and the final `state` ({"da": …, "baseline": …}) to `path`."""
    payload = {"format": MODEL_FORMAT, "da_config": cfg.to_dict(), **state}
    save_tensors(payload, path)  # a full disk: OSError naming the file


def read_adaptation(path: str | Path) -> tuple[DaConfig, dict[str, Any]]:
    """(config, state with "da" and "baseline") from a file `save_adaptation` wrote.

    ValueError naming `path` when it is unreadable, another format or not an adaptation model
    (a translator's weights file, say).
    """
    try:
        payload: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises assorted types on a damaged file
        raise ValueError(f"{path}: unreadable adaptation model ({err})") from err
    if not isinstance(payload, dict) or "da_config" not in payload:
        raise ValueError(f"{path}: not a domain-adaptation model file")
    if payload.get("format") != MODEL_FORMAT:
        raise ValueError(
            f"{path}: adaptation model format {payload.get('format')!r}, expected {MODEL_FORMAT}"
        )
    try:
        cfg = DaConfig.from_dict(payload["da_config"])
    except ConfigError as err:
        raise ValueError(f"{path}: {err}") from err
    return cfg, {k: v for k, v in payload.items() if k not in ("format", "da_config")}


def load_adapted_classifier(path: str | Path) -> AdaptedClassifier:
    """The adapted classifier (CPU, eval mode) of an `adaptation.pt`: its evaluation weights.

    Those are the EMA discriminators when the config's `optimizer.ema_decay` is on, as
    `DaTrainer.eval_discriminators`; the baseline and the translator are not needed.
    """
    cfg, state = read_adaptation(path)
    trainer_state = state["da"]
    if cfg.optimizer.ema_decay > 0:
        if "ema_discriminators" not in trainer_state:
            raise ValueError(f"{path}: no EMA weights but the config's ema_decay is on")
        weights = trainer_state["ema_discriminators"]["weights"]
    else:
        weights = trainer_state["discriminators"]
    discriminators = DaDiscriminatorPair(cfg.model)
    try:
        discriminators.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"{path}: weights do not fit the DA discriminators") from err
    return AdaptedClassifier(cfg, discriminators)
