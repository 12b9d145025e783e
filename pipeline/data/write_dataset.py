"""Prepare one dataset: read sources → preprocess → Parquet shards + manifest, atomically.

Output safety (pipeline/data/output_guard.py): an output holds nothing but this dataset's
manifest and shards (or is missing or empty) and overlaps no source; otherwise nothing is read
or written. Only those files of the previous output are ever replaced or deleted.
Failure safety: locally, everything is written into a hidden sibling folder which replaces the
old output only after the manifest is complete (an earlier good output survives any failure).
On S3, shards (content-addressed names) are uploaded first and the manifest last; shards of the
previous output that the new manifest no longer lists are deleted only after it is in place.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.data.config import PrepareDataset, dataset_config
from pipeline.data.local_output import remove_abandoned_staging, staging_folder, swap_into_place
from pipeline.data.manifest import MANIFEST_NAME, Manifest
from pipeline.data.open_sources import SplitJob, relative_to_root, source_locations, split_jobs
from pipeline.data.output_guard import check_apart, drop_stale, owned_files
from pipeline.data.preprocess import to_chw
from pipeline.data.records import storable_text
from pipeline.data.shard_schema import PNG, RAW
from pipeline.data.shard_writer import ShardWriter
from pipeline.data.subset import fixed_seed_subset
from pipeline.io import storage
from pipeline.io.atomic import raise_naming_final
from pipeline.io.errors import DataError

log = logging.getLogger(__name__)


def prepare_dataset(
    params: dict[str, Any], name: str, output: str | None = None, progress: bool = True
) -> Manifest:
    """Build dataset `name` from `params` into `output` (default: its configured `output`).

    With `shards_uri` set in the params, the shards go there (e.g. S3) and `output` receives a
    small manifest pointing at them — the form DVC tracks for remote shards.
    """
    ds = dataset_config(params, name)
    out = str(output or ds.config.output)
    remote = ds.config.shards_uri
    targets = [out] + ([remote] if remote and remote != out else [])
    check_apart(targets, source_locations(ds))
    owned = {target: owned_files(target, name) for target in targets}  # refuses foreign folders
    jobs = split_jobs(ds)  # opening readers validates headers before anything is written
    if storage.is_s3(out):
        manifest = _write(ds, jobs, remote or out, progress)
        manifest.shards_root = remote
        for target in reversed(targets):  # the shards' own manifest first, the pointer last
            storage.write_bytes_atomic(storage.join(target, MANIFEST_NAME), manifest.to_json())
    else:
        final = Path(out)
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_staging(final)
        staging = staging_folder(final)
        shutil.rmtree(staging, ignore_errors=True)  # ours by name: a dead run with our pid
        try:
            manifest = _write(ds, jobs, remote or str(staging), progress)
            manifest.shards_root = remote
            if remote:
                storage.write_bytes_atomic(storage.join(remote, MANIFEST_NAME), manifest.to_json())
            storage.write_bytes_atomic(str(staging / MANIFEST_NAME), manifest.to_json())
            swap_into_place(staging, final, owned[out])
        except OSError as err:  # a full disk: name the output, not the vanished staging folder
            raise_naming_final(err, staging, final)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    keep = {MANIFEST_NAME} | {s.file for s in manifest.shards}
    for target in targets:
        if storage.is_s3(target):
            drop_stale(target, owned[target], keep)
    manifest.root = remote or out
    log.info("prepared %s → %s: %s", name, out, manifest.counts)
    return manifest


def _write(ds: PrepareDataset, jobs: list[SplitJob], folder: str, progress: bool) -> Manifest:
    cfg = ds.config
    writer = ShardWriter(folder, cfg.rows_per_shard, RAW if cfg.encoding == "raw" else PNG,
                         cfg.compression)
    plans = []
    for job in jobs:
        if job.limit is not None and job.limit > len(job.source):
            raise DataError(job.key + ".limit",
                            f"asks for {job.limit} images but the source has {len(job.source)}")
        plans.append((job, fixed_seed_subset(len(job.source), job.limit, cfg.seed,
                                             job.domain or "a", job.split)))
    skipped: list[dict[str, str]] = []
    labelled: dict[str, bool] = {}
    total = sum(len(idx) * (1 if job.domain else 2) for job, idx in plans)
    with tqdm(total=total, unit="img", desc=f"prepare {ds.name}", disable=not progress) as bar:
        for job, indices in plans:
            for i in indices:
                try:
                    rows = [
                        (domain, item, to_chw(item.pixels, cfg.channels, cfg.image_size,
                                              cfg.resize, item.source))
                        for domain, item in _items(job, int(i))
                    ]
                    for domain, item, chw in rows:
                        labelled[domain] = labelled.get(domain, False) or item.label is not None
                        writer.add(domain, job.split, chw, item.label, item.pair_id, item.source)
                except DataError as err:
                    if not cfg.skip_bad_files:
                        raise
                    log.warning("skipping %s", err)
                    skipped.append({"source": storable_text(relative_to_root(cfg, err.where)),
                                    "problem": storable_text(err.problem)})
                bar.update(1 if job.domain else 2)
    if skipped:
        log.warning("%s: skipped %d bad file(s)", ds.name, len(skipped))
    shards = writer.finish()
    counts: dict[str, dict[str, int]] = {}
    for s in shards:
        counts.setdefault(s.domain, {})
        counts[s.domain][s.split] = counts[s.domain].get(s.split, 0) + s.rows
    for job in jobs:
        for domain in [job.domain] if job.domain else ["a", "b"]:
            if counts.get(domain, {}).get(job.split, 0) == 0:
                raise DataError(job.key, "no images left to write")
    # Where things are written is not what they are: keep locations out of the recorded params.
    params = {k: v for k, v in cfg.to_dict().items() if k not in ("output", "shards_uri")}
    return Manifest(
        dataset=ds.name,
        image={"height": cfg.image_size, "width": cfg.image_size, "channels": cfg.channels,
               "encoding": writer.encoding},
        counts=counts,
        paired_splits=sorted(ds.pair_splits),
        has_labels={d: labelled.get(d, False) for d in sorted(counts)},
        shards=shards,
        params=params,
        skipped=skipped,
    )


def _items(job: SplitJob, i: int):
    """The (domain, SourceImage) rows that source item `i` contributes (two for a pair).

    Both sides of a pair are decoded before either is written, so a bad file skips the pair.
    """
    if job.domain is not None:
        return [(job.domain, job.source[i])]
    a, b = job.source[i]
    return [("a", a), ("b", b)]
