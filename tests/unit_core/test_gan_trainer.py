"""What every two-domain GAN trainer inherits from `TwoDomainGanTrainer`, for UNIT and MUNIT:
seeded determinism, bit-exact checkpoint round trips, and clear errors on bad batches."""

from __future__ import annotations

import io
from typing import Any

import pytest
import torch

from tests.unit_core.munit.tiny import tiny_munit_config
from tests.unit_core.tiny import tiny_batch, tiny_config
from unit_core.model_family import build_trainer

# family -> (tiny config factory, a model key whose change makes a checkpoint not fit)
FAMILIES = {
    "unit": (tiny_config, {"n_shared": 1}, {"n_shared": 2}),
    "munit": (tiny_munit_config, {"style_dim": 8}, {"style_dim": 4}),
}


def _trainer(family: str, **kwargs: Any) -> Any:
    make_config = FAMILIES[family][0]
    return build_trainer(make_config(**kwargs))


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_gives_same_losses_and_other_seed_differs(family):
    def run(seed):
        trainer = _trainer(family, seed=seed)
        x_a, x_b = tiny_batch(trainer.cfg)
        return [trainer.train_step(x_a, x_b) for _ in range(3)]

    assert run(0) == run(0)
    assert run(0) != run(1)


@pytest.mark.parametrize("family", FAMILIES)
def test_save_load_then_next_step_is_identical(family):
    original = _trainer(family, seed=5)
    x_a, x_b = tiny_batch(original.cfg)
    for _ in range(3):
        original.train_step(x_a, x_b)
    buffer = io.BytesIO()
    torch.save(original.state_dict(), buffer)
    buffer.seek(0)
    restored = _trainer(family, seed=99)  # other init and noise: all must come from the state
    restored.cfg = original.cfg
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.step == 3
    assert original.train_step(x_a, x_b) == restored.train_step(x_a, x_b)
    for a, b in zip(
        original.translator.parameters(), restored.translator.parameters(), strict=True
    ):
        assert torch.equal(a, b)


@pytest.mark.parametrize("family", FAMILIES)
def test_loading_a_state_of_another_model_shape_is_refused(family):
    _, saved_shape, other_shape = FAMILIES[family]
    state = _trainer(family, **saved_shape).state_dict()
    with pytest.raises(ValueError, match="does not match"):
        _trainer(family, **other_shape).load_state_dict(state)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "make_batch, message",
    [
        (lambda a, b: (a[:, :, :8, :8], b), "image size 16x16"),
        (lambda a, b: (a, b[:, :1]), "3 channels"),
        (lambda a, b: (a.clone().fill_(float("nan")), b), "NaN"),
        (lambda a, b: (a, b[:1]), "same size"),
        (lambda a, b: ((a * 127).to(torch.uint8), b), "dtype"),
        (lambda a, b: (a[0], b), "shape"),
    ],
)
def test_bad_batches_raise_clear_value_errors(family, make_batch, message):
    trainer = _trainer(family)
    with pytest.raises(ValueError, match=message):
        trainer.train_step(*make_batch(*tiny_batch(trainer.cfg)))
