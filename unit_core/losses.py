"""UNIT's loss terms. Each returns an unweighted scalar; the trainer applies λ0..λ4."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def kl_divergence(mu: Tensor) -> Tensor:
    """KL(N(mu, I) || N(0, I)) per latent element: mean(mu**2) / 2.

    With unit variance the KL is ||mu||^2 / 2 plus a constant; we average over elements so the
    weight does not depend on the latent size.
    """
    return mu.pow(2).mean() / 2


def l1_reconstruction(output: Tensor, target: Tensor) -> Tensor:
    """Negative log-likelihood under a Laplacian, up to scale: mean |output - target|."""
    return (output - target).abs().mean()


def discriminator_loss(real_logits: list[Tensor], fake_logits: list[Tensor], kind: str) -> Tensor:
    """D's loss summed over scales: real -> 1, fake -> 0 (log-loss or least squares)."""
    total = real_logits[0].new_zeros(())
    for real, fake in zip(real_logits, fake_logits, strict=True):
        if kind == "lsgan":
            total = total + (real - 1).pow(2).mean() + fake.pow(2).mean()
        else:
            total = total + F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            total = total + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return total


def generator_adversarial_loss(fake_logits: list[Tensor], kind: str) -> Tensor:
    """G's non-saturating adversarial loss summed over scales: make D call fakes real."""
    total = fake_logits[0].new_zeros(())
    for fake in fake_logits:
        if kind == "lsgan":
            total = total + (fake - 1).pow(2).mean()
        else:
            total = total + F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    return total
