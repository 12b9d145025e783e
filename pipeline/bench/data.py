"""Benchmark the data path: shard write and read+decode throughput vs decoding the originals.

    python -m pipeline.bench.data [--colour-images 300] [--repeats 3]

Two workloads, each in a scratch folder:
- digits: the embedded MNIST ↔ USPS originals (IDX gz, USPS text gz; 15,807 images, 32×32 grey);
- colour: 256×256 RGB images (procedural aerials) as JPEG and PNG files vs shards.
Rows (images/s, best of `repeats`): decoding the originals, writing shards (`raw` and `png`
encodings), and reading shards back into uint8 tensors (sha256-verified, `load_split`).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.data.image_decode import decode_image
from pipeline.data.manifest import MANIFEST_NAME, Manifest
from pipeline.data.mnist_idx import read_mnist_idx
from pipeline.data.procedural_aerial_map import render_pair
from pipeline.data.shard_reader import load_split
from pipeline.data.shard_schema import PNG, RAW
from pipeline.data.shard_writer import ShardWriter
from pipeline.data.usps_text import read_usps_text

DIGITS = Path("data/raw/digits")


def best_rate(images: int, fn: Callable[[], object], repeats: int) -> float:
    """Images per second of the fastest of `repeats` calls of `fn`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return images / min(times)


def decode_digit_originals() -> list[np.ndarray]:
    """All embedded digit originals decoded to (N, H, W, 1) arrays (the baseline)."""
    m, u = DIGITS / "mnist", DIGITS / "usps"
    return [
        read_mnist_idx(str(m / "train-2000-images-idx3-ubyte.gz"),
                       str(m / "train-2000-labels-idx1-ubyte.gz")).pixels,
        read_mnist_idx(str(m / "t10k-images-idx3-ubyte.gz"),
                       str(m / "t10k-labels-idx1-ubyte.gz")).pixels,
        read_usps_text(str(u / "zip.train-1800.gz")).pixels,
        read_usps_text(str(u / "zip.test.gz")).pixels,
    ]


def write_shards(folder: Path, images: np.ndarray, encoding: str) -> Manifest:
    """(N, C, H, W) uint8 → shards + manifest in `folder` (domain a, split train)."""
    writer = ShardWriter(str(folder), 4096, encoding)
    for i, chw in enumerate(images):
        writer.add("a", "train", chw, None, None, f"bench#{i}")
    _, c, h, w = images.shape
    manifest = Manifest("bench", {"height": h, "width": w, "channels": c, "encoding": encoding},
                        {"a": {"train": len(images)}}, [], {"a": False}, writer.finish(), {},
                        root=str(folder))
    (folder / MANIFEST_NAME).write_bytes(manifest.to_json())
    return manifest


def bench_shards(tmp: Path, name: str, images: np.ndarray, repeats: int) -> list[tuple]:
    rows = []
    for encoding in (RAW, PNG):
        folder = tmp / f"{name}-{encoding}"
        folder.mkdir()
        write = best_rate(len(images),
                          lambda f=folder, e=encoding: write_shards(f, images, e), repeats)
        manifest = write_shards(folder, images, encoding)
        size = sum(s.bytes for s in manifest.shards)
        read = best_rate(len(images), lambda m=manifest: load_split(m, "a", "train"), repeats)
        rows.append((name, f"shards write ({encoding})", write, size))
        rows.append((name, f"shards read+decode ({encoding})", read, size))
    return rows


def bench_digits(tmp: Path, repeats: int) -> list[tuple]:
    arrays = decode_digit_originals()
    count = sum(len(a) for a in arrays)
    size = sum(p.stat().st_size for p in DIGITS.rglob("*.gz"))
    rows = [("digits", "originals decode (IDX gz + USPS text)",
             best_rate(count, decode_digit_originals, repeats), size)]
    from pipeline.data.preprocess import to_chw

    images = np.stack([to_chw(px, 1, 32, "stretch", "b") for a in arrays for px in a])
    return rows + bench_shards(tmp, "digits", images, repeats)


def bench_colour(tmp: Path, count: int, repeats: int) -> list[tuple]:
    from PIL import Image

    hwc = np.stack([render_pair(0, "train", i, 256)[0] for i in range(count)])
    rows = []
    for fmt, suffix in (("JPEG", ".jpg"), ("PNG", ".png")):
        folder = tmp / f"orig{suffix}"
        folder.mkdir()
        for i, img in enumerate(hwc):
            Image.fromarray(img).save(folder / f"{i:05d}{suffix}", format=fmt)
        files = sorted(folder.iterdir())
        rate = best_rate(count, lambda f=files: [decode_image(p.read_bytes(), str(p)) for p in f],
                         repeats)
        rows.append(("colour256", f"originals decode ({fmt} files)", rate,
                     sum(p.stat().st_size for p in files)))
    return rows + bench_shards(tmp, "colour256", np.ascontiguousarray(hwc.transpose(0, 3, 1, 2)),
                               repeats)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Data-path throughput benchmark (images/s).")
    parser.add_argument("--colour-images", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench_data_") as tmp:
        rows = bench_digits(Path(tmp), args.repeats)
        rows += bench_colour(Path(tmp), args.colour_images, args.repeats)
    print(f"{'workload':<10} {'step':<40} {'images/s':>12} {'bytes':>12}")
    for workload, step, rate, size in rows:
        print(f"{workload:<10} {step:<40} {rate:>12,.0f} {size:>12,}")


if __name__ == "__main__":
    main()
