"""pix2pix side-by-side pairs: each file holds ``A | B`` (e.g. *maps*: 1200×600, aerial | map).

The two halves become domains `a` and `b` with a shared pair id, so evaluation can compare a
translation with its ground truth (pixel accuracy) while training reads the sides unpaired.
`a_side` says which half is domain `a`.
"""

from __future__ import annotations

from typing import Literal

from pipeline.data.image_decode import decode_image
from pipeline.data.image_folders import list_images
from pipeline.data.records import SourceImage
from pipeline.data.sources import PairedSource
from pipeline.io import storage
from pipeline.io.errors import DataError


def split_halves(pixels, origin: str):
    """(H, 2W, C) → two (H, W, C) halves; DataError naming `origin` if the width is odd."""
    width = pixels.shape[1]
    if width % 2:
        raise DataError(origin, f"width {width} is odd; a pix2pix pair must be two equal halves")
    return pixels[:, : width // 2], pixels[:, width // 2 :]


def read_pix2pix_pairs(folder: str, a_side: Literal["left", "right"] = "left") -> PairedSource:
    """Paired source over the side-by-side images in `folder` (sorted by name)."""
    files = list_images(folder)
    prefix = folder.rstrip("/").rsplit("/", 1)[-1]

    def load_pair(i: int) -> tuple[SourceImage, SourceImage]:
        pixels = decode_image(storage.read_bytes(files[i]), files[i])
        left, right = split_halves(pixels, files[i])
        ref = f"{prefix}/{files[i].rsplit('/', 1)[-1]}"
        a, b = (left, right) if a_side == "left" else (right, left)
        return SourceImage(a, None, i, ref + "#a"), SourceImage(b, None, i, ref + "#b")

    return PairedSource(len(files), load_pair)
