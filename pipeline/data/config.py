"""Typed `prepare:` section of params.yaml (built strictly by `unit_core.typed_config.TypedConfig`).

Layout (see docs/data.md): ``prepare.datasets.<name>`` is one `DatasetConfig`. An unpaired
dataset lists its two `domains` (``a``, ``b``), each with a reader `format` and per-split
sources; a paired dataset has `pairs` instead (pix2pix side-by-side files or the procedural
aerial ↔ map generator), whose two sides become domains ``a`` and ``b`` with shared pair ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from unit_core.typed_config import ConfigError, TypedConfig, require

SPLITS = ("train", "val", "test")
DOMAINS = ("a", "b")
UnpairedFormat = Literal["mnist_idx", "usps_text", "svhn_mat", "image_folder"]
PairedFormat = Literal["pix2pix_pairs", "procedural_aerial_map"]


@dataclass
class SplitSource(TypedConfig):
    """Where one split comes from. `path` is relative to the dataset's `source_root` unless it
    is absolute or an s3:// URI. `labels`: IDX label file. `limit`: keep a fixed-seed random
    subset of this many images. `count`: number of examples the procedural generator makes."""

    path: str = ""
    labels: str | None = None
    limit: int | None = None
    count: int | None = None

    def validate(self, prefix: str) -> None:
        require(self.limit is None or self.limit >= 1, prefix + "limit", "must be >= 1")
        require(self.count is None or 1 <= self.count <= 10_000_000, prefix + "count",
                "must be between 1 and 10,000,000")


@dataclass
class DomainSource(TypedConfig):
    """One domain of an unpaired dataset: a reader format and its splits."""

    format: UnpairedFormat
    splits: dict[str, Any] = field(default_factory=dict)


@dataclass
class PairedSourceConfig(TypedConfig):
    """Both domains from one paired source; `a_side` picks the pix2pix half that is domain a."""

    format: PairedFormat
    a_side: Literal["left", "right"] = "left"
    splits: dict[str, Any] = field(default_factory=dict)


@dataclass
class DatasetConfig(TypedConfig):
    """Everything that determines one dataset's shards (and is recorded in its manifest).

    image_size: output side in pixels (square). resize: `stretch` ignores aspect ratio,
    `center_crop` scales the shorter side to image_size then crops the centre. channels: 1 or 3.
    shards_uri: write the shards there (an s3:// prefix) and only a pointer manifest to
    `output` — DVC 3 does not cache remote outputs, so DVC tracks that small local manifest.
    encoding: `raw` stores uint8 CHW pixels (fastest to read), `png` stores PNG (smaller).
    compression: Parquet page compression of the shards (lz4 reads fastest of the compressed).
    """

    output: str
    shards_uri: str | None = None
    source_root: str = "data/raw"
    image_size: int = 32
    channels: Literal[1, 3] = 1
    resize: Literal["stretch", "center_crop"] = "stretch"
    encoding: Literal["raw", "png"] = "raw"
    compression: Literal["lz4", "zstd", "none"] = "lz4"
    seed: int = 0
    rows_per_shard: int = 4096
    skip_bad_files: bool = False
    domains: dict[str, Any] | None = None
    pairs: PairedSourceConfig | None = None

    def validate(self, prefix: str) -> None:
        require(8 <= self.image_size <= 1024, prefix + "image_size", "must be between 8 and 1024")
        require(self.seed >= 0, prefix + "seed", "must be >= 0")
        require(1 <= self.rows_per_shard <= 1_000_000, prefix + "rows_per_shard",
                "must be between 1 and 1,000,000")
        require(bool(self.output), prefix + "output", "must be a path or s3:// URI")
        require(self.shards_uri is None or self.shards_uri.startswith("s3://"),
                prefix + "shards_uri", "must be an s3:// URI (or null)")
        require((self.domains is None) != (self.pairs is None), prefix + "domains",
                "give exactly one of 'domains' (unpaired) or 'pairs' (paired)")


@dataclass
class PrepareDataset:
    """A validated dataset: its config plus the built per-domain / per-split sources."""

    name: str
    config: DatasetConfig
    domains: dict[str, DomainSource]
    pair_splits: dict[str, SplitSource]


def _build_splits(raw: Any, prefix: str) -> dict[str, SplitSource]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(prefix.rstrip("."), "expected a non-empty mapping of splits")
    for name in raw:
        require(name in SPLITS, prefix + str(name), f"unknown split (known: {', '.join(SPLITS)})")
    return {name: SplitSource.from_dict(raw[name], f"{prefix}{name}.") for name in SPLITS if name in raw}


def dataset_config(params: dict[str, Any], name: str) -> PrepareDataset:
    """Validate ``params['prepare']['datasets'][name]``; ConfigError names the dotted key."""
    prepare = params.get("prepare")
    require(isinstance(prepare, dict), "prepare", "missing section in params")
    datasets = prepare.get("datasets")
    require(isinstance(datasets, dict), "prepare.datasets", "missing mapping of datasets")
    unknown = sorted(set(prepare) - {"datasets"})
    require(not unknown, f"prepare.{unknown[0] if unknown else ''}", "unknown key")
    require(name in datasets, f"prepare.datasets.{name}",
            f"no such dataset (known: {', '.join(sorted(datasets))})")
    prefix = f"prepare.datasets.{name}."
    config = DatasetConfig.from_dict(datasets[name], prefix)
    domains: dict[str, DomainSource] = {}
    if config.domains is not None:
        require(sorted(config.domains) == list(DOMAINS), prefix + "domains",
                "must have exactly the domains 'a' and 'b'")
        for d in DOMAINS:
            dom = DomainSource.from_dict(config.domains[d], f"{prefix}domains.{d}.")
            dom.splits = _build_splits(dom.splits, f"{prefix}domains.{d}.splits.")
            domains[d] = dom
    pair_splits: dict[str, SplitSource] = {}
    if config.pairs is not None:
        pair_splits = _build_splits(config.pairs.splits, prefix + "pairs.splits.")
        if config.pairs.format == "procedural_aerial_map":
            require(config.channels == 3, prefix + "channels", "procedural_aerial_map is RGB: use 3")
            for split, src in pair_splits.items():
                require(src.count is not None, f"{prefix}pairs.splits.{split}.count",
                        "required for procedural_aerial_map")
    return PrepareDataset(name, config, domains, pair_splits)


def dataset_output(params: dict[str, Any], name: str) -> str:
    """``prepare.datasets.<name>.output``: where `prepare` writes that dataset's manifest.

    Reads that one value (not the whole dataset config), so a training stage that finds its
    data this way depends on that key only (DVC `params`).
    """
    datasets = (params.get("prepare") or {}).get("datasets")
    require(isinstance(datasets, dict), "prepare.datasets", "missing mapping of datasets")
    require(name in datasets, f"prepare.datasets.{name}",
            f"no such dataset (known: {', '.join(sorted(datasets))})")
    output = (datasets[name] or {}).get("output")
    require(isinstance(output, str) and bool(output), f"prepare.datasets.{name}.output",
            "must be a path or s3:// URI")
    return output


def dataset_names(params: dict[str, Any]) -> list[str]:
    """Names of the datasets in ``prepare.datasets`` (sorted)."""
    return sorted((params.get("prepare") or {}).get("datasets") or {})
