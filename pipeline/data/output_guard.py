"""Where `prepare` may write, and which files there are its own to replace.

Why: prepare replaces a previous output, so pointed at the wrong folder (the raw images, a home
directory) it must refuse instead of deleting. The rule (docs/data.md): an output location — a
local folder or an S3 prefix — may hold only a ``manifest.json`` of the same dataset in this
project's format and files named like shards; anything else makes prepare refuse before it
reads a source. Only those files are ever replaced or deleted. No output may be, contain or lie
inside a location the dataset reads from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.data.manifest import MANIFEST_NAME
from pipeline.io import storage
from pipeline.io.errors import DataError

# `<domain>-<split>-<nnnnn>-<sha12>.parquet` (shard_writer): a plain name, never a path.
_SHARD_NAME = re.compile(r"[a-z]+-[a-z]+-\d+-[0-9a-f]{12}\.parquet")


def check_apart(outputs: list[str], sources: list[str]) -> None:
    """DataError naming the output if it equals, contains or lies inside any source location."""
    for out in outputs:
        for src in sources:
            if _overlap(out, src):
                raise DataError(out, f"output overlaps the source location {src} (the same, "
                                "inside it or containing it); write shards to a separate folder")


def _overlap(a: str, b: str) -> bool:
    if storage.is_s3(a) != storage.is_s3(b):
        return False
    if storage.is_s3(a):
        x, y = a.rstrip("/") + "/", b.rstrip("/") + "/"
        return x.startswith(y) or y.startswith(x)
    x, y = Path(a).resolve(), Path(b).resolve()
    return x == y or x in y.parents or y in x.parents


def owned_files(location: str, dataset: str) -> set[str]:
    """Names of the files at `location` that are this dataset's own: a manifest.json of
    `dataset` written by prepare, and files named like shards (``<domain>-<split>-<nnnnn>-
    <sha12>.parquet``, also those an interrupted S3 upload left before its manifest).

    Empty when `location` is missing or empty. DataError naming `location` when it holds
    anything else: other files or folders, or another dataset's or program's manifest.json.
    """
    if not storage.is_s3(location):
        path = Path(location)
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise DataError(location, "output exists and is not a folder (a file or a link); "
                            "refusing to replace it")
    entries = set(storage.list_entries(location))
    if MANIFEST_NAME in entries:
        manifest_uri = storage.join(location, MANIFEST_NAME)
        if not _is_manifest_of(storage.read_bytes(manifest_uri), dataset):
            raise DataError(manifest_uri, f"not a manifest of dataset '{dataset}' written by "
                            "prepare; refusing to replace this output (use a new or empty folder)")
    foreign = sorted(n for n in entries if n != MANIFEST_NAME and not _SHARD_NAME.fullmatch(n))
    if foreign:
        raise DataError(location, f"output holds {len(foreign)} entries that are not dataset "
                        f"'{dataset}''s manifest or shards (e.g. {', '.join(foreign[:3])}); "
                        "refusing to write into it (use a new or empty folder)")
    return entries


def _is_manifest_of(raw: bytes, dataset: str) -> bool:
    """Whether `raw` is a manifest.json of `dataset` in this project's format (any version)."""
    try:
        body = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return False
    return (isinstance(body, dict) and body.get("dataset") == dataset
            and isinstance(body.get("schema_version"), int) and isinstance(body.get("shards"), list))


def drop_stale(location: str, owned: set[str], keep: set[str]) -> None:
    """Delete the previously owned files at an S3 `location` that the new output no longer has."""
    for name in sorted(owned - keep):
        storage.delete(storage.join(location, name))
