"""Domain-adaptation loss terms beyond UNIT's. Each returns an unweighted scalar."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def feature_matching_loss(features_a: Tensor, features_b: Tensor) -> Tensor:
    """Mean squared difference of D1's and D2's top features (N, F, h, w) on corresponding images.

    L2 as in the 2017 DA code (there a per-image sum; here a per-element mean so the weight does
    not depend on the feature size). Corresponding rows must describe the same latent code, e.g.
    D1(G1(z_a)) vs D2(G2(z_a)).
    """
    if features_a.shape != features_b.shape:
        raise ValueError(
            f"feature shapes differ: {tuple(features_a.shape)} vs {tuple(features_b.shape)}"
        )
    return (features_a - features_b).pow(2).mean()


def source_classification_loss(class_logits: Tensor, labels: Tensor) -> Tensor:
    """Cross entropy of the class head (N, K) on labelled **real source** images (N,)."""
    return F.cross_entropy(class_logits, labels)
