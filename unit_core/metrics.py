"""Evaluation metrics of the paper's protocols."""

from __future__ import annotations

import torch
from torch import Tensor


def pixel_hits(pred: Tensor, target: Tensor, threshold: int = 16) -> Tensor:
    """Per pixel, whether its colour is within `threshold` of the ground truth (the map protocol).

    "Colour difference within 16" is taken per pixel as the largest absolute difference over the
    channels, on 0..255 integer colours: a pixel counts as correct when
    ``max_c |pred[c] - target[c]| <= threshold``, i.e. every channel is within 16 levels.

    pred, target: (B, C, H, W) (or (C, H, W)) uint8 or integer tensors in 0..255, same shape.
    Returns a bool tensor without the channel axis: (B, H, W) (or (H, W)).
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
    return diff <= threshold


def pixel_accuracy(pred: Tensor, target: Tensor, threshold: int = 16) -> float:
    """Fraction of pixels that `pixel_hits` counts as right: the map protocol's pixel accuracy."""
    return float(pixel_hits(pred, target, threshold).float().mean())


def nearest_colour_class(images: Tensor, palette: Tensor) -> Tensor:
    """Per pixel, the index of the nearest palette colour (largest channel difference, as
    `pixel_hits` measures colour distance).

    images: uint8 (B, C, H, W); palette: uint8 (K, C). Returns int64 (B, H, W) in 0..K-1.
    """
    if images.shape[1] != palette.shape[1]:
        raise ValueError(f"images have {images.shape[1]} channels, palette {palette.shape[1]}")
    diff = images.to(torch.int16)[:, None] - palette.to(torch.int16)[None, :, :, None, None]
    return diff.abs().amax(dim=2).argmin(dim=1)


def mean_iou(pred: Tensor, target: Tensor, num_classes: int) -> float:
    """Mean over the classes present in `target` of |pred = k and target = k| / |pred = k or
    target = k|: a class-aware score where painting one colour everywhere scores about
    1 / (number of classes) at best, however common that colour is.

    pred, target: integer class maps of one shape.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    ious = []
    for k in range(num_classes):
        truth, guess = target == k, pred == k
        if truth.any():
            ious.append(float((truth & guess).sum()) / float((truth | guess).sum()))
    if not ious:
        raise ValueError("no class present in the target")
    return sum(ious) / len(ious)


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


def mean_pairwise_distance(samples: Tensor) -> float:
    """Diversity of multimodal translations: mean L1 distance between outputs for one input.

    samples: (K, B, C, H, W) uint8, K >= 2 translations (e.g. K random styles) of the same B
    inputs. Returns the mean over the K * (K - 1) / 2 pairs and the B inputs of the mean absolute
    pixel difference, in [0, 1] (levels / 255). A unimodal translator scores 0. (MUNIT reports
    LPIPS for this; the pixel L1 needs no pretrained network.)
    """
    if samples.dim() != 5:
        raise ValueError(f"expected samples of shape (K, B, C, H, W), got {tuple(samples.shape)}")
    if samples.dtype != torch.uint8:
        raise ValueError(f"expected uint8 colours in 0..255, got dtype {samples.dtype}")
    k = samples.shape[0]
    if k < 2:
        raise ValueError(f"need K >= 2 samples per input to compare, got {k}")
    wide = samples.to(torch.int16)
    # One pair at a time: all pairs at once would hold K * (K - 1) / 2 copies of the batch.
    total = sum(
        int((wide[i] - wide[j]).abs().sum(dtype=torch.int64))
        for i in range(k)
        for j in range(i + 1, k)
    )
    return total / (k * (k - 1) // 2 * samples[0].numel() * 255.0)
