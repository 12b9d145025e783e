"""Unpaired image folders in the common ``trainA/ trainB/ testA/ testB/`` layout.

Each domain/split points at one folder (local or an S3 prefix) of PNG/JPEG/… files of any size;
files are taken in sorted name order so the result does not depend on the file system. Entries
with other suffixes are ignored (and logged), an empty folder is an error. An entry named like an
image that is not a readable file (a folder ``x.png``, a broken link) stays in the list, so that
reading it fails naming it — a bad file like any other (skipped and listed in skip mode).
"""

from __future__ import annotations

import logging

from pipeline.data.image_decode import IMAGE_SUFFIXES, decode_image
from pipeline.data.records import SourceImage
from pipeline.data.sources import LazySource
from pipeline.io import storage
from pipeline.io.errors import DataError

log = logging.getLogger(__name__)


def list_images(folder: str) -> list[str]:
    """Sorted full paths/URIs of the entries named like images directly in `folder`; DataError
    if none."""
    names = [n for n in storage.list_entries(folder) if not n.startswith(".")]
    images = [n for n in names if n.lower().endswith(IMAGE_SUFFIXES)]
    ignored = sorted(set(names) - set(images))
    if ignored:
        log.warning("%s: ignoring %d non-image entries, e.g. %s", folder, len(ignored), ignored[:3])
    if not images:
        raise DataError(folder, "no image files found (empty domain folder or wrong path)")
    return [storage.join(folder, n) for n in images]


def read_image_folder(folder: str) -> LazySource:
    """A lazily decoded source over the images in `folder` (no labels, no pair ids)."""
    files = list_images(folder)
    prefix = folder.rstrip("/").rsplit("/", 1)[-1]

    def load(i: int) -> SourceImage:
        pixels = decode_image(storage.read_bytes(files[i]), files[i])
        return SourceImage(pixels, None, None, f"{prefix}/{files[i].rsplit('/', 1)[-1]}")

    return LazySource(len(files), load)
