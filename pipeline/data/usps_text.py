"""USPS digits in the ESL text format (``zip.train.gz``, ``zip.test.gz``).

One image a line: the label, then 256 values in [-1, 1] (16×16, row-major), space-separated.
-1 is background and +1 is ink, so values map linearly to 0..255 with dark background like
MNIST. Output: an `ArraySource` of (N, 16, 16, 1) uint8 pixels and (N,) int64 labels.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np

from pipeline.data.sources import ArraySource, check_labels
from pipeline.io import storage
from pipeline.io.errors import DataError

SIDE = 16


def parse_usps_text(raw: bytes, origin: str) -> ArraySource:
    """Decode the (optionally gzipped) text into pixels and labels; DataError names line and file."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(origin, f"corrupt or truncated gzip data ({err})") from err
    rows = []
    for number, line in enumerate(raw.decode("ascii", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = np.array(line.split(), dtype=np.float64)
        except ValueError as err:
            raise DataError(origin, f"line {number}: not numeric ({err})") from err
        if len(values) != 1 + SIDE * SIDE:
            raise DataError(origin, f"line {number}: {len(values)} values, expected 257")
        if values[0] != int(values[0]):
            raise DataError(origin, f"line {number}: label {values[0]} is not an integer")
        rows.append(values)
    if not rows:
        raise DataError(origin, "no images found")
    table = np.stack(rows)
    labels = table[:, 0].astype(np.int64)
    check_labels(labels, origin)
    grey = table[:, 1:]
    if grey.min() < -1.0 - 1e-6 or grey.max() > 1.0 + 1e-6:
        raise DataError(origin, "pixel values outside [-1, 1]")
    pixels = np.rint((grey + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    return ArraySource(pixels.reshape(-1, SIDE, SIDE, 1), labels, origin.rsplit("/", 1)[-1])


def read_usps_text(uri: str) -> ArraySource:
    """Read one USPS ESL text file (local or S3)."""
    return parse_usps_text(storage.read_bytes(uri), uri)
