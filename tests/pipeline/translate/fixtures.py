"""Tiny seeded models and image folders for the `unit-pipeline translate` tests."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from pipeline.io.translator_weights import save_translator_weights
from pipeline.translate.__main__ import main
from tests.unit_core.tiny import tiny_batch, tiny_config
from unit_core.inputs import to_model_range, to_uint8
from unit_core.model_family import build_trainer


def trained(cfg: Any, steps: int = 2) -> Any:
    """A trainer of `cfg`'s family after a few seeded steps (weights away from their init)."""
    trainer = build_trainer(cfg)
    for step in range(steps):
        trainer.train_step(*tiny_batch(cfg, batch=2, seed=step))
    trainer.translator.eval()
    return trainer


def save_model(trainer: Any, path: Path) -> Path:
    save_translator_weights(trainer.translator, trainer.cfg, path)
    return path


@pytest.fixture(scope="module")
def unit_trainer() -> Any:
    """UNIT with grey domain A and RGB domain B (so a2b and b2a differ in channels)."""
    return trained(tiny_config(channels_a=1, channels_b=3, seed=3))


def random_pixels(rng: np.random.Generator, channels: int, size: int = 16) -> np.ndarray:
    """uint8 (S, S) for grey, (S, S, 3) for RGB, uniformly random."""
    shape = (size, size) if channels == 1 else (size, size, 3)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def write_images(folder: Path, channels: int, count: int, seed: int = 0, fmt: str = "png") -> dict:
    """`count` random images `img<i>.<fmt>`; returns {name: pixels}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = {}
    for i in range(count):
        pixels = random_pixels(rng, channels)
        name = f"img{i}.{fmt}"
        Image.fromarray(pixels).save(folder / name)
        images[name] = pixels
    return images


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def huge_header_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit grey PNG of `width` x `height`, a few KB on disk for any size.

    Written chunk by chunk (never as a Pillow image), so building a 13000 x 13000 one costs the
    test no memory: what a decompression bomb sent to `translate` looks like.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0 + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grey
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def as_chw(pixels: np.ndarray) -> torch.Tensor:
    """uint8 (S, S) or (S, S, C) -> uint8 (C, S, S)."""
    array = pixels[..., None] if pixels.ndim == 2 else pixels
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def reference(translator: Any, images: list[np.ndarray], direction: str, **kw: Any) -> np.ndarray:
    """uint8 (N, C, S, S): `translate` of the stacked images (one batch), as the CLI computes."""
    x = to_model_range(torch.stack([as_chw(p) for p in images]))
    with torch.no_grad():
        return to_uint8(translator.translate(x, direction, **kw)).numpy()


def read_png(data: bytes) -> tuple[str, np.ndarray]:
    """(Pillow mode, uint8 (C, S, S)) of PNG bytes."""
    image = Image.open(io.BytesIO(data))
    return image.mode, as_chw(np.asarray(image)).numpy()


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, dict | None]:
    """(exit code, the JSON summary or None) of `python -m pipeline.translate ARGS --no-progress`."""
    capsys.readouterr()
    code = main([*args, "--no-progress", "--device", "cpu"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None
