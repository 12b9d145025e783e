"""`AdaptedClassifier`: the trainer's evaluation classifier alone, with checked uint8 input."""

import pytest
import torch

from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from unit_core.da.classifier import AdaptedClassifier
from unit_core.da.discriminator import DaDiscriminatorPair
from unit_core.da.trainer import DaTrainer
from unit_core.inputs import to_model_range, to_uint8


def _trained(**model) -> tuple[DaTrainer, AdaptedClassifier]:
    cfg = tiny_da_config(optimizer={"ema_decay": 0.9}, seed=3, **model)
    trainer = DaTrainer(cfg)
    x, labels = pattern_digits(8, cfg.model.num_classes, channels=cfg.model.channels_a)
    grey = x.mean(dim=1, keepdim=True)
    for _ in range(2):
        trainer.train_step(x, grey, labels)
    pair = DaDiscriminatorPair(cfg.model)
    pair.load_state_dict(trainer.eval_discriminators.state_dict())
    return trainer, AdaptedClassifier(cfg, pair)


def test_predict_is_the_trainers_evaluation_classifier_on_the_target_by_default():
    trainer, classifier = _trained()
    images = to_uint8(pattern_digits(6, 4, seed=7)[0])
    for domain in ("a", "b"):
        expected = trainer.classify(to_model_range(images), domain)
        assert torch.equal(classifier.classify(to_model_range(images), domain), expected)
        assert torch.equal(classifier.predict(images, domain), expected.argmax(dim=1))
    labels = classifier.predict(images)
    assert labels.dtype == torch.int64 and labels.shape == (6,)
    assert torch.equal(labels, classifier.predict(images, "b"))  # target of source "a"
    assert not any(p.requires_grad for p in classifier.discriminators.parameters())


def test_wrong_dtype_channels_or_domain_are_refused_by_name():
    _, classifier = _trained(channels_a=3)  # RGB source a, grey target b
    rgb = to_uint8(pattern_digits(2, 4, channels=3)[0])
    with pytest.raises(ValueError, match="expected uint8 images \\(N, 1, 32, 32\\).*float32"):
        classifier.predict(to_model_range(rgb[:, :1]))
    with pytest.raises(ValueError, match="images_b: expected 1 channels"):
        classifier.predict(rgb)
    assert classifier.predict(rgb, "a").shape == (2,)
    with pytest.raises(ValueError, match="domain must be 'a' or 'b'"):
        classifier.predict(rgb, "c")
