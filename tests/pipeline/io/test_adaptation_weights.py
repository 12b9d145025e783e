"""The `adaptation.pt` format: written once, read back by the task and as a classifier."""

import pytest
import torch

from pipeline.io.adaptation_weights import (
    load_adapted_classifier,
    read_adaptation,
    save_adaptation,
)
from pipeline.io.translator_weights import save_translator_weights
from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from tests.unit_core.tiny import tiny_config
from unit_core.da.baseline import SourceOnlyClassifier
from unit_core.da.trainer import DaTrainer
from unit_core.unit.translator import UnitTranslator


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_classifier_is_read_with_the_evaluation_weights(tmp_path, ema_decay):
    cfg = tiny_da_config(optimizer={"ema_decay": ema_decay})
    trainer = DaTrainer(cfg)
    x, labels = pattern_digits(8, 4)
    for _ in range(2):
        trainer.train_step(x, x, labels)
    state = {"da": trainer.state_dict(), "baseline": SourceOnlyClassifier(cfg).state_dict()}
    path = tmp_path / "adaptation.pt"
    save_adaptation(cfg, state, path)
    read_cfg, read_state = read_adaptation(path)
    assert read_cfg == cfg and set(read_state) == {"da", "baseline"}
    classifier = load_adapted_classifier(path)
    assert torch.equal(classifier.classify(x, "b"), trainer.classify(x, "b"))


def test_other_files_are_refused_naming_the_file(tmp_path):
    translator = tmp_path / "translator.pt"
    cfg = tiny_config()
    save_translator_weights(UnitTranslator(cfg.model), cfg, translator)
    with pytest.raises(ValueError, match="translator.pt: not a domain-adaptation model"):
        load_adapted_classifier(translator)
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"not torch")
    with pytest.raises(ValueError, match="damaged.pt: unreadable adaptation model"):
        read_adaptation(damaged)
    future = tmp_path / "future.pt"
    torch.save({"format": 99, "da_config": tiny_da_config().to_dict()}, future)
    with pytest.raises(ValueError, match="future.pt: adaptation model format 99"):
        read_adaptation(future)
