"""Tiny params dicts for prepare tests (the raw files are written by fixture_files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.pipeline.data.fixture_files import write_mnist, write_usps


def digits_params(root: Path, output: str, **overrides: Any) -> dict[str, Any]:
    """An unpaired MNIST(a) ↔ USPS(b) dataset 'toy' over fixture files under `root`."""
    write_mnist(root / "mnist", n=12)
    write_mnist(root / "mnist_test", n=6, seed=5)
    write_usps(root / "usps" / "zip.train.gz", n=10)
    write_usps(root / "usps" / "zip.test.gz", n=5, seed=4)
    dataset = {
        "output": output,
        "source_root": str(root),
        "image_size": 32,
        "channels": 1,
        "rows_per_shard": 5,
        "domains": {
            "a": {"format": "mnist_idx", "splits": {
                "train": {"path": "mnist/imgs-idx3-ubyte.gz", "labels": "mnist/lbls-idx1-ubyte.gz"},
                "test": {"path": "mnist_test/imgs-idx3-ubyte.gz",
                         "labels": "mnist_test/lbls-idx1-ubyte.gz"}}},
            "b": {"format": "usps_text", "splits": {
                "train": {"path": "usps/zip.train.gz"}, "test": {"path": "usps/zip.test.gz"}}},
        },
    }
    dataset.update(overrides)
    return {"prepare": {"datasets": {"toy": dataset}}}


def aerial_params(output: str, size: int = 32, counts=(6, 3, 3)) -> dict[str, Any]:
    """A paired procedural aerial ↔ map dataset 'maps'."""
    splits = {s: {"count": c} for s, c in zip(("train", "val", "test"), counts, strict=True)}
    return {"prepare": {"datasets": {"maps": {
        "output": output, "image_size": size, "channels": 3, "rows_per_shard": 4,
        "pairs": {"format": "procedural_aerial_map", "splits": splits},
    }}}}
