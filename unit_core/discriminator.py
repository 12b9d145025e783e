"""Patch discriminators D1, D2: a stack of LeakyReLU convs, optionally at several scales.

Each layer but the last is a 4x4 conv; it halves the map (stride 2) while the map is larger
than 4x4 and keeps it after that, so `dis_layers` 3..6 works for 32x32 digits and 256x256
photos alike. The last layer is a 3x3 conv to one real/fake logit per patch.
"""

from __future__ import annotations

from typing import Protocol

import torch.nn.functional as F
from torch import Tensor, nn


class DiscriminatorShape(Protocol):
    """The model keys the discriminators read: UNIT's `ModelConfig`, MUNIT's `MunitModelConfig`."""

    image_size: int
    channels_a: int
    channels_b: int
    dis_layers: int
    dis_scales: int
    dis_base_channels: int


class PatchDiscriminator(nn.Module):
    """One scale: (B, C, S, S) -> (B, 1, P, P) logits."""

    def __init__(self, in_ch: int, image_size: int, cfg: DiscriminatorShape) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch_in, ch_out, size = in_ch, cfg.dis_base_channels, image_size
        for _ in range(cfg.dis_layers - 1):
            stride = 2 if size > 4 else 1
            layers += [
                nn.Conv2d(ch_in, ch_out, 4, stride, padding=1, padding_mode="reflect")
                if stride == 2
                else nn.Conv2d(ch_in, ch_out, 3, 1, padding=1, padding_mode="reflect"),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            size //= stride
            ch_in, ch_out = ch_out, min(ch_out * 2, cfg.dis_base_channels * 8)
        layers.append(nn.Conv2d(ch_in, 1, 3, 1, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class MultiScaleDiscriminator(nn.Module):
    """`dis_scales` patch discriminators, scale k seeing the image average-pooled k times."""

    def __init__(self, in_ch: int, cfg: DiscriminatorShape) -> None:
        super().__init__()
        self.scales = nn.ModuleList(
            PatchDiscriminator(in_ch, cfg.image_size // 2**k, cfg) for k in range(cfg.dis_scales)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        logits = []
        for k, scale in enumerate(self.scales):
            if k > 0:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            logits.append(scale(x))
        return logits


class DiscriminatorPair(nn.Module):
    """D1 and D2 as one module so one DDP wrapper and one optimiser cover both."""

    def __init__(self, cfg: DiscriminatorShape) -> None:
        super().__init__()
        self.dis_a = MultiScaleDiscriminator(cfg.channels_a, cfg)
        self.dis_b = MultiScaleDiscriminator(cfg.channels_b, cfg)

    def forward(self, x_a: Tensor, x_b: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        return self.dis_a(x_a), self.dis_b(x_b)
