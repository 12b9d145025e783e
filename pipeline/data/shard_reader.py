"""Reading API for training and evaluation: shards → uint8 tensors, verified and rank-aware.

- `load_manifest(uri)` — re-exported from `manifest`.
- `load_split(manifest, domain, split)` → `SplitTensors` (all images of one domain/split).
- `load_pairs(manifest, split)` → (a, b, pair_ids) aligned by pair id (paired splits only).
- `UnpairedBatches(...)` — one rank's batches of one domain, equal count on every rank.
- `TwoDomainBatches(...)` — both domains' batches side by side, min(len_a, len_b) steps.
Every shard's size and sha256 are checked against the manifest when it is read. Images are
(N, C, H, W) torch.uint8; labels (N,) int64 when the domain has labels, else None.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from pipeline.data.manifest import Manifest, ShardInfo, load_manifest
from pipeline.data.shard_schema import RAW, SCHEMA_VERSION, decode_png
from pipeline.data.subset import DOMAIN_CODES
from pipeline.io import storage
from pipeline.io.errors import DataError

__all__ = ["DomainBatch", "SplitTensors", "TwoDomainBatches", "UnpairedBatches",
           "load_manifest", "load_pairs", "load_split", "read_shard"]


class SplitTensors(NamedTuple):
    """images (N, C, H, W) uint8; labels (N,) int64 or None; pair_ids (N,) int64 or None."""

    images: torch.Tensor
    labels: torch.Tensor | None
    pair_ids: torch.Tensor | None


class ShardArrays(NamedTuple):
    images: np.ndarray  # (n, C, H, W) uint8
    labels: np.ndarray | None  # (n,) int64
    pair_ids: np.ndarray | None  # (n,) int64


def read_shard(manifest: Manifest, shard: ShardInfo, out: np.ndarray | None = None) -> ShardArrays:
    """Read, verify (bytes + sha256 + schema version) and decode one shard.

    `out`, if given, is a (rows, C, H, W) uint8 array the images are decoded into (saves a copy).
    """
    uri = storage.join(manifest.root, shard.file)
    data = storage.read_bytes(uri)
    if len(data) != shard.bytes or hashlib.sha256(data).hexdigest() != shard.sha256:
        raise DataError(uri, "size or sha256 does not match the manifest (corrupt or replaced)")
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as err:
        raise DataError(uri, f"not a readable Parquet shard ({err})") from err
    meta = table.schema.metadata or {}
    version = meta.get(b"unit_pipeline.shard_schema_version", b"?").decode()
    if version != str(SCHEMA_VERSION):
        raise DataError(uri, f"shard schema version {version} != {SCHEMA_VERSION}")
    return ShardArrays(
        _decode_images(table, manifest, uri, out),
        _optional_int(table, "label", uri),
        _optional_int(table, "pair_id", uri),
    )


def _decode_images(table: pa.Table, manifest: Manifest, uri: str,
                   out: np.ndarray | None) -> np.ndarray:
    c, h, w = (manifest.image[k] for k in ("channels", "height", "width"))
    column = table.column("image").combine_chunks()
    n = len(column)
    out = np.empty((n, c, h, w), np.uint8) if out is None else out
    if manifest.image["encoding"] != RAW:
        for i, data in enumerate(column.to_pylist()):
            out[i] = decode_png(data, c)
        return out
    # Fast path: the binary column's value buffer already holds the n images back to back.
    offsets = np.frombuffer(column.buffers()[1], np.int32, count=n + 1, offset=4 * column.offset)
    if n and not (np.diff(offsets) == c * h * w).all():
        raise DataError(uri, f"raw images are not all {c}x{h}x{w} bytes")
    values = np.frombuffer(column.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    np.copyto(out, values.reshape(n, c, h, w))  # copy: Arrow memory is read-only
    return out


def _optional_int(table: pa.Table, name: str, uri: str) -> np.ndarray | None:
    column = table.column(name)
    if column.null_count == len(column):
        return None
    if column.null_count:
        raise DataError(uri, f"column '{name}' is only partly filled")
    return column.to_numpy().astype(np.int64)


def _concat(parts: list[np.ndarray | None]) -> torch.Tensor | None:
    if any(p is None for p in parts):
        return None
    return torch.from_numpy(np.concatenate(parts))


def load_split(manifest: Manifest, domain: str, split: str) -> SplitTensors:
    """Every image of one domain/split in stored order (for evaluation)."""
    shards = manifest.shards_for(domain, split)
    c, h, w = (manifest.image[k] for k in ("channels", "height", "width"))
    images = np.empty((sum(s.rows for s in shards), c, h, w), np.uint8)
    starts = np.cumsum([0] + [s.rows for s in shards])
    arrays = [read_shard(manifest, s, images[starts[k] : starts[k + 1]])
              for k, s in enumerate(shards)]
    return SplitTensors(
        torch.from_numpy(images),
        _concat([a.labels for a in arrays]),
        _concat([a.pair_ids for a in arrays]),
    )


def load_pairs(manifest: Manifest, split: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(a (N, C, H, W), b (N, C, H, W), pair_ids (N,)) aligned by pair id, sorted by it."""
    where = storage.join(manifest.root, "manifest.json")
    if split not in manifest.paired_splits:
        raise DataError(where, f"split '{split}' is not paired (paired: {manifest.paired_splits})")
    a, b = load_split(manifest, "a", split), load_split(manifest, "b", split)
    if a.pair_ids is None or b.pair_ids is None:
        raise DataError(where, f"split '{split}' rows carry no pair ids")
    order_a, order_b = torch.argsort(a.pair_ids), torch.argsort(b.pair_ids)
    if not torch.equal(a.pair_ids[order_a], b.pair_ids[order_b]):
        raise DataError(where, f"split '{split}': the two domains hold different pair ids")
    return a.images[order_a], b.images[order_b], a.pair_ids[order_a]


