"""Turn a validated dataset config into the reader objects for each domain/split.

This is the one place that maps a `format:` name onto its reader module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath

from pipeline.data.config import DatasetConfig, PrepareDataset, SplitSource
from pipeline.data.image_folders import read_image_folder
from pipeline.data.mnist_idx import read_mnist_idx
from pipeline.data.pix2pix_pairs import read_pix2pix_pairs
from pipeline.data.procedural_aerial_map import generate_aerial_map
from pipeline.data.sources import PairedSource
from pipeline.data.svhn_mat import read_svhn_mat
from pipeline.data.usps_text import read_usps_text
from pipeline.io import storage
from pipeline.io.errors import DataError


@dataclass
class SplitJob:
    """One unit of preparation: a source for one split, unpaired (`domain` set) or paired."""

    split: str
    domain: str | None  # None for a paired source that fills both domains
    source: object  # Sequence[SourceImage] or PairedSource
    limit: int | None
    key: str  # dotted config key, for error messages


def resolve(config: DatasetConfig, path: str, key: str) -> str:
    """A split path relative to `source_root` (absolute paths and s3:// URIs pass through)."""
    if not path:
        raise DataError(key, "missing 'path'")
    if storage.is_s3(path) or os.path.isabs(path):
        return path
    return storage.join(config.source_root, path)


def relative_to_root(config: DatasetConfig, where: str) -> str:
    """The inverse of `resolve` for reports: `where` relative to `source_root` when inside it.

    Why: the manifest lists skipped files; absolute paths would make it depend on the machine.
    """
    root = str(config.source_root)
    if storage.is_s3(root) != storage.is_s3(where):
        return where
    if storage.is_s3(root):
        base = root.rstrip("/") + "/"
        return where[len(base) :] if where.startswith(base) else where
    try:
        return PurePath(where).relative_to(root).as_posix()
    except ValueError:  # outside source_root (an absolute split path)
        return where


def source_locations(ds: PrepareDataset) -> list[str]:
    """`source_root` and every split path/labels file the dataset reads (for overlap checks)."""
    config = ds.config
    found = [config.source_root]
    for domain, dom in ds.domains.items():
        for split, src in dom.splits.items():
            key = f"prepare.datasets.{ds.name}.domains.{domain}.splits.{split}"
            found += [resolve(config, p, key) for p in (src.path, src.labels) if p]
    for split, src in ds.pair_splits.items():
        if src.path:
            found.append(resolve(config, src.path, f"prepare.datasets.{ds.name}.pairs.{split}"))
    return found


def open_unpaired(fmt: str, config: DatasetConfig, src: SplitSource, key: str):
    path = resolve(config, src.path, key + ".path")
    if fmt == "mnist_idx":
        labels = resolve(config, src.labels, key + ".labels") if src.labels else None
        return read_mnist_idx(path, labels)
    if fmt == "usps_text":
        return read_usps_text(path)
    if fmt == "svhn_mat":
        return read_svhn_mat(path)
    return read_image_folder(path)


def open_paired(ds: PrepareDataset, split: str, src: SplitSource, key: str) -> PairedSource:
    config = ds.config
    assert config.pairs is not None
    if config.pairs.format == "procedural_aerial_map":
        return generate_aerial_map(config.seed, split, int(src.count or 0), config.image_size)
    return read_pix2pix_pairs(resolve(config, src.path, key + ".path"), config.pairs.a_side)


def split_jobs(ds: PrepareDataset) -> list[SplitJob]:
    """Every (domain or pair, split) source of the dataset, in a fixed order."""
    prefix = f"prepare.datasets.{ds.name}"
    jobs = []
    for domain, dom in ds.domains.items():
        for split, src in dom.splits.items():
            key = f"{prefix}.domains.{domain}.splits.{split}"
            jobs.append(SplitJob(split, domain, open_unpaired(dom.format, ds.config, src, key),
                                 src.limit, key))
    for split, src in ds.pair_splits.items():
        key = f"{prefix}.pairs.splits.{split}"
        jobs.append(SplitJob(split, None, open_paired(ds, split, src, key), src.limit, key))
    return jobs
