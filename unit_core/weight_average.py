"""An exponential moving average (EMA) of a trainer's weights, used for evaluation and export.

Why: with the short, high-learning-rate CPU schedules the live weights of a GAN oscillate from
step to step (the diagnosis in docs/training_quality.md: the adapted target accuracy swung
between 0.27 and 0.42 over steps 100-700). Averaging the weights over the last ~1/(1 - decay)
steps evaluates the centre of that oscillation instead of wherever the last step landed, as
imaginaire and most modern GAN code do. The average never feeds back into training.

Early on the average would be dominated by the random initial weights, so the decay ramps up
as min(decay, (1 + n) / (10 + n)) after n updates (the TensorFlow ExponentialMovingAverage
rule): the first updates follow the live weights closely.

Buffers (batch-norm running statistics) are copied from the live module, not averaged: they
are already running averages of the live network's activations.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """An EMA copy of `module`: after each `update()`, p_avg <- decay * p_avg + (1 - decay) * p."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(module).requires_grad_(False).eval()
        self.updates = 0

    @torch.no_grad()
    def update(self, live: nn.Module) -> None:
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        self.updates += 1
        for averaged, current in zip(self.module.parameters(), live.parameters(), strict=True):
            averaged.lerp_(current.detach(), 1.0 - decay)
        for averaged, current in zip(self.module.buffers(), live.buffers(), strict=True):
            averaged.copy_(current)

    def state_dict(self) -> dict[str, object]:
        return {"updates": self.updates, "weights": self.module.state_dict()}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.updates = int(state["updates"])
        self.module.load_state_dict(state["weights"])
