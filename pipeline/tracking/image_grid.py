"""One labelled PNG-ready grid of translation samples (a, a2b, recon_a, cycle_a, b, b2a, ...).

Why one grid per log call: MLflow's image viewer shows one image per key with a step slider, so a
grid keyed "translations" lets a reader scrub through training and see every stream of the same
samples at once. Grey domains (MNIST) are promoted to RGB so they sit beside RGB ones (SVHN).
Tiny images (16-32 px digits) are upscaled with nearest-neighbour so they are legible in the UI.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

MIN_CELL_PX = 64  # cells are upscaled by an integer factor to at least this size
PAD_PX = 2
LABEL_PAD_PX = 4
BACKGROUND = 255


def compose_image_grid(rows: Mapping[str, torch.Tensor]) -> Image.Image:
    """RGB image: one row per entry of `rows` (in order), its name written on the left.

    Each value is uint8 (N, C, H, W) with C in {1, 3}; all rows share H and W. Rows with fewer
    than the largest N leave blank cells.
    """
    if not rows:
        raise ValueError("image grid needs at least one row")
    arrays = {name: _rgb_array(name, images) for name, images in rows.items()}
    sizes = {a.shape[1:3] for a in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"image grid rows must share H and W, got {sorted(sizes)}")
    (height, width), columns = sizes.pop(), max(len(a) for a in arrays.values())
    scale = max(1, -(-MIN_CELL_PX // min(height, width)))  # ceil division
    cell_h, cell_w = height * scale, width * scale
    font = ImageFont.load_default()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_w = int(max(measure.textlength(name, font=font) for name in arrays)) + 2 * LABEL_PAD_PX
    grid = np.full(
        (len(arrays) * (cell_h + PAD_PX) + PAD_PX, label_w + columns * (cell_w + PAD_PX), 3),
        BACKGROUND,
        dtype=np.uint8,
    )
    for r, images in enumerate(arrays.values()):
        top = PAD_PX + r * (cell_h + PAD_PX)
        for c, image in enumerate(images):
            left = label_w + c * (cell_w + PAD_PX)
            grid[top : top + cell_h, left : left + cell_w] = image.repeat(scale, 0).repeat(scale, 1)
    picture = Image.fromarray(grid, mode="RGB")
    draw = ImageDraw.Draw(picture)
    for r, name in enumerate(arrays):
        draw.text(
            (LABEL_PAD_PX, PAD_PX + r * (cell_h + PAD_PX) + cell_h // 2 - 5),
            name,
            fill=0,
            font=font,
        )
    return picture


def _rgb_array(name: str, images: torch.Tensor) -> np.ndarray:
    """uint8 (N, C, H, W) tensor -> uint8 (N, H, W, 3) numpy, grey repeated to RGB."""
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"image grid row {name!r}: expected a uint8 (N, C, H, W) tensor")
    if images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(
            f"image grid row {name!r}: expected 1 or 3 channels and N >= 1, got "
            f"{tuple(images.shape)}"
        )
    array = images.detach().cpu().permute(0, 2, 3, 1).numpy()
    return np.repeat(array, 3, axis=3) if array.shape[3] == 1 else array
