"""The skeleton both UNIT translators share: two encoders and two generators meeting in a
shared latent space, with the shared parts run once on both domains' batches concatenated.

Subclasses build the six parts (`encoder_front_a/b`, `shared_encoder_tail`,
`shared_generator_head`, `generator_back_a/b`) and their own training `forward`; encoding,
sampling z and inference translation are the same for the image and the digit networks.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CoupledVAE(nn.Module):
    encoder_front_a: nn.Module
    encoder_front_b: nn.Module
    shared_encoder_tail: nn.Module
    shared_generator_head: nn.Module
    generator_back_a: nn.Module
    generator_back_b: nn.Module

    def encode(self, x_a: Tensor, x_b: Tensor) -> tuple[Tensor, Tensor]:
        """(mu_a, mu_b): the means of q1(z|x_a) and q2(z|x_b); the shared tail runs once."""
        features = torch.cat([self.encoder_front_a(x_a), self.encoder_front_b(x_b)])
        mu = self.shared_encoder_tail(features)
        return mu[: len(x_a)], mu[len(x_a) :]

    def sample(self, mu: Tensor, generator: torch.Generator | None) -> Tensor:
        """z = mu + eps, eps ~ N(0, I) while training; z = mu at inference (`generator` None)."""
        if generator is None:
            return mu
        return mu + torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)

    @torch.no_grad()
    def translate(self, x: Tensor, direction: str, style: Tensor | None = None) -> Tensor:
        """Inference translation with z = mu: 'a2b' maps domain-A images (B, C_a, S, S) to B.

        `style` exists so every translator family answers the same call; UNIT's shared latent
        holds the whole image, so a style is an error here, not silently ignored.
        """
        if style is not None:
            raise ValueError("this is a UNIT model: it has no style code (use a MUNIT model)")
        if direction == "a2b":
            front, back = self.encoder_front_a, self.generator_back_b
        elif direction == "b2a":
            front, back = self.encoder_front_b, self.generator_back_a
        else:
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return back(self.shared_generator_head(self.shared_encoder_tail(front(x))))

    def sample_translation(self, x: Tensor, direction: str, generator: torch.Generator) -> Tensor:
        """One translation per input "sampled" like MUNIT's: UNIT is unimodal, so z = mu.

        Diversity metrics call this K times; UNIT's K outputs are identical (diversity 0).
        """
        return self.translate(x, direction)
