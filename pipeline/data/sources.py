"""Indexable views of a source split, so subsets are drawn before anything is decoded.

Why lazy: an image folder or the 1,096-image maps set should only decode the images that a
fixed-seed subset keeps. Array-backed formats (IDX, USPS text, SVHN .mat) are decoded once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipeline.data.records import SourceImage


class ArraySource:
    """A split held as arrays: pixels (N, H, W, C) uint8 and optional labels (N,) int64."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray | None, origin: str) -> None:
        self.pixels = pixels
        self.labels = labels
        self.origin = origin

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, i: int) -> SourceImage:
        label = None if self.labels is None else int(self.labels[i])
        return SourceImage(self.pixels[i], label, None, f"{self.origin}#{i}")


class LazySource:
    """A split whose item `i` is decoded on demand by `load(i)` (image files, generators)."""

    def __init__(self, count: int, load: Callable[[int], SourceImage]) -> None:
        self.count = count
        self.load = load

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> SourceImage:
        return self.load(i)


class PairedSource:
    """Two aligned sides of a paired split: item `i` is `(a, b)` with `pair_id == i`.

    `load_pair(i)` decodes both sides at once so a side-by-side file is decoded only once.
    """

    def __init__(self, count: int, load_pair: Callable[[int], tuple[SourceImage, SourceImage]]):
        self.count = count
        self.load_pair = load_pair

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> tuple[SourceImage, SourceImage]:
        return self.load_pair(i)


def check_labels(labels: np.ndarray, origin: str, num_classes: int = 10) -> None:
    """Raise DataError naming `origin` and the first offending row if a label is not 0..9."""
    from pipeline.io.errors import DataError

    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if len(bad):
        i = int(bad[0])
        raise DataError(
            origin,
            f"label {int(labels[i])} at row {i} is outside 0..{num_classes - 1} "
            f"({len(bad)} bad label(s) in total)",
        )


Source = Sequence[SourceImage]
