"""Tiny seeded DA configs and a synthetic two-domain labelled digit-like set."""

from __future__ import annotations

from typing import Any

import torch

from unit_core.da.config import DaConfig


def tiny_da_config(**model: Any) -> DaConfig:
    """An 8-channel-wide DA model on 32x32 grey images; pass loss=, optimizer=, seed=, source_domain=."""
    top = {k: model.pop(k) for k in ("loss", "optimizer", "seed", "source_domain") if k in model}
    base = {"base_channels": 8, "latent_channels": 16, "dis_base_channels": 8, "num_classes": 4}
    return DaConfig.from_dict({"model": {**base, **model}, **top})


def pattern_digits(
    n: int, num_classes: int, channels: int = 1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (n, C, 32, 32) in [-1, 1]: class k is a bright 10x10 square in cell k of a 2x2 grid
    (classes beyond 4 add a centre bar), shifted by up to 2 px, on a dark noisy background."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    x = torch.full((n, channels, 32, 32), -1.0)
    shifts = torch.randint(-2, 3, (n, 2), generator=g)
    for i, (k, (dy, dx)) in enumerate(zip(labels.tolist(), shifts.tolist(), strict=True)):
        row, col = 3 + 16 * ((k % 4) // 2) + dy, 3 + 16 * (k % 2) + dx
        x[i, :, row : row + 10, col : col + 10] = 1.0
        if k >= 4:
            x[i, :, 14:18, 4:28] = 1.0
    x = x + 0.1 * torch.randn(x.shape, generator=g)
    return x.clamp(-1, 1), labels


def two_domains(
    n: int, num_classes: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_a, labels_a, x_b, labels_b): domain b is domain a's pattern family, inverted."""
    x_a, y_a = pattern_digits(n, num_classes, seed=seed)
    x_b, y_b = pattern_digits(n, num_classes, seed=seed + 1000)
    return x_a, y_a, -x_b, y_b
