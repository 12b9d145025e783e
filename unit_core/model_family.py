"""Model families behind one name: `model.family` in a params section picks UNIT or MUNIT.

Why a registry: the pipeline (tasks, weights files, `pipeline translate`) must build the right
config, translator and trainer from a plain dict or a saved file without an `if` per family
at each call site. A dict without `model.family` is UNIT (files written before MUNIT existed).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from unit_core.munit.config import MunitConfig
from unit_core.munit.trainer import MunitTrainer
from unit_core.munit.translator import MunitTranslator
from unit_core.typed_config import ConfigError
from unit_core.unit.config import UnitConfig
from unit_core.unit.trainer import UnitTrainer
from unit_core.unit.translator import UnitTranslator

# family -> (config type, translator type, trainer type)
FAMILIES: dict[str, tuple[Any, Any, Any]] = {
    "unit": (UnitConfig, UnitTranslator, UnitTrainer),
    "munit": (MunitConfig, MunitTranslator, MunitTrainer),
}


def family_of(data: dict[str, Any] | None, prefix: str = "") -> str:
    """The `model.family` of a config dict (default `unit`); ConfigError if unknown."""
    family = ((data or {}).get("model") or {}).get("family", "unit")
    if family not in FAMILIES:
        raise ConfigError(
            f"{prefix}model.family", f"must be one of {list(FAMILIES)}, got {family!r}"
        )
    return family


def config_from_dict(data: dict[str, Any] | None, prefix: str = "") -> Any:
    """`UnitConfig` or `MunitConfig`, by `model.family`."""
    config_type, _, _ = FAMILIES[family_of(data, prefix)]
    return config_type.from_dict(data, prefix=prefix)


def build_translator(cfg: Any) -> nn.Module:
    """A fresh translator (E and G of both domains) for a config of either family."""
    _, translator_type, _ = FAMILIES[cfg.model.family]
    return translator_type(cfg.model)


def build_trainer(cfg: Any, device: Any = "cpu") -> Any:
    """`UnitTrainer` or `MunitTrainer` for a config of either family."""
    _, _, trainer_type = FAMILIES[cfg.model.family]
    return trainer_type(cfg, device)
