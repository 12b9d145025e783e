"""Translation at the input's own size: pad to a multiple of the downsampling factor, crop back.

Why padding: the translators are fully convolutional, but their encoders halve H and W
`n_downsample` times and the decoders double them back, so a side that is not a multiple of
f = 2**n_downsample would come back a few pixels off. The image is padded on the bottom and
right to the next multiple of f, and to at least 2f (the residual blocks at the coarsest scale
reflect-pad by one, which needs a 2x2 map), translated, and the output cropped to exactly the
input's H x W. Reflect padding (what the networks pad with inside) where the side is long enough
(pad < side), replicate where it is not (a side of a few pixels), so no size is refused here:
the upper bound is `images.MAX_INPUT_PIXELS`, checked when decoding.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def downsampling_factor(model_cfg: Any) -> int:
    """f = 2**n_downsample of a UNIT or MUNIT model config (`cfg.model`).

    UNIT: the encoder front-end's stride-2 convs; MUNIT: its content encoder's. MUNIT's style
    encoder pools globally (any size works) and only ever sees `--style-from` examples.
    """
    return 2**model_cfg.n_downsample


def padded_side(side: int, factor: int) -> int:
    """The smallest multiple of `factor` that is >= `side` and >= 2 x `factor`."""
    return max(-(-side // factor) * factor, 2 * factor)


def pad_to_multiple(x: Tensor, factor: int) -> Tensor:
    """(B, C, H, W) float -> (B, C, padded_side(H), padded_side(W)), padded bottom and right."""
    height, width = x.shape[-2:]
    x = _pad_side(x, padded_side(width, factor) - width, width, slot=1)
    return _pad_side(x, padded_side(height, factor) - height, height, slot=3)


def _pad_side(x: Tensor, pad: int, side: int, slot: int) -> Tensor:
    """Pad one dimension; per dimension, so a long side still reflects beside a short one."""
    if pad == 0:
        return x
    amounts = [0, 0, 0, 0]  # F.pad's (left, right, top, bottom): slot 1 right, 3 bottom
    amounts[slot] = pad
    return F.pad(x, amounts, mode="reflect" if pad < side else "replicate")


@torch.no_grad()
def translate_at_native_size(
    translator: nn.Module, x: Tensor, direction: str, factor: int, style: Tensor | None = None
) -> Tensor:
    """`translator.translate` of (B, C, H, W) images in [-1, 1], any H and W >= 1: the output is
    (B, C_out, H, W), the translation of the padded batch cropped back."""
    height, width = x.shape[-2:]
    out = translator.translate(pad_to_multiple(x, factor), direction, style=style)
    return out[..., :height, :width]
