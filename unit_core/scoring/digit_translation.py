"""Three scores of a digit translator a <-> b, each with the baseline that a translator doing
nothing (the identity map) gets. Labels only score; they never reach the translator.

- **Pixel-level adaptation** (CyCADA's protocol): a fresh `ScoringClassifier` trained on the
  translated source train images with the source labels, tested on the real target test set.
  Baseline: the same classifier trained on the untranslated source images (source-only).
- **Content kept**: the target-domain classifier (trained on the target's train labels, for
  scoring only) reads the translated source test images. Baseline: it reads them untranslated.
- **Looks like the target**: a real-a-vs-real-b domain classifier's target rate on the
  translated source test images. The identity map scores about 0. Chosen over KID because it
  is one number in [0, 1] with a plain meaning (the share of translations a classifier that
  separates the real domains takes for the target) and needs no feature extractor beyond ours.

A scoring classifier that does not learn its own task (accuracy on its own test split below
`ScoringFloors`) raises `ScorerError`: scores built on it would mean nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from unit_core.scoring.digit_classifier import ClassifierBudget, fit_classifier, predict

Translate = Callable[[Tensor, str], Tensor]  # (images, 'a2b' | 'b2a') -> translations
DIRECTIONS = {"a2b": ("a", "b"), "b2a": ("b", "a")}


class ScorerError(RuntimeError):
    """A scoring classifier failed to learn its own task."""


@dataclass(frozen=True)
class LabelledDomain:
    """One domain's splits: images (N, C, S, S) floats in [-1, 1], labels (N,) int64."""

    train_images: Tensor
    train_labels: Tensor
    test_images: Tensor
    test_labels: Tensor


@dataclass(frozen=True)
class ScoringFloors:
    """Accuracy below which a scoring classifier is taken as broken."""

    digit_classifier: float = 0.85  # on its own domain's test split
    domain_classifier: float = 0.9  # real a vs real b, on both test splits


class DigitTranslationScorer:
    """Trains the label-only scorers once; `score(translate)` then scores any translator."""

    def __init__(
        self,
        domains: dict[str, LabelledDomain],
        num_classes: int,
        budget: ClassifierBudget,
        floors: ScoringFloors = ScoringFloors(),
    ) -> None:
        self.domains, self.num_classes, self.budget = domains, num_classes, budget
        # one classifier per domain: source-only baseline when it is the source, content
        # scorer when it is the target
        self.digit_classifiers = {
            name: fit_classifier(d.train_images, d.train_labels, num_classes, budget)
            for name, d in domains.items()
        }
        self.scorer_accuracy = {
            name: _accuracy(self.digit_classifiers[name], d.test_images, d.test_labels)
            for name, d in domains.items()
        }
        self.domain_classifier, self.domain_accuracy = self._fit_domain_classifier()
        self._check(floors)

    def score(self, translate: Translate) -> dict[str, float]:
        """Every score and its baseline, both directions, as `<direction>_<score>_accuracy` (or
        `_rate`) keys."""
        scores: dict[str, float] = {
            f"scorer_{name}_accuracy": acc for name, acc in self.scorer_accuracy.items()
        }
        scores["domain_classifier_accuracy"] = self.domain_accuracy
        for direction, (source, target) in DIRECTIONS.items():
            scores |= self._direction_scores(translate, direction, source, target)
        return scores

    def _direction_scores(
        self, translate: Translate, direction: str, source: str, target: str
    ) -> dict[str, float]:
        src, tgt = self.domains[source], self.domains[target]
        target_index = sorted(self.domains).index(target)
        moved_train = _translate_all(translate, src.train_images, direction)
        adapted = fit_classifier(moved_train, src.train_labels, self.num_classes, self.budget)
        moved_test = _translate_all(translate, src.test_images, direction)
        content = self.digit_classifiers[target]
        return {
            f"{direction}_pixel_adaptation_accuracy": _accuracy(adapted, tgt.test_images, tgt.test_labels),
            f"{direction}_source_only_accuracy": _accuracy(
                self.digit_classifiers[source], tgt.test_images, tgt.test_labels
            ),
            f"{direction}_content_kept_accuracy": _accuracy(content, moved_test, src.test_labels),
            f"{direction}_content_identity_accuracy": _accuracy(content, src.test_images, src.test_labels),
            f"{direction}_looks_like_target_rate": _rate(self.domain_classifier, moved_test, target_index),
            f"{direction}_looks_identity_rate": _rate(self.domain_classifier, src.test_images, target_index),
        }

    def content_kept(self, translate: Translate, limit: int | None = None) -> dict[str, float]:
        """Only the cheap scores (no classifier trained) on the first `limit` source test
        images: content kept and looks like target, for curves during training."""
        out = {}
        for direction, (source, target) in DIRECTIONS.items():
            src = self.domains[source]
            images, labels = src.test_images[:limit], src.test_labels[:limit]
            moved = _translate_all(translate, images, direction)
            out[f"{direction}_content_kept_accuracy"] = _accuracy(
                self.digit_classifiers[target], moved, labels
            )
            out[f"{direction}_looks_like_target_rate"] = _rate(
                self.domain_classifier, moved, sorted(self.domains).index(target)
            )
        return out

    def _fit_domain_classifier(self) -> tuple[torch.nn.Module, float]:
        """Real a (class 0) vs real b (class 1), equal counts per domain from the train splits."""
        names = sorted(self.domains)
        n = min(len(self.domains[name].train_images) for name in names)
        images = torch.cat([self.domains[name].train_images[:n] for name in names])
        labels = torch.cat([torch.full((n,), i, dtype=torch.long) for i in range(len(names))])
        net = fit_classifier(images, labels, len(names), self.budget)
        accuracy = sum(_rate(net, self.domains[name].test_images, i)
                       for i, name in enumerate(names)) / len(names)
        return net, accuracy

    def _check(self, floors: ScoringFloors) -> None:
        for name, acc in self.scorer_accuracy.items():
            if acc < floors.digit_classifier:
                raise ScorerError(
                    f"the domain-{name} scoring classifier reaches {acc:.3f} on its own test split, "
                    f"below the floor {floors.digit_classifier}: scores built on it would mean nothing"
                )
        if self.domain_accuracy < floors.domain_classifier:
            raise ScorerError(
                f"the real-a-vs-real-b domain classifier reaches {self.domain_accuracy:.3f} on the "
                f"test splits, below the floor {floors.domain_classifier}"
            )


def _translate_all(translate: Translate, images: Tensor, direction: str,
                   batch_size: int = 500) -> Tensor:
    with torch.no_grad():
        return torch.cat([translate(images[i : i + batch_size], direction).float()
                          for i in range(0, len(images), batch_size)])


def _accuracy(net: torch.nn.Module, images: Tensor, labels: Tensor) -> float:
    return float((predict(net, images) == labels).float().mean())


def _rate(net: torch.nn.Module, images: Tensor, cls: int) -> float:
    return float((predict(net, images) == cls).float().mean())
