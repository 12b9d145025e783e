"""MNIST in its original IDX format (``*-idx3-ubyte[.gz]`` images, ``*-idx1-ubyte[.gz]`` labels).

IDX layout: big-endian int32 magic (2051 = uint8 3-D images, 2049 = uint8 1-D labels), one
big-endian int32 per dimension, then the uint8 data. Gzip is detected from the content, not the
file name. Output: an `ArraySource` of (N, 28, 28, 1) uint8 pixels and (N,) int64 labels.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np

from pipeline.data.sources import ArraySource, check_labels
from pipeline.io import storage
from pipeline.io.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def parse_idx(raw: bytes, origin: str, magic: int) -> np.ndarray:
    """Decode one IDX file's bytes (gzipped or not) into a uint8 array of its header's shape."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(origin, f"corrupt or truncated gzip data ({err})") from err
    if len(raw) < 4:
        raise DataError(origin, "file too short for an IDX header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DataError(origin, f"wrong IDX magic number {found} (expected {magic})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(origin, "file too short for its IDX dimensions")
    dims = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = int(np.prod(dims))
    body = len(raw) - header
    if body != expected:
        raise DataError(
            origin,
            f"IDX header says {dims[0]} items of shape {dims[1:]} ({expected} bytes) "
            f"but the file holds {body} data bytes",
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_mnist_idx(images_uri: str, labels_uri: str | None) -> ArraySource:
    """Read an IDX image file and (optionally) its label file into an `ArraySource`."""
    images = parse_idx(storage.read_bytes(images_uri), images_uri, IMAGES_MAGIC)
    if images.ndim != 3:
        raise DataError(images_uri, f"expected 3-D IDX images (N, H, W), got shape {images.shape}")
    labels = None
    if labels_uri is not None:
        labels = parse_idx(storage.read_bytes(labels_uri), labels_uri, LABELS_MAGIC).astype(np.int64)
        if len(labels) != len(images):
            raise DataError(
                labels_uri,
                f"wrong count: {len(labels)} labels for {len(images)} images in {images_uri}",
            )
        check_labels(labels, labels_uri)
    return ArraySource(images[..., None], labels, images_uri.rsplit("/", 1)[-1])
