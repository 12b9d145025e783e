"""Domain-adaptation scores: the adapted classifier and its source-only baseline on test sets.

The target's test labels are read here, after training, and only to score; nothing trained or
chosen depends on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pipeline.data.errors import DataError
from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import load_split
from pipeline.tasks.adaptation import load_adaptation
from unit_core.inputs import to_model_range
from unit_core.metrics import classification_accuracy

EVAL_BATCH = 500


@torch.no_grad()
def classify_images(classifier: Any, images: torch.Tensor, domain: str) -> torch.Tensor:
    """Predicted labels (N,) for uint8 images (N, C, 32, 32), in batches."""
    return torch.cat(
        [
            classifier.classify(to_model_range(images[i : i + EVAL_BATCH]), domain)
            .argmax(dim=1)
            .cpu()
            for i in range(0, len(images), EVAL_BATCH)
        ]
    )


def adaptation_metrics(model_file: Path, manifest: Manifest) -> dict[str, Any]:
    """Target and source test accuracy of the adapted model and of the source-only baseline."""
    task = load_adaptation(model_file)
    source, target = task.cfg.source_domain, task.cfg.target_domain
    metrics: dict[str, Any] = {"source_domain": source, "target_domain": target}
    for role, domain in (("target", target), ("source", source)):
        split = load_split(manifest, domain, "test")
        if split.labels is None:
            raise DataError(
                f"{manifest.root}/manifest.json",
                f"{role} domain '{domain}' test split has no labels to score",
            )
        metrics[f"{role}_accuracy"] = classification_accuracy(
            classify_images(task.trainer, split.images, domain), split.labels
        )
        metrics[f"baseline_{role}_accuracy"] = classification_accuracy(
            classify_images(task.baseline, split.images, domain), split.labels
        )
        metrics[f"{role}_test_images"] = len(split.labels)
    metrics["adaptation_gain"] = metrics["target_accuracy"] - metrics["baseline_target_accuracy"]
    return metrics
