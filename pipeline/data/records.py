"""The unit that readers yield and the shard writer consumes.

Readers decode originals into `SourceImage`s (HWC uint8 in the source's own size and channel
count); preprocessing turns them into fixed-size CHW arrays before they are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SourceImage:
    """One decoded source image.

    pixels: (H, W, C) uint8, C in {1, 3, 4} as found in the source.
    label: class index 0..9 when the source has one, else None.
    pair_id: index shared by the two sides of a paired example, else None.
    source: a human-readable reference to the original (``file#index`` or a relative path).
    """

    pixels: np.ndarray
    label: int | None
    pair_id: int | None
    source: str


def storable_text(text: str) -> str:
    """`text` with undecodable file-name bytes written as ``\\xNN``: valid UTF-8 for Parquet/JSON.

    Why: a Linux file name is bytes; Python turns a byte that is not UTF-8 (Latin-1 ``é`` = 0xE9)
    into a lone surrogate (``\\udce9``) that no UTF-8 writer accepts. Such a ``café.png`` is
    recorded as ``caf\\xe9.png`` (surrogateescape → backslashreplace); valid names are unchanged.
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
