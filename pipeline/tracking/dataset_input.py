"""The shards a run trained on, as an MLflow dataset input (the run page's "Datasets" panel).

Why: the manifest's sha256 used to live only in a `unit.shard_manifest_sha256` tag, where MLflow
users do not look. Logged as a dataset, the UI shows its name, digest, source (local folder or
`s3://` prefix) and per-split image counts, and runs can be filtered by it — the link between
the DVC-versioned data and the MLflow run.

Concurrent trials log the same dataset at the same moment; the write is retried and, if it still
fails, skipped with a warning (pipeline/tracking/retry.py says why).
"""

from __future__ import annotations

import json
from typing import Any

import mlflow
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.meta_dataset import MetaDataset

from pipeline.tracking.retry import retry_tracking_write

DIGEST_CHARS = 16  # MLflow shows short digests; the full sha256 stays in the manifest tag


def log_training_data(
    dataset: str, manifest_uri: str, manifest_sha256: str, counts: dict[str, Any]
) -> None:
    """Log the shards behind `manifest_uri` as the active run's training dataset.

    Never raises for the write itself: a lost race is retried, a lasting failure only warns.
    """
    source = resolve_dataset_source(manifest_uri)
    data = MetaDataset(source, name=dataset, digest=manifest_sha256[:DIGEST_CHARS])
    tags = {"counts": json.dumps(counts, sort_keys=True)}
    retry_tracking_write(
        lambda: mlflow.log_input(data, context="training", tags=tags),
        f"training dataset {dataset!r} ({data.digest})",
    )
