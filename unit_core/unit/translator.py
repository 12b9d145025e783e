"""The coupled VAEs {E1, G1} and {E2, G2} with UNIT's weight sharing.

Shared-latent assumption: z = E1(x1) = E2(x2). It is enforced by one module for the last
`n_shared` residual blocks of both encoders (`shared_encoder_tail`) and one for the first
`n_shared` blocks of both generators (`shared_generator_head`). Each shared module runs **once**
per pass, on both domains' features concatenated along the batch axis: DDP then never sees a
parameter used by two separate calls, and the shared layers do one big matmul, not two small ones.

Tensors: images are (B, C, S, S) in [-1, 1]; latents are (B, L, S / 2**d, S / 2**d) with
L = base_channels * 2**d, d = n_downsample.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from unit_core.blocks import downsampling_encoder, residual_stack, upsample_block
from unit_core.coupled_vae import CoupledVAE
from unit_core.unit.config import ModelConfig


def _encoder_front(in_ch: int, cfg: ModelConfig) -> nn.Sequential:
    """Per-domain front-end: a 7x7 conv, `n_downsample` stride-2 convs, the private res blocks."""
    return downsampling_encoder(
        in_ch, cfg.base_channels, cfg.n_downsample, cfg.n_res_blocks - cfg.n_shared, cfg.norm
    )


def _generator_back(out_ch: int, cfg: ModelConfig) -> nn.Sequential:
    """Per-domain back-end: private res blocks, `n_downsample` transposed convs, 1x1 to image, tanh."""
    ch = cfg.latent_channels
    layers: list[nn.Module] = [residual_stack(cfg.n_res_blocks - cfg.n_shared, ch, cfg.norm)]
    for _ in range(cfg.n_downsample):
        layers.append(upsample_block(ch, ch // 2, cfg.norm))
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, out_ch, kernel_size=1, stride=1), nn.Tanh()]
    return nn.Sequential(*layers)


@dataclass
class TranslatorOutputs:
    """Every stream of one training forward. Tensors absent when their loss weight is 0."""

    mu_a: Tensor  # E1(x_a)
    mu_b: Tensor  # E2(x_b)
    a2b: Tensor  # G2(z_a): translation a -> b
    b2a: Tensor  # G1(z_b): translation b -> a
    recon_a: Tensor | None = None  # G1(z_a)
    recon_b: Tensor | None = None  # G2(z_b)
    mu_a2b: Tensor | None = None  # E2(a2b), the cycle stream's code
    mu_b2a: Tensor | None = None  # E1(b2a)
    cycle_a: Tensor | None = None  # G1(z ~ q2(z | a2b))
    cycle_b: Tensor | None = None  # G2(z ~ q1(z | b2a))


class UnitTranslator(CoupledVAE):
    """E1, E2, G1, G2 as one module so that one DDP wrapper covers all of them."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder_front_a = _encoder_front(cfg.channels_a, cfg)
        self.encoder_front_b = _encoder_front(cfg.channels_b, cfg)
        self.shared_encoder_tail = residual_stack(cfg.n_shared, cfg.latent_channels, cfg.norm)
        self.shared_generator_head = residual_stack(cfg.n_shared, cfg.latent_channels, cfg.norm)
        self.generator_back_a = _generator_back(cfg.channels_a, cfg)
        self.generator_back_b = _generator_back(cfg.channels_b, cfg)
        if cfg.mirror_private_init:
            self.encoder_front_b.load_state_dict(self.encoder_front_a.state_dict())
            self.generator_back_b.load_state_dict(self.generator_back_a.state_dict())

    def decode(self, z_for_a: Tensor, z_for_b: Tensor) -> tuple[Tensor, Tensor]:
        """(G1(z_for_a), G2(z_for_b)); the shared head runs once on both latents."""
        hidden = self.shared_generator_head(torch.cat([z_for_a, z_for_b]))
        return self.generator_back_a(hidden[: len(z_for_a)]), self.generator_back_b(
            hidden[len(z_for_a) :]
        )

    def forward(
        self,
        x_a: Tensor,
        x_b: Tensor,
        noise: torch.Generator | None = None,
        with_recon: bool = True,
        with_cycle: bool = True,
    ) -> TranslatorOutputs:
        """All streams of one training step: reconstruction, translation, cycle-reconstruction."""
        n_a = len(x_a)
        mu_a, mu_b = self.encode(x_a, x_b)
        z_a, z_b = self.sample(mu_a, noise), self.sample(mu_b, noise)
        # One shared-head pass over [z_a; z_b]; each back-end decodes what its losses need.
        hidden = self.shared_generator_head(torch.cat([z_a, z_b]))
        hidden_a, hidden_b = hidden[:n_a], hidden[n_a:]
        if with_recon:
            to_a = self.generator_back_a(hidden)
            to_b = self.generator_back_b(hidden)
            recon_a, b2a = to_a[:n_a], to_a[n_a:]
            a2b, recon_b = to_b[:n_a], to_b[n_a:]
        else:
            recon_a = recon_b = None
            b2a = self.generator_back_a(hidden_b)
            a2b = self.generator_back_b(hidden_a)
        out = TranslatorOutputs(mu_a, mu_b, a2b, b2a, recon_a, recon_b)
        if with_cycle:
            # b2a is a domain-A image, a2b a domain-B image: encode each with its own encoder.
            out.mu_b2a, out.mu_a2b = self.encode(b2a, a2b)
            out.cycle_a, out.cycle_b = self.decode(
                self.sample(out.mu_a2b, noise), self.sample(out.mu_b2a, noise)
            )
        return out
