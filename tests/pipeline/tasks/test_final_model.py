"""A run's exported model comes from its final state alone: the same weights the trained task
would export, without building a second trainer (optimisers included)."""

from __future__ import annotations

import pytest
import torch

from pipeline.io.translator_weights import load_translator_weights
from pipeline.tasks import AdaptationTask, TranslationTask
from pipeline.tasks import adaptation as adaptation_module
from pipeline.tasks import translation as translation_module
from pipeline.tasks.adaptation import load_adaptation
from tests.unit_core.da.tiny import tiny_da_config
from tests.unit_core.tiny import tiny_batch, tiny_config


def _trained_translation(**optimizer) -> TranslationTask:
    torch.manual_seed(0)
    task = TranslationTask(tiny_config(optimizer=optimizer))
    x_a, x_b = tiny_batch(task.trainer.cfg)
    for _ in range(2):
        task.trainer.train_step(x_a, x_b)
    return task


def _no_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("final_model must not build a trainer")

    monkeypatch.setattr(translation_module, "build_trainer", refuse)
    monkeypatch.setattr(adaptation_module, "DaTrainer", refuse)


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_translation_final_model_is_the_evaluation_weights(ema_decay, monkeypatch, tmp_path):
    task = _trained_translation(ema_decay=ema_decay)
    state, expected = task.state_dict(), task.trainer.eval_translator.state_dict()
    _no_trainer(monkeypatch)
    final = TranslationTask.final_model(task.trainer.cfg, state)
    assert final.step == 2 and final.selection == {}
    got = final.translator.state_dict()
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[k], expected[k]) for k in expected)
    final.export(tmp_path)
    loaded, cfg = load_translator_weights(tmp_path / translation_module.MODEL_FILE)
    assert cfg == task.trainer.cfg
    assert all(torch.equal(loaded.state_dict()[k], expected[k]) for k in expected)


def test_translation_final_model_prefers_the_weights_selected_on_val(monkeypatch):
    task = _trained_translation()
    live = task.trainer.translator.state_dict()
    selected = {k: torch.zeros_like(v) for k, v in live.items()}
    state = task.state_dict() | {
        "selected_on_val": {"step": 1, "val_pixel_accuracy": 0.5, "translator": selected}
    }
    _no_trainer(monkeypatch)
    final = TranslationTask.final_model(task.trainer.cfg, state)
    assert final.selection == {"selected_step": 1, "selected_val_pixel_accuracy": 0.5}
    assert all(torch.equal(final.translator.state_dict()[k], selected[k]) for k in selected)


def test_adaptation_final_model_writes_the_loadable_file(tmp_path):
    task = AdaptationTask(tiny_da_config())
    final = AdaptationTask.final_model(task.cfg, task.state_dict())
    assert final.step == task.step  # log(): tests/pipeline/tracking/test_classifier_model.py
    final.export(tmp_path)
    loaded = load_adaptation(tmp_path / adaptation_module.MODEL_FILE)
    assert loaded.cfg == task.cfg and loaded.step == task.step


def test_munit_final_model_is_its_evaluation_weights(monkeypatch):
    from tests.unit_core.munit.tiny import tiny_munit_config

    torch.manual_seed(0)
    task = TranslationTask(tiny_munit_config())
    state, expected = task.state_dict(), task.trainer.eval_translator.state_dict()
    _no_trainer(monkeypatch)
    final = TranslationTask.final_model(task.trainer.cfg, state)
    assert type(final.translator) is type(task.trainer.eval_translator)
    assert all(torch.equal(final.translator.state_dict()[k], expected[k]) for k in expected)
