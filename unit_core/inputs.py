"""Checks and conversions at the boundary between image data and the networks."""

from __future__ import annotations

import torch
from torch import Tensor


def check_batch(x: Tensor, channels: int, image_size: int, name: str) -> None:
    """Raise a ValueError naming `name` unless x is a finite float (B, channels, S, S) batch."""
    expected = f"(B, {channels}, {image_size}, {image_size})"
    if not isinstance(x, Tensor):
        raise ValueError(
            f"{name}: expected a torch.Tensor of shape {expected}, got {type(x).__name__}"
        )
    if x.dim() != 4:
        raise ValueError(f"{name}: expected shape {expected}, got {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ValueError(f"{name}: expected {channels} channels {expected}, got {tuple(x.shape)}")
    if x.shape[2] != image_size or x.shape[3] != image_size:
        raise ValueError(
            f"{name}: expected image size {image_size}x{image_size} {expected}, got {tuple(x.shape)}"
        )
    if len(x) == 0:
        raise ValueError(f"{name}: empty batch")
    if not x.is_floating_point():
        raise ValueError(
            f"{name}: expected floats in [-1, 1], got dtype {x.dtype} (use to_model_range)"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: batch contains NaN or infinite values")


def to_model_range(images: Tensor) -> Tensor:
    """uint8 (B, C, H, W) in 0..255 -> float32 in [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def to_uint8(images: Tensor) -> Tensor:
    """float in [-1, 1] -> uint8 in 0..255 (rounded, clamped)."""
    return images.detach().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)
