"""Coupled VAEs {E1, G1}, {E2, G2} for 32x32 digits, laid out as in the 2017 DA code.

Encoder: a per-domain 5x5 stride-2 conv (32 -> 16), then the shared tail: 5x5 stride-2 conv
(16 -> 8), 8x8 valid conv (8 -> 1), 1x1 conv, and a 1x1 conv to mu, a (B, L, 1, 1) code.
Decoder: the shared head of three 4x4 stride-2 transposed convs (1 -> 4 -> 8 -> 16), then a
per-domain transposed conv (16 -> 32) and a 1x1 to the image with tanh. Batch norm + LeakyReLU
after every conv but the mu and image layers.

As in `UnitTranslator`, each shared module runs **once** per pass on both domains' rows
concatenated along the batch axis (so batch norm sees both domains, and DDP one use), and each
per-domain back-end decodes all 2B latents at once: recon and translation in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from unit_core.coupled_vae import CoupledVAE
from unit_core.da.config import DaModelConfig


def _conv_bn(in_ch: int, out_ch: int, kernel: int, stride: int, padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride, padding, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.LeakyReLU(0.01, inplace=True),
    )


def _deconv_bn(in_ch: int, out_ch: int, padding: int) -> nn.Sequential:
    """4x4 stride-2 transposed conv: doubles H, W with padding 1; 1x1 -> 4x4 with padding 0."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_ch, out_ch, 4, 2, padding, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.LeakyReLU(0.01, inplace=True),
    )


def _generator_back(c: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(_deconv_bn(2 * c, c, 1), nn.ConvTranspose2d(c, out_ch, 1), nn.Tanh())


@dataclass
class DaTranslatorOutputs:
    """All streams of one training forward; images (B, C, 32, 32), codes (B, L, 1, 1)."""

    mu_a: Tensor  # E1(x_a)
    mu_b: Tensor  # E2(x_b)
    recon_a: Tensor  # G1(z_a)
    b2a: Tensor  # G1(z_b): translation b -> a
    a2b: Tensor  # G2(z_a): translation a -> b
    recon_b: Tensor  # G2(z_b)
    mu_a2b: Tensor | None = None  # E2(a2b), only with the cycle stream
    mu_b2a: Tensor | None = None  # E1(b2a)
    cycle_a: Tensor | None = None  # G1(z ~ q2(z | a2b))
    cycle_b: Tensor | None = None  # G2(z ~ q1(z | b2a))


class DaTranslator(CoupledVAE):
    """E1, E2, G1, G2 as one module so that one DDP wrapper covers all of them."""

    def __init__(self, cfg: DaModelConfig) -> None:
        super().__init__()
        c = cfg.base_channels
        self.encoder_front_a = _conv_bn(cfg.channels_a, c, 5, 2, 2)
        self.encoder_front_b = _conv_bn(cfg.channels_b, c, 5, 2, 2)
        self.shared_encoder_tail = nn.Sequential(
            _conv_bn(c, 2 * c, 5, 2, 2),
            _conv_bn(2 * c, 4 * c, 8, 1, 0),
            _conv_bn(4 * c, 8 * c, 1, 1, 0),
            nn.Conv2d(8 * c, cfg.latent_channels, 1),
        )
        self.shared_generator_head = nn.Sequential(
            _deconv_bn(cfg.latent_channels, 8 * c, 0),
            _deconv_bn(8 * c, 4 * c, 1),
            _deconv_bn(4 * c, 2 * c, 1),
        )
        self.generator_back_a = _generator_back(c, cfg.channels_a)
        self.generator_back_b = _generator_back(c, cfg.channels_b)
        if cfg.mirror_private_init:
            self.encoder_front_b.load_state_dict(self.encoder_front_a.state_dict())
            self.generator_back_b.load_state_dict(self.generator_back_a.state_dict())

    def decode_both(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(G1(z), G2(z)) for latents z (N, L, 1, 1): the shared head runs once."""
        hidden = self.shared_generator_head(z)
        return self.generator_back_a(hidden), self.generator_back_b(hidden)

    def forward(
        self,
        x_a: Tensor,
        x_b: Tensor,
        noise: torch.Generator | None = None,
        with_cycle: bool = False,
    ) -> DaTranslatorOutputs:
        """Reconstruction and translation streams (always), cycle stream on request."""
        n_a = len(x_a)
        mu_a, mu_b = self.encode(x_a, x_b)
        to_a, to_b = self.decode_both(
            torch.cat([self.sample(mu_a, noise), self.sample(mu_b, noise)])
        )
        out = DaTranslatorOutputs(mu_a, mu_b, to_a[:n_a], to_a[n_a:], to_b[:n_a], to_b[n_a:])
        if with_cycle:
            # b2a is a domain-A image, a2b a domain-B image: encode each with its own encoder.
            out.mu_b2a, out.mu_a2b = self.encode(out.b2a, out.a2b)
            z_a2b = self.sample(out.mu_a2b, noise)
            z_b2a = self.sample(out.mu_b2a, noise)
            hidden = self.shared_generator_head(torch.cat([z_a2b, z_b2a]))
            out.cycle_a = self.generator_back_a(hidden[:n_a])
            out.cycle_b = self.generator_back_b(hidden[n_a:])
        return out
