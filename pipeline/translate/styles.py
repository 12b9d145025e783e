"""Which style code(s) each input is translated with: `--styles K`, `--style-from IMAGE`, or none.

Why K styles drawn once and shared by every input (as MUNIT's own test script does): output k
of every image then shows the same style, and the result depends only on `--seed` — not on the
batch size, the device, or which other files were bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from pipeline.io import storage
from pipeline.translate.images import BadImage, decode_image
from unit_core.inputs import to_model_range


@dataclass(frozen=True)
class StyleVariant:
    """One output per input: its file-name suffix and its style code (None: the prior mean)."""

    suffix: str  # "" -> `<stem>.png`, "_style2" -> `<stem>_style2.png`
    style: Tensor | None  # (style_dim,), broadcast over the batch


def target_domain(direction: str) -> str:
    return "b" if direction == "a2b" else "a"


def style_variants(
    translator: nn.Module,
    cfg: Any,
    model: str,
    direction: str,
    styles: int | None = None,
    style_from: str | None = None,
    seed: int = 0,
) -> list[StyleVariant]:
    """The variants to write for every input; ValueError for a style flag on a UNIT model.

    styles: K >= 1 codes ~ N(0, I) from a CPU generator seeded with `seed`, written as
    `<stem>_style0.png` … `<stem>_style{K-1}.png`. style_from: the style code of that image
    (local path or S3 URI) of the *target* domain, used for every input.
    """
    if styles is None and style_from is None:
        return [StyleVariant("", None)]
    if cfg.model.family != "munit":
        flag = "--styles" if styles is not None else "--style-from"
        raise ValueError(f"{model}: is a {cfg.model.family.upper()} model: it has no style code "
                         f"({flag} needs a MUNIT model)")  # fmt: skip
    if styles is not None:
        if styles < 1:
            raise ValueError(f"--styles must be >= 1, got {styles}")
        generator = torch.Generator().manual_seed(seed)
        codes = torch.randn(styles, cfg.model.style_dim, generator=generator)
        return [StyleVariant(f"_style{k}", code) for k, code in enumerate(codes)]
    return [StyleVariant("", example_style(translator, cfg, style_from, direction))]


@torch.no_grad()
def example_style(translator: nn.Module, cfg: Any, image: str, direction: str) -> Tensor:
    """(style_dim,): the style code of `image`, an example of the target domain of `direction`."""
    domain = target_domain(direction)
    channels = cfg.model.channels_b if domain == "b" else cfg.model.channels_a
    try:  # at S x S whatever --size: a style code is a global statistic learnt on S x S images
        pixels, _ = decode_image(storage.read_bytes(image), channels, cfg.model.image_size)
    except BadImage as err:
        raise ValueError(f"--style-from {image}: {err}") from err
    x = to_model_range(pixels.unsqueeze(0))
    return translator.encode_style(x, domain)[0].cpu()
