"""The digit translation protocols on a labelled two-domain dataset (the `digits` shards).

Labels only score: the scoring classifiers (`unit_core.scoring`) are trained here, after the
translator is frozen, and nothing here reaches training or model choice. Which labels each
score uses:
- pixel-level adaptation a2b: domain a's train labels (the source's) train a classifier on the
  translations; domain b's test labels score it. b2a the other way round.
- content kept a2b: domain b's train labels train the reader; domain a's test labels score it.
- looks like the target: no digit labels, only which domain an image came from.
"""

from __future__ import annotations

from typing import Any

import torch

from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import load_split
from pipeline.io.errors import DataError
from unit_core.inputs import to_model_range
from unit_core.scoring.digit_classifier import ClassifierBudget
from unit_core.scoring.digit_translation import (
    DigitTranslationScorer,
    LabelledDomain,
    ScoringFloors,
)

DOMAINS = ("a", "b")
SPLITS = ("train", "test")
NUM_CLASSES = 10


class UnlabelledData(DataError):
    """The dataset lacks the labelled splits a label-based score needs (the train stage turns
    it into a config error naming the run's `task` key)."""


def require_labelled_splits(manifest: Manifest, task: str) -> None:
    """Raise UnlabelledData, before any training, unless both domains have labelled train and
    test splits: the digit scores need them."""
    where = f"{manifest.root}/manifest.json"
    for domain in DOMAINS:
        missing = [s for s in SPLITS if s not in manifest.counts.get(domain, {})]
        if missing or not manifest.has_labels.get(domain, False):
            raise UnlabelledData(
                where,
                f"task {task!r} scores with labelled train and test splits of both domains; "
                f"domain '{domain}' has {'no ' + '/'.join(missing) + ' split' if missing else 'no labels'} "
                "(use task: translation for an unlabelled dataset)",
            )


def labelled_domain(manifest: Manifest, domain: str) -> LabelledDomain:
    train, test = load_split(manifest, domain, "train"), load_split(manifest, domain, "test")
    return LabelledDomain(
        to_model_range(train.images), train.labels, to_model_range(test.images), test.labels
    )


def digit_translation_metrics(
    translator: torch.nn.Module,
    manifest: Manifest,
    scoring_steps: int,
    scoring_floor: float,
    seed: int = 0,
) -> dict[str, Any]:
    """Every score of `DigitTranslationScorer` plus `<direction>_*_gain` (method - baseline).

    scoring_floor: the accuracy each scoring classifier must reach on its own test split."""
    domains = {d: labelled_domain(manifest, d) for d in DOMAINS}
    scorer = DigitTranslationScorer(
        domains,
        NUM_CLASSES,
        ClassifierBudget(steps=scoring_steps, seed=seed),
        ScoringFloors(digit_classifier=scoring_floor, domain_classifier=scoring_floor),
    )
    translator.eval()
    scores = scorer.score(translator.translate)
    for direction in ("a2b", "b2a"):
        scores[f"{direction}_pixel_adaptation_gain"] = (
            scores[f"{direction}_pixel_adaptation_accuracy"]
            - scores[f"{direction}_source_only_accuracy"]
        )
        scores[f"{direction}_content_gain"] = (
            scores[f"{direction}_content_kept_accuracy"]
            - scores[f"{direction}_content_identity_accuracy"]
        )
    return scores
