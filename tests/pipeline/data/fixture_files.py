"""Writers for tiny fixture files in each supported raw format (tests create their own data).

The MAT v5 writer is deliberately independent of the reader under test: it lays bytes out
from the published format description (header, miCOMPRESSED wrapping miMATRIX elements).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write_idx(path: Path, array: np.ndarray, magic: int, compress: bool = True) -> Path:
    """uint8 array → IDX file (gzipped when `compress`)."""
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    data += np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def digits_arrays(n: int, side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, side, side) uint8 random images and (n,) labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, side, side), dtype=np.uint8), rng.integers(0, 10, n)


def write_mnist(folder: Path, n: int = 12, seed: int = 0) -> tuple[Path, Path]:
    images, labels = digits_arrays(n, 28, seed)
    folder.mkdir(parents=True, exist_ok=True)
    return (write_idx(folder / "imgs-idx3-ubyte.gz", images, 2051),
            write_idx(folder / "lbls-idx1-ubyte.gz", labels.astype(np.uint8), 2049))


def write_usps(path: Path, n: int = 10, seed: int = 1, bad_label: int | None = None) -> Path:
    """ESL-format text (label then 256 values in [-1, 1]), gzipped."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        label = bad_label if (bad_label is not None and i == n - 1) else int(rng.integers(0, 10))
        values = rng.uniform(-1, 1, 256)
        lines.append(" ".join([f"{label:.4f}", *(f"{v:.4f}" for v in values)]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


def _element(kind: int, payload: bytes) -> bytes:
    return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)


def _matrix(name: str, array: np.ndarray, class_code: int, mi_type: int) -> bytes:
    body = _element(6, struct.pack("<II", class_code, 0))  # array flags (miUINT32)
    body += _element(5, np.array(array.shape, "<i4").tobytes())  # dimensions (miINT32)
    body += _element(1, name.encode())  # name (miINT8)
    body += _element(mi_type, array.tobytes(order="F"))  # real part, column-major
    return _element(14, body)


def write_svhn_mat(path: Path, n: int = 6, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """SVHN-like MAT v5: X (32, 32, 3, n) uint8, y (n, 1) double with 10 for digit 0."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = rng.integers(1, 11, (n, 1)).astype("<f8")
    header = b"MATLAB 5.0 MAT-file, fixture".ljust(116) + b"\0" * 8 + struct.pack("<H", 0x0100)
    out = header + b"IM"
    for element in (_matrix("X", x, 9, 2), _matrix("y", y, 6, 9)):
        compressed = zlib.compress(element)  # miCOMPRESSED elements carry no padding
        out += struct.pack("<II", 15, len(compressed)) + compressed
    path.write_bytes(out)
    return x, y


def write_images(folder: Path, n: int, size: tuple[int, int] = (20, 14), mode: str = "RGB",
                 seed: int = 3, suffix: str = ".png") -> list[Path]:
    """`n` random images of `size` (W, H) and `mode` named img_000.png, …"""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    paths = []
    for i in range(n):
        pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
        img = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
        paths.append(folder / f"img_{i:03d}{suffix}")
        img.save(paths[-1])
    return paths


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_bomb_png(path: Path, side: int = 20000) -> Path:
    """A ~60-byte PNG whose header claims side×side 1-bit pixels (400 M for 20000): a
    decompression bomb by Pillow's limit, made without ever holding such an image in memory."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grey, no interlace
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                     + _png_chunk(b"IDAT", zlib.compress(b"")) + _png_chunk(b"IEND", b""))
    return path
