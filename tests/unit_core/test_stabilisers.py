"""The switches beyond the paper (EMA weights, mirrored private init) and divergence stops."""

import io

import pytest
import torch

from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from tests.unit_core.tiny import tiny_batch, tiny_config
from unit_core.da.baseline import SourceOnlyClassifier
from unit_core.da.trainer import DaTrainer
from unit_core.gan_trainer import DivergedError
from unit_core.typed_config import ConfigError
from unit_core.unit.trainer import UnitTrainer
from unit_core.weight_average import WeightAverage


def test_average_follows_live_weights_early_then_slowly():
    live = torch.nn.Linear(2, 1)
    average = WeightAverage(live, decay=0.99)
    with torch.no_grad():
        live.weight.fill_(1.0)
    start = average.module.weight.clone()
    average.update(live)  # first update: decay min(0.99, 1/10) = 0.1
    assert torch.allclose(average.module.weight, 0.1 * start + 0.9)
    for _ in range(500):
        average.update(live)
    assert torch.allclose(average.module.weight, torch.ones(1, 2), atol=1e-4)
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(live, decay=1.0)


@pytest.mark.parametrize("decay", [-0.1, 1.0, 1.5])
def test_ema_decay_out_of_range_names_the_key(decay):
    with pytest.raises(ConfigError, match="optimizer.ema_decay"):
        tiny_config(optimizer={"ema_decay": decay})


def test_unit_trainer_evaluates_the_average_and_resumes_it_exactly():
    cfg = tiny_config(optimizer={"ema_decay": 0.9})
    trainer = UnitTrainer(cfg)
    x_a, x_b = tiny_batch(cfg)
    for _ in range(3):
        trainer.train_step(x_a, x_b)
    assert trainer.eval_translator is not trainer.translator
    live, averaged = trainer.translator.translate(x_a, "a2b"), trainer.eval_translator.translate(
        x_a, "a2b"
    )
    assert not torch.equal(live, averaged)

    buffer = io.BytesIO()  # through bytes: Adam would otherwise share its state tensors
    torch.save(trainer.state_dict(), buffer)
    buffer.seek(0)
    resumed = UnitTrainer(cfg)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    trainer.train_step(x_a, x_b)
    resumed.train_step(x_a, x_b)
    for a, b in zip(
        trainer.eval_translator.parameters(), resumed.eval_translator.parameters(), strict=True
    ):
        assert torch.equal(a, b)
    without_ema = UnitTrainer(tiny_config())
    with pytest.raises(ValueError, match="EMA"):
        resumed.load_state_dict(without_ema.state_dict())


def test_da_classifier_and_baseline_use_their_averages():
    cfg = tiny_da_config(optimizer={"ema_decay": 0.9})
    trainer, baseline = DaTrainer(cfg), SourceOnlyClassifier(cfg)
    x, labels = pattern_digits(8, 4)
    for _ in range(3):
        trainer.train_step(x, x, labels)
        baseline.train_step(x, labels)
    averaged = trainer.classify(x, "b")
    trainer.eval_discriminators.eval()
    assert torch.equal(averaged, trainer.eval_discriminators.classify(x, "b"))
    trainer.discriminators.eval()
    assert not torch.equal(averaged, trainer.discriminators.classify(x, "b"))
    assert not torch.equal(baseline.classify(x, "a"), baseline.network.eval()(x))
    copy = SourceOnlyClassifier(cfg)
    copy.load_state_dict(baseline.state_dict())
    assert torch.equal(copy.classify(x, "a"), baseline.classify(x, "a"))


def test_mirrored_init_starts_the_target_layers_as_the_sources():
    trainer = DaTrainer(tiny_da_config(mirror_private_init=True))
    t, d = trainer.translator, trainer.discriminators
    pairs = [
        (t.encoder_front_a, t.encoder_front_b),
        (t.generator_back_a, t.generator_back_b),
        (d.front_a, d.front_b),
    ]
    for a, b in pairs:
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q) and p is not q  # equal values, separate weights
    plain = DaTrainer(tiny_da_config())
    assert not torch.equal(plain.discriminators.front_a[0].weight, plain.discriminators.front_b[0].weight)

    unit = UnitTrainer(tiny_config(mirror_private_init=True)).translator
    x_a, _ = tiny_batch(tiny_config())
    assert torch.equal(unit.translate(x_a, "a2b"), unit.translate(x_a, "b2a"))


def test_mirrored_init_needs_equal_channels():
    with pytest.raises(ConfigError, match="model.mirror_private_init"):
        tiny_da_config(mirror_private_init=True, channels_a=3)
    with pytest.raises(ConfigError, match="model.mirror_private_init"):
        tiny_config(mirror_private_init=True, channels_b=1)


def test_a_nan_loss_stops_naming_the_step_and_term_before_any_update():
    cfg = tiny_config()
    trainer = UnitTrainer(cfg)
    with torch.no_grad():
        trainer.translator.generator_back_b[-2].bias.fill_(float("nan"))
    before = [p.clone() for p in trainer.discriminators.parameters()]
    with pytest.raises(DivergedError, match=r"step 1: loss term 'dis_adv' is nan"):
        trainer.train_step(*tiny_batch(cfg))
    assert trainer.step == 0
    for p, q in zip(before, trainer.discriminators.parameters(), strict=True):
        assert torch.equal(p, q)
