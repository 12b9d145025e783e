"""The Adam settings every model family shares, and the optimiser built from them.

Defaults are UNIT's and MUNIT's (lr 1e-4, betas (0.5, 0.999), weight decay 1e-4); the DA
config overrides lr and weight decay (`unit_core/da/config.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from unit_core.typed_config import TypedConfig, require


@dataclass(frozen=True)
class OptimizerConfig(TypedConfig):
    """Adam for E1, E2, G1, G2 together and for D1, D2 together."""

    lr: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    weight_decay: float = 1e-4
    # Beyond the paper (0 = off, as the paper): evaluate and export an exponential moving
    # average of the weights (unit_core/weight_average.py); e.g. 0.99 averages ~100 steps.
    ema_decay: float = 0.0
    # Beyond the paper (0 = off: D uses `lr`, as the paper): the discriminators' own learning
    # rate, a two-time-scale update (docs/training_quality.md: a 64px patch D at lr 1e-3 stayed
    # at chance, so G was never pushed to draw roads; at 2e-4 it separates real from fake maps).
    dis_lr: float = 0.0

    @property
    def discriminator_lr(self) -> float:
        return self.dis_lr if self.dis_lr > 0 else self.lr

    def validate(self, prefix: str = "") -> None:
        require(self.lr > 0, prefix + "lr", f"must be > 0, got {self.lr}")
        require(self.dis_lr >= 0, prefix + "dis_lr", f"must be >= 0 (0: same as lr), got {self.dis_lr}")
        require(
            self.ema_decay == 0 or 0 < self.ema_decay < 1,
            prefix + "ema_decay",
            f"must be 0 (off) or in (0, 1), got {self.ema_decay}",
        )
        for key in ("beta1", "beta2"):
            value = getattr(self, key)
            require(0 <= value < 1, prefix + key, f"must be in [0, 1), got {value}")
        require(
            self.weight_decay >= 0,
            prefix + "weight_decay",
            f"must be >= 0, got {self.weight_decay}",
        )


def adam(
    params: list[nn.Parameter], opt: OptimizerConfig, lr: float | None = None
) -> torch.optim.Adam:
    """Adam over `params` with `opt`'s betas and weight decay; `lr` replaces `opt.lr` (D's own)."""
    return torch.optim.Adam(
        params, lr=opt.lr if lr is None else lr, betas=(opt.beta1, opt.beta2),
        weight_decay=opt.weight_decay,
    )
