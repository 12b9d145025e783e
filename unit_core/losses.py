"""UNIT's loss terms. Each returns an unweighted scalar; the trainer applies λ0..λ4."""

from __future__ import annotations

from typing import Any

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


def vae_and_cycle_terms(out: Any, x_a: Tensor, x_b: Tensor, weights: Any) -> dict[str, Tensor]:
    """The weighted KL, L1 reconstruction and cycle terms; a term whose weight is 0 is absent.

    `out` holds mu_a/mu_b, recon_a/recon_b and (with the cycle stream) mu_a2b/mu_b2a,
    cycle_a/cycle_b; `weights` has kl, recon, cycle_kl, cycle_recon. Shared by the image and
    the digit trainers, whose outputs use these names.
    """
    terms: dict[str, Tensor] = {}
    if weights.kl > 0:
        terms["kl"] = weights.kl * (kl_divergence(out.mu_a) + kl_divergence(out.mu_b))
    if weights.recon > 0:
        terms["recon"] = weights.recon * (
            l1_reconstruction(out.recon_a, x_a) + l1_reconstruction(out.recon_b, x_b)
        )
    if weights.cycle_kl > 0:
        # The paper's L_CC carries KL(q1(z|x1)) and KL(q2(z|x1->2)), both weighted λ3.
        terms["cycle_kl"] = weights.cycle_kl * (
            kl_divergence(out.mu_a)
            + kl_divergence(out.mu_a2b)
            + kl_divergence(out.mu_b)
            + kl_divergence(out.mu_b2a)
        )
    if weights.cycle_recon > 0:
        terms["cycle_recon"] = weights.cycle_recon * (
            l1_reconstruction(out.cycle_a, x_a) + l1_reconstruction(out.cycle_b, x_b)
        )
    return terms
