"""Source pixels → the configured channels and square size, as (C, S, S) uint8.

Channel rules (why: silent alpha dropping or colour guessing corrupts a domain):
- to 1 channel: grey stays; RGB → luma (ITU-R 601, as Pillow's "L"); alpha must be fully opaque.
- to 3 channels: RGB stays; grey is replicated (MNIST as a colour domain next to SVHN); alpha
  must be fully opaque. Anything else raises DataError naming the source.
Resizing uses Pillow's bilinear filter (antialiased when shrinking) — deterministic.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from PIL import Image

from pipeline.io.errors import DataError


def convert_channels(pixels: np.ndarray, channels: int, origin: str) -> np.ndarray:
    """(H, W, C) uint8 with C in {1, 2, 3, 4} → (H, W, channels) uint8, or DataError."""
    c = pixels.shape[2]
    if c in (2, 4):
        if not (pixels[..., -1] == 255).all():
            raise DataError(
                origin,
                f"has transparent pixels (alpha channel); cannot convert {c} channels to "
                f"{channels} without a background colour",
            )
        pixels, c = pixels[..., :-1], c - 1
    if c == channels:
        return pixels
    if c == 1 and channels == 3:
        return np.repeat(pixels, 3, axis=2)
    if c == 3 and channels == 1:
        luma = np.asarray(Image.fromarray(np.ascontiguousarray(pixels)).convert("L"))
        return luma[..., None]
    raise DataError(origin, f"cannot convert a {c}-channel image to {channels} channels")


def resize_square(
    pixels: np.ndarray, size: int, policy: Literal["stretch", "center_crop"]
) -> np.ndarray:
    """(H, W, C) uint8 → (size, size, C) uint8 by `policy` (no-op when already that size)."""
    h, w, c = pixels.shape
    if (h, w) == (size, size):
        return pixels
    img = Image.fromarray(pixels[..., 0] if c == 1 else pixels)
    if policy == "center_crop":
        scale = size / min(h, w)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
        left, top = (nw - size) // 2, (nh - size) // 2
        img = img.crop((left, top, left + size, top + size))
    else:
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    out = np.asarray(img)
    return out[..., None] if out.ndim == 2 else out


def to_chw(pixels: np.ndarray, channels: int, size: int, policy: str, origin: str) -> np.ndarray:
    """One source image → (channels, size, size) uint8, contiguous, ready to store."""
    converted = convert_channels(pixels, channels, origin)
    return np.ascontiguousarray(resize_square(converted, size, policy).transpose(2, 0, 1))
