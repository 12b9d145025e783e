"""``manifest.json``: what a dataset's shards are, how they were made, and how to verify them.

Written last (after every shard), so a manifest never points at a missing shard. Serialised
with sorted keys and no timestamps so equal inputs + params give a byte-identical file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.data.shard_schema import SCHEMA_VERSION
from pipeline.io import storage
from pipeline.io.errors import DataError

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class ShardInfo:
    """One Parquet file: its name (relative to the manifest), content and verification data."""

    file: str
    domain: str
    split: str
    rows: int
    bytes: int
    sha256: str


@dataclass
class Manifest:
    """A dataset's shards. `root` (where the shard files are read from) is not serialised.

    counts: {domain: {split: images}}. paired_splits: splits whose rows carry pair ids.
    image: {"height", "width", "channels", "encoding"}. skipped: [{"source", "problem"}].
    """

    dataset: str
    image: dict[str, Any]
    counts: dict[str, dict[str, int]]
    paired_splits: list[str]
    has_labels: dict[str, bool]
    shards: list[ShardInfo]
    params: dict[str, Any]
    skipped: list[dict[str, str]] = field(default_factory=list)
    shards_root: str | None = None  # set when the shards live elsewhere (e.g. S3)
    schema_version: int = SCHEMA_VERSION
    root: str = ""  # where shard files are read from (shards_root or the manifest's folder)

    def shards_for(self, domain: str, split: str) -> list[ShardInfo]:
        """The shards of one domain/split in row order; DataError if there are none."""
        found = [s for s in self.shards if s.domain == domain and s.split == split]
        if not found:
            raise DataError(
                storage.join(self.root, MANIFEST_NAME),
                f"no shards for domain '{domain}' split '{split}' (have {self.counts})",
            )
        return found

    def to_json(self) -> bytes:
        body = asdict(self)
        body.pop("root")
        body["skipped_count"] = len(self.skipped)
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()


def parse_manifest(raw: bytes, origin: str) -> Manifest:
    """JSON bytes → Manifest, checking the schema version first; DataError names `origin`."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(origin, f"not valid JSON ({err})") from err
    if not isinstance(body, dict):
        raise DataError(origin, "manifest must be a JSON object")
    version = body.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DataError(
            origin,
            f"shard schema version {version!r} does not match this code's {SCHEMA_VERSION}; "
            "re-run `python -m pipeline.prepare` for this dataset",
        )
    body.pop("skipped_count", None)
    try:
        shards = [ShardInfo(**s) for s in body.pop("shards")]
        return Manifest(shards=shards, root=origin.rsplit("/", 1)[0], **body)
    except (KeyError, TypeError) as err:
        raise DataError(origin, f"malformed manifest ({err})") from err


def load_manifest(uri: str) -> Manifest:
    """Read a dataset's manifest from a folder/prefix or the manifest file itself (local or S3).

    Raises DataError naming the file when it is missing, malformed or of another schema version.
    """
    uri = str(uri)
    path = uri if uri.endswith(".json") else storage.join(uri, MANIFEST_NAME)
    if not storage.is_s3(path) and not storage.exists(path):
        raise DataError(path, "manifest not found; run `python -m pipeline.prepare` first")
    manifest = parse_manifest(storage.read_bytes(path), path)
    folder = path.rsplit("/", 1)[0] if storage.is_s3(path) else str(_parent(path))
    manifest.root = manifest.shards_root or folder
    return manifest


def _parent(path: str):
    from pathlib import Path

    return Path(path).parent