class UnpairedBatches:
    """One rank's batches of one domain/split: `(images (B, C, H, W) uint8, labels (B,) | None)`.

    Each epoch draws one permutation of all N rows from (seed, epoch) — identical on every
    rank — and rank r takes the contiguous block r of N // world_size rows, so the ranks'
    shares are disjoint and every rank yields exactly `len(self)` full batches (drop_last).
    Shards are read lazily and cached, so with `shuffle=False` a rank reads only its part.
    Call `set_epoch(e)` (or pass `epoch`) to reshuffle.
    """

    def __init__(self, manifest: Manifest, domain: str, split: str, batch_size: int,
                 rank: int = 0, world_size: int = 1, seed: int = 0, epoch: int = 0,
                 shuffle: bool = True) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise DataError("rank", f"rank {rank} is not in 0..{world_size - 1}")
        if batch_size < 1:
            raise DataError("batch_size", f"must be >= 1, got {batch_size}")
        self.manifest, self.domain, self.split = manifest, domain, split
        self.shards = manifest.shards_for(domain, split)
        self.starts = np.cumsum([0] + [s.rows for s in self.shards])
        self.total = int(self.starts[-1])
        self.batch_size, self.rank, self.world_size = batch_size, rank, world_size
        self.seed, self.epoch, self.shuffle = seed, epoch, shuffle
        self.per_rank = self.total // world_size
        if self.per_rank < batch_size:
            raise DataError(
                f"{domain}/{split}",
                f"{self.total} images cannot give each of {world_size} rank(s) "
                f"a batch of {batch_size}",
            )
        self.has_labels = bool(manifest.has_labels.get(domain, False))
        self._cache: dict[int, ShardArrays] = {}

    def __len__(self) -> int:
        return self.per_rank // self.batch_size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def rows_for_rank(self) -> np.ndarray:
        """Global row indices this rank visits this epoch, in visiting order (len·B rows)."""
        if self.shuffle:
            stream = [self.seed, self.epoch, DOMAIN_CODES.get(self.domain, 9)]
            order = np.random.default_rng(stream).permutation(self.total)
        else:
            order = np.arange(self.total)
        mine = order[self.rank * self.per_rank : (self.rank + 1) * self.per_rank]
        return mine[: len(self) * self.batch_size]

    def _gather(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        shard_of = np.searchsorted(self.starts, rows, side="right") - 1
        c, h, w = (self.manifest.image[k] for k in ("channels", "height", "width"))
        images = np.empty((len(rows), c, h, w), np.uint8)
        labels = np.empty(len(rows), np.int64)
        for k in np.unique(shard_of):
            if k not in self._cache:
                self._cache[k] = read_shard(self.manifest, self.shards[k])
            arrays, picked = self._cache[k], shard_of == k
            local = rows[picked] - self.starts[k]
            images[picked] = arrays.images[local]
            if self.has_labels:
                labels[picked] = arrays.labels[local]
        return torch.from_numpy(images), torch.from_numpy(labels) if self.has_labels else None

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        rows = self.rows_for_rank()
        for start in range(0, len(rows), self.batch_size):
            yield self._gather(rows[start : start + self.batch_size])


class DomainBatch(NamedTuple):
    """One training step's input: a (B, C, H, W) and b (B, C, H, W) uint8, labels or None."""

    a: torch.Tensor
    a_labels: torch.Tensor | None
    b: torch.Tensor
    b_labels: torch.Tensor | None


class TwoDomainBatches:
    """Unpaired batches of domains a and b for one rank, zipped: the UNIT training input.

    The two domains are shuffled independently (their streams differ by domain); an epoch is
    min(len(a), len(b)) steps, identical on every rank because each side's length is.
    """

    def __init__(self, manifest: Manifest, split: str, batch_size: int, rank: int = 0,
                 world_size: int = 1, seed: int = 0, epoch: int = 0, shuffle: bool = True):
        self.sides = [UnpairedBatches(manifest, d, split, batch_size, rank, world_size, seed,
                                      epoch, shuffle) for d in ("a", "b")]

    def __len__(self) -> int:
        return min(len(side) for side in self.sides)

    def set_epoch(self, epoch: int) -> None:
        for side in self.sides:
            side.set_epoch(epoch)

    def __iter__(self) -> Iterator[DomainBatch]:
        for (a, a_labels), (b, b_labels) in zip(*self.sides, strict=False):
            yield DomainBatch(a, a_labels, b, b_labels)
