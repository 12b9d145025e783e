"""Domain-adaptation scores: the adapted classifier and its source-only baseline on test sets.

The target's test labels are read here, after training, and only to score; nothing trained or
chosen depends on them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import load_split
from pipeline.io.errors import DataError
from pipeline.io.run_outputs import HISTORY_FILE
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


def adaptation_metrics(task: Any, manifest: Manifest, output: Path) -> dict[str, Any]:
    """Target and source test accuracy of the adapted model and of the source-only baseline.

    task: the trained `AdaptationTask` (its `trainer` and `baseline`); output: the run's
    output folder (its history gives the `oracle_*` figures).
    """
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
    return metrics | oracle_metrics(output / HISTORY_FILE)


def oracle_metrics(history_file: Path) -> dict[str, Any]:
    """`oracle_*`: the best display-only target-test accuracy over the run's logging steps.

    This is how the 2017 DA code reported its figures (the maximum over many evaluations on the
    target test set), so a user can compare with the paper and see the selection bias; the
    exported model is never chosen this way. Empty when the history has no display curve.
    """
    if not history_file.exists():
        return {}
    rows = [r for r in json.loads(history_file.read_text()) if "display_target_accuracy" in r]
    if not rows:
        return {}
    best = max(rows, key=lambda r: r["display_target_accuracy"])
    return {
        "oracle_target_accuracy": best["display_target_accuracy"],
        "oracle_step": best["step"],
        "oracle_evaluations": len(rows),
    }
