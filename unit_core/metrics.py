"""Evaluation metrics of the paper's protocols."""

from __future__ import annotations

import torch
from torch import Tensor


def pixel_accuracy(pred: Tensor, target: Tensor, threshold: int = 16) -> float:
    """Fraction of pixels whose colour is within `threshold` of the ground truth (the map protocol).

    "Colour difference within 16" is taken per pixel as the largest absolute difference over the
    channels, on 0..255 integer colours: a pixel counts as correct when
    ``max_c |pred[c] - target[c]| <= threshold``, i.e. every channel is within 16 levels.

    pred, target: (B, C, H, W) (or (C, H, W)) uint8 or integer tensors in 0..255, same shape.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}"
        )
    if pred.is_floating_point() or target.is_floating_point():
        raise ValueError("pixel_accuracy expects integer colours in 0..255 (use inputs.to_uint8)")
    if pred.dim() not in (3, 4):
        raise ValueError(f"expected (B, C, H, W) or (C, H, W), got {tuple(pred.shape)}")
    channel_dim = pred.dim() - 3
    diff = (pred.to(torch.int16) - target.to(torch.int16)).abs().amax(dim=channel_dim)
    return float((diff <= threshold).float().mean())


def classification_accuracy(logits_or_labels: Tensor, labels: Tensor) -> float:
    """Top-1 accuracy from (N, K) logits or (N,) predicted labels against (N,) labels."""
    preds = logits_or_labels.argmax(dim=1) if logits_or_labels.dim() == 2 else logits_or_labels
    if preds.shape != labels.shape:
        raise ValueError(
            f"predictions {tuple(preds.shape)} and labels {tuple(labels.shape)} differ"
        )
    if len(labels) == 0:
        raise ValueError("no labels to score")
    return float((preds == labels).float().mean())
