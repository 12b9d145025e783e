"""Checks and conversions for labelled digit batches (domain adaptation)."""

from __future__ import annotations

import torch
from torch import Tensor


def check_labels(labels: Tensor | None, num_classes: int, batch_size: int, name: str) -> None:
    """Raise a ValueError naming `name` unless labels is an int64-able (B,) tensor in 0..K-1.

    Used for the source batch of every training step and, by the pipeline, for every labelled
    evaluation set (a target test set with classes the source lacks cannot be scored).
    """
    if labels is None:
        raise ValueError(f"{name}: the source batch needs class labels (got None)")
    if not isinstance(labels, Tensor):
        raise ValueError(
            f"{name}: expected a torch.Tensor of shape (B,), got {type(labels).__name__}"
        )
    if labels.dim() != 1:
        raise ValueError(f"{name}: expected shape ({batch_size},), got {tuple(labels.shape)}")
    if len(labels) != batch_size:
        raise ValueError(f"{name}: {len(labels)} labels for a batch of {batch_size} images")
    if labels.is_floating_point() or labels.dtype == torch.bool or labels.is_complex():
        raise ValueError(f"{name}: expected integer class labels, got dtype {labels.dtype}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(
            f"{name}: labels must be in 0..{num_classes - 1}, got values "
            f"{int(labels.min())}..{int(labels.max())}"
        )


def match_channels(x: Tensor, channels: int) -> Tensor:
    """(B, C, H, W) -> (B, channels, H, W): grey repeated to RGB, or RGB averaged to grey.

    For the source-only baseline, which has only the source's first layer and must read target
    images of another channel count (SVHN RGB -> MNIST grey), as a plain classifier would.
    """
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1)
    if channels == 1:
        return x.mean(dim=1, keepdim=True)
    raise ValueError(f"cannot map {x.shape[1]} channels to {channels}")
