"""SVHN cropped digits (``train_32x32.mat``, ``test_32x32.mat``) via a small MATLAB v5 reader.

Why our own reader: SciPy is not a dependency, and SVHN needs only a tiny part of the MAT-file
v5 format: a 128-byte header, then tagged data elements, some zlib-compressed (miCOMPRESSED),
holding numeric matrices (miMATRIX) stored column-major. ``X`` is (32, 32, 3, N) uint8 and ``y``
is (N, 1) with the digit 0 written as 10. MAT v7.3 files (HDF5) are rejected with a clear error.
Output: an `ArraySource` of (N, 32, 32, 3) uint8 pixels and (N,) int64 labels.
"""

from __future__ import annotations

import zlib

import numpy as np

from pipeline.data.sources import ArraySource, check_labels
from pipeline.io import storage
from pipeline.io.errors import DataError

MI_MATRIX = 14
MI_COMPRESSED = 15
# MAT data type code → numpy dtype (little-endian base; byte order applied per file).
MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}


def _tag(buf: bytes, pos: int, order: str, origin: str) -> tuple[int, int, int, int]:
    """Parse a data-element tag at `pos` → (type, nbytes, data_start, next_element_pos)."""
    if pos + 8 > len(buf):
        raise DataError(origin, "truncated MAT element tag")
    first, second = np.frombuffer(buf, dtype=order + "u4", count=2, offset=pos)
    if first >> 16:  # small data element: type and size share the first word, data in the second
        return int(first & 0xFFFF), int(first >> 16), pos + 4, pos + 8
    nbytes = int(second)
    end = pos + 8 + nbytes
    if end > len(buf):
        raise DataError(origin, "truncated MAT data element")
    # Elements are padded to 8 bytes, except compressed ones (their length is exact).
    padding = 0 if first == MI_COMPRESSED else -nbytes % 8
    return int(first), nbytes, pos + 8, end + padding


def _numeric(buf: bytes, pos: int, order: str, origin: str) -> tuple[np.ndarray, int]:
    kind, nbytes, start, nxt = _tag(buf, pos, order, origin)
    if kind not in MI_DTYPES:
        raise DataError(origin, f"unsupported MAT data type {kind}")
    dtype = np.dtype(order + MI_DTYPES[kind])
    return np.frombuffer(buf, dtype=dtype, count=nbytes // dtype.itemsize, offset=start), nxt


def _matrix(body: bytes, order: str, origin: str) -> tuple[str, np.ndarray]:
    """Decode the body of an miMATRIX element → (name, array in MATLAB's shape)."""
    flags, pos = _numeric(body, 0, order, origin)
    if int(flags[0]) & 0x0800:
        raise DataError(origin, "complex MAT arrays are not supported")
    dims, pos = _numeric(body, pos, order, origin)
    name_bytes, pos = _numeric(body, pos, order, origin)
    name = name_bytes.tobytes().decode("ascii", errors="replace")
    values, _ = _numeric(body, pos, order, origin)
    shape = tuple(int(d) for d in dims)
    if values.size != int(np.prod(shape)):
        raise DataError(origin, f"variable '{name}': {values.size} values for shape {shape}")
    return name, values.reshape(shape, order="F")


def parse_mat_v5(raw: bytes, origin: str) -> dict[str, np.ndarray]:
    """All numeric variables of a MAT v5 file as arrays (column-major order resolved)."""
    if raw.startswith(b"\x89HDF") or len(raw) >= 520 and raw[512:516] == b"\x89HDF":
        raise DataError(origin, "MAT v7.3 (HDF5) files are not supported; save with -v7")
    if len(raw) < 128 or raw[126:128] not in (b"IM", b"MI"):
        raise DataError(origin, "not a MATLAB v5 .mat file (bad header)")
    order = "<" if raw[126:128] == b"IM" else ">"
    variables: dict[str, np.ndarray] = {}
    pos = 128
    while pos < len(raw):
        kind, nbytes, start, nxt = _tag(raw, pos, order, origin)
        element = raw[start : start + nbytes]
        if kind == MI_COMPRESSED:
            try:
                element = zlib.decompress(element)
            except zlib.error as err:
                raise DataError(origin, f"corrupt compressed MAT element ({err})") from err
            kind, nbytes, start, _ = _tag(element, 0, order, origin)
            element = element[start : start + nbytes]
        if kind == MI_MATRIX:
            name, array = _matrix(element, order, origin)
            variables[name] = array
        pos = nxt
    return variables


def read_svhn_mat(uri: str) -> ArraySource:
    """Read an SVHN ``*_32x32.mat`` file: X (32, 32, 3, N) and y (N, 1) with 10 meaning 0."""
    variables = parse_mat_v5(storage.read_bytes(uri), uri)
    for key in ("X", "y"):
        if key not in variables:
            raise DataError(uri, f"variable '{key}' missing (found {sorted(variables)})")
    x, y = variables["X"], variables["y"].reshape(-1)
    if x.ndim != 4 or x.shape[2] != 3:
        raise DataError(uri, f"variable 'X' has shape {x.shape}, expected (H, W, 3, N)")
    if len(y) != x.shape[3]:
        raise DataError(uri, f"wrong count: {len(y)} labels for {x.shape[3]} images")
    labels = y.astype(np.int64)
    labels[labels == 10] = 0
    check_labels(labels, uri)
    pixels = np.ascontiguousarray(x.transpose(3, 0, 1, 2)).astype(np.uint8, copy=False)
    return ArraySource(pixels, labels, uri.rsplit("/", 1)[-1])
