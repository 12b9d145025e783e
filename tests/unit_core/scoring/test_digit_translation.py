"""The digit scores on synthetic two-domain "digits": the class is where a bright square sits;
domain b draws it inverted (dark on light). A translator that inverts the image is the true map,
the identity map keeps content but not the look, a constant keeps neither."""

import pytest
import torch

from unit_core.scoring.digit_classifier import ClassifierBudget, fit_classifier, predict
from unit_core.scoring.digit_translation import (
    DigitTranslationScorer,
    LabelledDomain,
    ScorerError,
    ScoringFloors,
)

CLASSES = 4
BUDGET = ClassifierBudget(steps=40, batch_size=32, lr=2e-3, seed=0)


def squares(labels: torch.Tensor, invert: bool, seed: int) -> torch.Tensor:
    """(N, 1, 32, 32) in [-1, 1]: an 8x8 square in the quadrant named by the label, plus noise."""
    g = torch.Generator().manual_seed(seed)
    images = torch.full((len(labels), 1, 32, 32), -1.0)
    for i, label in enumerate(labels.tolist()):
        row, col = divmod(label, 2)
        images[i, :, 4 + 16 * row : 12 + 16 * row, 4 + 16 * col : 12 + 16 * col] = 1.0
    images += 0.2 * torch.randn(images.shape, generator=g)
    return -images if invert else images


def domain(invert: bool, seed: int) -> LabelledDomain:
    g = torch.Generator().manual_seed(seed)
    train, test = torch.randint(CLASSES, (120,), generator=g), torch.randint(CLASSES, (60,), generator=g)
    return LabelledDomain(squares(train, invert, seed), train, squares(test, invert, seed + 1), test)


@pytest.fixture(scope="module")
def scorer() -> DigitTranslationScorer:
    return DigitTranslationScorer({"a": domain(False, 1), "b": domain(True, 2)}, CLASSES, BUDGET)


def test_fit_classifier_learns_and_is_deterministic():
    d = domain(False, 3)
    first = fit_classifier(d.train_images, d.train_labels, CLASSES, BUDGET)
    second = fit_classifier(d.train_images, d.train_labels, CLASSES, BUDGET)
    assert (predict(first, d.test_images) == d.test_labels).float().mean() > 0.9
    assert torch.equal(predict(first, d.test_images), predict(second, d.test_images))


def test_the_true_map_passes_every_score(scorer):
    scores = scorer.score(lambda x, direction: -x)
    for direction in ("a2b", "b2a"):
        assert scores[f"{direction}_pixel_adaptation_accuracy"] > 0.9
        assert scores[f"{direction}_content_kept_accuracy"] > 0.9
        assert scores[f"{direction}_looks_like_target_rate"] > 0.9
        assert scores[f"{direction}_looks_identity_rate"] < 0.1


def test_identity_keeps_content_but_not_the_look(scorer):
    scores = scorer.score(lambda x, direction: x)
    assert scores["a2b_looks_like_target_rate"] < 0.1
    assert scores["a2b_content_kept_accuracy"] == scores["a2b_content_identity_accuracy"]


def test_a_constant_translation_scores_chance(scorer):
    scores = scorer.score(lambda x, direction: torch.zeros_like(x))
    for direction in ("a2b", "b2a"):
        assert scores[f"{direction}_pixel_adaptation_accuracy"] < 0.5
        assert scores[f"{direction}_content_kept_accuracy"] < 0.5


def test_a_scorer_that_cannot_learn_stops_scoring():
    noise = domain(False, 4)
    shuffled = LabelledDomain(noise.train_images, noise.train_labels[torch.randperm(120)],
                              noise.test_images, noise.test_labels)
    with pytest.raises(ScorerError, match="domain-a scoring classifier"):
        DigitTranslationScorer({"a": shuffled, "b": domain(True, 5)}, CLASSES, BUDGET,
                               ScoringFloors(digit_classifier=0.8))
