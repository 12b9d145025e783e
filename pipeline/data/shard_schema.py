"""Parquet shard schema, version 1 (documented in docs/data.md; bump the version on any change).

One row is one preprocessed image. Pixels are stored either raw (``raw_chw_uint8``: C·H·W bytes
in (C, H, W) order, exactly a torch uint8 tensor's layout, so a whole shard is decoded by one
`numpy.frombuffer` + reshape) or as PNG (``png``, smaller on disk, decoded by Pillow).
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
from PIL import Image

SCHEMA_VERSION = 1
RAW = "raw_chw_uint8"
PNG = "png"

SHARD_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),  # "<domain>/<split>/<row index>", stable
        pa.field("domain", pa.string(), nullable=False),  # "a" | "b"
        pa.field("split", pa.string(), nullable=False),  # "train" | "val" | "test"
        pa.field("image", pa.binary(), nullable=False),  # see `encoding`
        pa.field("encoding", pa.string(), nullable=False),  # RAW | PNG
        pa.field("height", pa.int32(), nullable=False),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("channels", pa.int32(), nullable=False),  # 1 | 3
        pa.field("label", pa.int16(), nullable=True),  # class 0..9 when known
        pa.field("pair_id", pa.int64(), nullable=True),  # same value on both sides of a pair
        pa.field("source", pa.string(), nullable=False),  # reference to the original
    ],
    metadata={"unit_pipeline.shard_schema_version": str(SCHEMA_VERSION)},
)


def encode_image(chw: np.ndarray, encoding: str) -> bytes:
    """(C, H, W) uint8 → stored bytes for `encoding` (deterministic: fixed PNG settings)."""
    if encoding == RAW:
        return chw.tobytes()
    hwc = chw.transpose(1, 2, 0)
    img = Image.fromarray(hwc[..., 0] if hwc.shape[2] == 1 else np.ascontiguousarray(hwc))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1, optimize=False)  # 1: ~10x faster than 6
    return buf.getvalue()


def decode_png(data: bytes, channels: int) -> np.ndarray:
    """PNG bytes written by `encode_image` → (C, H, W) uint8."""
    hwc = np.asarray(Image.open(io.BytesIO(data)))
    return (hwc[None] if hwc.ndim == 2 else hwc.transpose(2, 0, 1)).reshape(channels, *hwc.shape[:2])
