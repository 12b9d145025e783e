"""Tiny seeded UNIT configs and batches so unit tests run in well under a second each."""

from __future__ import annotations

from typing import Any

import torch

from unit_core.unit.config import UnitConfig


def tiny_config(**model: Any) -> UnitConfig:
    """A 16x16, 4-channel-wide UNIT; override model keys, or pass loss=/optimizer= dicts."""
    loss = model.pop("loss", {})
    optimizer = model.pop("optimizer", {})
    seed = model.pop("seed", 0)
    base = {"image_size": 16, "base_channels": 4, "dis_base_channels": 4, "dis_layers": 3}
    return UnitConfig.from_dict(
        {"model": {**base, **model}, "loss": loss, "optimizer": optimizer, "seed": seed}
    )


def tiny_batch(cfg: UnitConfig, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic batches (x_a, x_b) in [-1, 1] with smooth structure (learnable quickly)."""
    g = torch.Generator().manual_seed(seed)
    m = cfg.model
    coarse_a = torch.rand(batch, m.channels_a, 4, 4, generator=g) * 2 - 1
    coarse_b = torch.rand(batch, m.channels_b, 4, 4, generator=g) * 2 - 1
    up = torch.nn.functional.interpolate
    size = (m.image_size, m.image_size)
    return up(coarse_a, size=size, mode="bilinear"), up(coarse_b, size=size, mode="bilinear")


def parameter_copies(module: torch.nn.Module) -> list[torch.Tensor]:
    """Detached copies of `module`'s parameters, to compare before and after a step."""
    return [p.detach().clone() for p in module.parameters()]
