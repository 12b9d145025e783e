"""Coupled discriminators D1, D2 for 32x32 digits, whose high-level layers are tied.

Per domain only the first layer (k x k conv, ReLU, 2x2 max pool: 32 -> 16; k = `dis_kernel`, 5
in the 2017 code). Tied: three more such layers (16 -> 8 -> 4 -> 2) with dropout, giving the
**top features** (N, 8d, 2, 2), d = `dis_base_channels`; then a real/fake head and a class head,
both 2x2 convs to 1x1. This is the 2017 DA code's layout. Because everything after the first
layer is shared, a class head trained on source images reads target images too, once the
target's first layer maps corresponding images to the same top features (the feature-matching
loss's job).

Each tied module runs once per pass on both domains' rows concatenated along the batch axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unit_core.da.config import DaModelConfig


def _conv_pool(in_ch: int, out_ch: int, kernel: int) -> nn.Sequential:
    """k x k conv (same padding), ReLU, 2x2 max pool: halves H and W."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, 1, kernel // 2), nn.ReLU(inplace=True), nn.MaxPool2d(2)
    )


class TiedDiscriminatorLayers(nn.Module):
    """(N, d, 16, 16) first-layer maps -> top features (N, 8d, 2, 2), dropout before each layer."""

    def __init__(self, d: int, dropout: tuple[float, ...], kernel: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            [
                _conv_pool(d, 2 * d, kernel),
                _conv_pool(2 * d, 4 * d, kernel),
                _conv_pool(4 * d, 8 * d, kernel),
            ]
        )
        self.dropout = tuple(dropout)

    def forward(self, h: Tensor, noisy_rows: int | None = None) -> Tensor:
        """Dropout (in training) applies to the first `noisy_rows` rows only (None: all).

        The feature-matching rows stay clean, as in the 2017 code: dropout noise on both sides of
        a squared difference would add a penalty on the features' own size.
        """
        h = self._drop(h, self.dropout[0], noisy_rows)
        for conv, rate in zip(self.convs, self.dropout[1:], strict=True):
            h = self._drop(conv(h), rate, noisy_rows)
        return h

    def _drop(self, h: Tensor, rate: float, noisy_rows: int | None) -> Tensor:
        if not self.training or rate == 0:
            return h
        if noisy_rows is None or noisy_rows >= len(h):
            return F.dropout(h, rate, training=True)
        return torch.cat([F.dropout(h[:noisy_rows], rate, training=True), h[noisy_rows:]])


@dataclass
class DaDiscriminatorOutputs:
    """One group of rows: top features (N, 8d, 2, 2), real/fake logits (N,), class logits (N, K)."""

    features: Tensor
    real_fake: Tensor
    class_logits: Tensor


class DaDiscriminatorPair(nn.Module):
    """D1 and D2 as one module (one DDP wrapper, one optimiser); tied layers are single modules."""

    def __init__(self, cfg: DaModelConfig) -> None:
        super().__init__()
        d = cfg.dis_base_channels
        self.front_a = _conv_pool(cfg.channels_a, d, cfg.dis_kernel)
        self.front_b = _conv_pool(cfg.channels_b, d, cfg.dis_kernel)
        if cfg.mirror_private_init:  # the target's first layer starts as the source's
            self.front_b.load_state_dict(self.front_a.state_dict())
        self.tied_layers = TiedDiscriminatorLayers(d, cfg.dropout, cfg.dis_kernel)
        self.real_fake_head = nn.Conv2d(8 * d, 1, 2)
        self.class_head = nn.Conv2d(8 * d, cfg.num_classes, 2)

    def front(self, domain: str) -> nn.Module:
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        return self.front_a if domain == "a" else self.front_b

    def forward(
        self,
        x_a: Tensor,
        x_b: Tensor,
        clean_a: Tensor | None = None,
        clean_b: Tensor | None = None,
    ) -> dict[str, DaDiscriminatorOutputs]:
        """D1 on x_a (+ clean_a), D2 on x_b (+ clean_b); one pass through the tied layers.

        Returns outputs keyed "a", "b" and, when given, "clean_a", "clean_b" (rows without
        dropout, for feature matching). Images are (N, C, 32, 32) in [-1, 1].
        """
        sizes = {"a": len(x_a), "b": len(x_b)}
        if clean_a is not None and clean_b is not None:
            h_a = self.front_a(torch.cat([x_a, clean_a]))
            h_b = self.front_b(torch.cat([x_b, clean_b]))
            sizes |= {"clean_a": len(clean_a), "clean_b": len(clean_b)}
        elif clean_a is None and clean_b is None:
            h_a, h_b = self.front_a(x_a), self.front_b(x_b)
        else:
            raise ValueError("give both clean_a and clean_b, or neither")
        n_a, n_b = sizes["a"], sizes["b"]
        rows = torch.cat([h_a[:n_a], h_b[:n_b], h_a[n_a:], h_b[n_b:]])
        features = self.tied_layers(rows, noisy_rows=n_a + n_b)
        real_fake = self.real_fake_head(features).flatten()
        class_logits = self.class_head(features).flatten(1)
        out, start = {}, 0
        for key, n in sizes.items():
            part = slice(start, start + n)
            out[key] = DaDiscriminatorOutputs(features[part], real_fake[part], class_logits[part])
            start += n
        return out

    def classify(self, x: Tensor, domain: str) -> Tensor:
        """Class logits (N, K) of images x (N, C_domain, 32, 32) through that domain's first layer."""
        return self.class_head(self.tied_layers(self.front(domain)(x))).flatten(1)


class DigitClassifier(nn.Module):
    """The same stack for one domain alone (first layer, tied layers, class head): the baseline."""

    def __init__(self, in_channels: int, cfg: DaModelConfig) -> None:
        super().__init__()
        d = cfg.dis_base_channels
        self.front = _conv_pool(in_channels, d, cfg.dis_kernel)
        self.tied_layers = TiedDiscriminatorLayers(d, cfg.dropout, cfg.dis_kernel)
        self.class_head = nn.Conv2d(8 * d, cfg.num_classes, 2)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, 32, 32) -> class logits (N, K)."""
        return self.class_head(self.tied_layers(self.front(x))).flatten(1)
