"""MUNIT's generator side (Huang et al. 2018): both domains' encoders and generators in one module.

An image splits into a **content** code (B, K, s, s), meant to be shared across domains, and a
**style** code (B, style_dim) specific to its domain, with the prior N(0, I). Translating a -> b
decodes a's content with G_b and a style of domain b: one drawn from the prior (many outputs
per input), the prior's mean 0 (deterministic previews), or one encoded from an example image.

Holding all parts in one module lets one DDP wrapper cover them. Each generator decodes its
two streams (reconstruction and translation, or cycle) in one call on batches concatenated; the
instance / layer norms are per sample, so this changes no output.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from unit_core.munit.config import MunitModelConfig
from unit_core.munit.networks import MunitGenerator, StyleEncoder, content_encoder


@dataclass
class MunitOutputs:
    """Every stream of one training forward; None where the loss weights did not ask for it."""

    a2b: Tensor  # G_b(content_a, random_style_b)
    b2a: Tensor  # G_a(content_b, random_style_a)
    content_a: Tensor  # E_a^c(x_a)
    content_b: Tensor
    random_style_a: Tensor  # drawn from N(0, I), or zeros without a noise generator
    random_style_b: Tensor
    style_a: Tensor | None = None  # E_a^s(x_a), the paper's s_a'
    style_b: Tensor | None = None
    recon_a: Tensor | None = None  # G_a(content_a, style_a)
    recon_b: Tensor | None = None
    content_a2b: Tensor | None = None  # E_b^c(a2b): should match content_a
    content_b2a: Tensor | None = None
    style_a2b: Tensor | None = None  # E_b^s(a2b): should match random_style_b
    style_b2a: Tensor | None = None
    cycle_a: Tensor | None = None  # G_a(content_a2b, style_a)
    cycle_b: Tensor | None = None


class MunitTranslator(nn.Module):
    """Content encoders, style encoders and generators (decoder + MLP) of domains A and B."""

    def __init__(self, cfg: MunitModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.style_dim = cfg.style_dim
        self.content_encoder_a = content_encoder(cfg.channels_a, cfg)
        self.content_encoder_b = content_encoder(cfg.channels_b, cfg)
        self.style_encoder_a = StyleEncoder(cfg.channels_a, cfg)
        self.style_encoder_b = StyleEncoder(cfg.channels_b, cfg)
        self.generator_a = MunitGenerator(cfg.channels_a, cfg)
        self.generator_b = MunitGenerator(cfg.channels_b, cfg)

    def forward(
        self,
        x_a: Tensor,
        x_b: Tensor,
        noise: torch.Generator | None = None,
        with_cycle: bool = True,
        with_recon: bool = True,
        with_style_recon: bool = True,
        with_content_recon: bool = True,
    ) -> MunitOutputs:
        """All streams of one training step on x_a, x_b (B, C, S, S) in [-1, 1].

        `noise` draws the random styles (zeros when None); the `with_*` flags skip the streams
        whose loss weight is 0 (the content re-encoding is also needed by the cycle).
        """
        n = len(x_a)
        content_a, content_b = self.content_encoder_a(x_a), self.content_encoder_b(x_b)
        random_a = self._prior_style(n, x_a, noise)
        random_b = self._prior_style(n, x_b, noise)
        style_a = style_b = recon_a = recon_b = None
        if with_recon or with_cycle:
            style_a, style_b = self.style_encoder_a(x_a), self.style_encoder_b(x_b)
        if with_recon:
            contents = torch.cat([content_a, content_b])
            to_a = self.generator_a(contents, torch.cat([style_a, random_a]))
            to_b = self.generator_b(contents, torch.cat([random_b, style_b]))
            recon_a, b2a = to_a[:n], to_a[n:]
            a2b, recon_b = to_b[:n], to_b[n:]
        else:
            b2a = self.generator_a(content_b, random_a)
            a2b = self.generator_b(content_a, random_b)
        out = MunitOutputs(
            a2b, b2a, content_a, content_b, random_a, random_b, style_a, style_b, recon_a, recon_b
        )
        if with_content_recon or with_cycle:
            out.content_b2a = self.content_encoder_a(out.b2a)
            out.content_a2b = self.content_encoder_b(out.a2b)
        if with_style_recon:
            out.style_b2a = self.style_encoder_a(out.b2a)
            out.style_a2b = self.style_encoder_b(out.a2b)
        if with_cycle:
            out.cycle_a = self.generator_a(out.content_a2b, out.style_a)
            out.cycle_b = self.generator_b(out.content_b2a, out.style_b)
        return out

    def _prior_style(self, n: int, like: Tensor, noise: torch.Generator | None) -> Tensor:
        """(n, style_dim) ~ N(0, I) from `noise`, or the prior's mean (zeros) without one."""
        shape = (n, self.style_dim)
        if noise is None:
            return like.new_zeros(shape)
        return torch.randn(shape, generator=noise, device=like.device, dtype=like.dtype)

    @torch.no_grad()
    def translate(self, x: Tensor, direction: str, style: Tensor | None = None) -> Tensor:
        """'a2b' maps domain-A images (B, C_a, S, S) to domain B ('b2a' the reverse).

        `style`: None for the prior's mean (zeros, deterministic); (style_dim,) for one style
        for the whole batch; (B, style_dim) for one per image, e.g. from `encode_style`.
        """
        encoder, generator = self._route(direction)
        if style is None:
            style = x.new_zeros(self.style_dim)
        style = style.to(device=x.device, dtype=x.dtype)
        if style.shape == (self.style_dim,):
            style = style.expand(len(x), -1)
        elif style.shape != (len(x), self.style_dim):
            raise ValueError(
                f"style must have shape ({self.style_dim},) or ({len(x)}, {self.style_dim}), "
                f"got {tuple(style.shape)}"
            )
        return generator(encoder(x), style)

    @torch.no_grad()
    def encode_style(self, x: Tensor, domain: str) -> Tensor:
        """Style codes (B, style_dim) of domain-`domain` images: example-guided translation."""
        if domain == "a":
            return self.style_encoder_a(x)
        if domain == "b":
            return self.style_encoder_b(x)
        raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")

    @torch.no_grad()
    def sample_translation(self, x: Tensor, direction: str, generator: torch.Generator) -> Tensor:
        """One translation per input with its own style ~ N(0, I) drawn from `generator`."""
        self._route(direction)  # reject a bad direction before drawing from the generator
        return self.translate(x, direction, self._prior_style(len(x), x, generator))

    def _route(self, direction: str) -> tuple[nn.Module, MunitGenerator]:
        if direction == "a2b":
            return self.content_encoder_a, self.generator_b
        if direction == "b2a":
            return self.content_encoder_b, self.generator_a
        raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
