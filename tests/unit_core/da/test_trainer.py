import io

import pytest
import torch

from tests.unit_core.da.tiny import pattern_digits, tiny_da_config, two_domains
from unit_core.da.baseline import SourceOnlyClassifier
from unit_core.da.trainer import DaTrainer
from unit_core.metrics import classification_accuracy

# config weight -> the loss term it switches (each also named in the returned dict)
TERMS = {
    "gan": "gen_adv",
    "kl": "kl",
    "recon": "recon",
    "feature_matching": "feature_matching",
    "classification": "source_class",
}


def _batch(cfg, n=4, seed=0):
    x_a, y_a, x_b, _ = two_domains(n, cfg.model.num_classes, seed=seed)
    return x_a, x_b, y_a


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_no_optimizer_holds_a_parameter_twice_and_shared_params_step_once():
    trainer = DaTrainer(tiny_da_config())
    gen_ids = [id(p) for g in trainer.gen_optimizer.param_groups for p in g["params"]]
    dis_ids = [id(p) for g in trainer.dis_optimizer.param_groups for p in g["params"]]
    assert len(gen_ids) == len(set(gen_ids)) and len(dis_ids) == len(set(dis_ids))
    assert not set(gen_ids) & set(dis_ids)
    assert set(gen_ids) == {id(p) for p in trainer.translator.parameters()}
    assert set(dis_ids) == {id(p) for p in trainer.discriminators.parameters()}
    batch = _batch(trainer.cfg)
    for _ in range(3):
        trainer.train_step(*batch)
    t, d = trainer.translator, trainer.discriminators
    for opt, shared in (
        (trainer.gen_optimizer, [t.shared_encoder_tail, t.shared_generator_head]),
        (trainer.dis_optimizer, [d.tied_layers, d.class_head, d.real_fake_head]),
    ):
        for p in (p for m in shared for p in m.parameters()):
            assert int(opt.state[p]["step"]) == 3  # one Adam step per train_step


def test_step_updates_both_and_returns_named_losses():
    trainer = DaTrainer(tiny_da_config())
    gen_before, dis_before = _params(trainer.translator), _params(trainer.discriminators)
    losses = trainer.train_step(*_batch(trainer.cfg))
    expected = {*TERMS.values(), "dis_adv", "dis_total", "gen_total", "source_batch_accuracy"}
    assert set(losses) == expected
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    assert trainer.step == 1
    assert not _same(gen_before, _params(trainer.translator))
    assert not _same(dis_before, _params(trainer.discriminators))
    assert all(p.requires_grad for p in trainer.discriminators.parameters())


def test_generator_step_leaves_discriminator_gradients_untouched():
    trainer = DaTrainer(tiny_da_config())
    seen = []
    original_step = trainer.dis_optimizer.step
    grads = lambda: [p.grad.clone() for p in trainer.discriminators.parameters()]  # noqa: E731
    trainer.dis_optimizer.step = lambda: (seen.append(grads()), original_step())[1]
    trainer.train_step(*_batch(trainer.cfg))
    assert _same(seen[0], grads())


@pytest.mark.parametrize("weight", list(TERMS))
def test_each_weight_at_zero_switches_its_term_off(weight):
    trainer = DaTrainer(tiny_da_config(loss={weight: 0}))
    d = trainer.discriminators
    heads_before = {"gan": _params(d.real_fake_head), "classification": _params(d.class_head)}
    losses = trainer.train_step(*_batch(trainer.cfg))
    assert TERMS[weight] not in losses
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    if weight == "gan":
        assert "dis_adv" not in losses
        assert _same(heads_before["gan"], _params(d.real_fake_head))
    if weight == "classification":
        assert "source_batch_accuracy" not in losses
        assert _same(heads_before["classification"], _params(d.class_head))


def test_discriminators_untouched_when_no_term_trains_them():
    cfg = tiny_da_config(loss={"gan": 0, "classification": 0, "feature_matching": 0})
    trainer = DaTrainer(cfg)
    before = _params(trainer.discriminators)
    losses = trainer.train_step(*_batch(cfg))
    assert set(losses) == {"kl", "recon", "gen_total"}
    assert _same(before, _params(trainer.discriminators))


def test_cycle_terms_are_off_by_default_and_switch_on():
    assert not tiny_da_config().loss.uses_cycle
    trainer = DaTrainer(tiny_da_config(loss={"cycle_kl": 0.1, "cycle_recon": 1.0}))
    losses = trainer.train_step(*_batch(trainer.cfg))
    assert {"cycle_kl", "cycle_recon"} <= set(losses)


def test_all_generator_weights_zero_is_an_error():
    zero = {"gan": 0, "kl": 0, "recon": 0}
    trainer = DaTrainer(tiny_da_config(loss=zero))
    with pytest.raises(ValueError, match="nothing to train"):
        trainer.train_step(*_batch(trainer.cfg))


def test_wrap_routes_one_call_per_step_through_each_wrapper():
    trainer = DaTrainer(tiny_da_config())
    calls = []

    class Recorder(torch.nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, *args, **kwargs):
            calls.append(type(self.module).__name__)
            return self.module(*args, **kwargs)

    trainer.wrap(Recorder)
    trainer.train_step(*_batch(trainer.cfg))
    assert sorted(calls) == ["DaDiscriminatorPair", "DaTranslator"]


def test_source_accuracy_rises_and_adaptation_beats_the_source_only_baseline():
    cfg = tiny_da_config(optimizer={"lr": 1e-3}, seed=1)
    x_a, y_a, x_b, _ = two_domains(256, 4, seed=0)
    test_a, test_ya, test_b, test_yb = two_domains(128, 4, seed=5)
    trainer, baseline = DaTrainer(cfg), SourceOnlyClassifier(cfg)
    before = classification_accuracy(trainer.classify(test_a, "a"), test_ya)
    order = torch.Generator().manual_seed(0)
    for _ in range(40):
        i, j = (
            torch.randint(0, 256, (16,), generator=order),
            torch.randint(0, 256, (16,), generator=order),
        )
        trainer.train_step(x_a[i], x_b[j], y_a[i])  # unpaired: target images, no target labels
        baseline.train_step(x_a[i], y_a[i])
    source = classification_accuracy(trainer.classify(test_a, "a"), test_ya)
    target = classification_accuracy(trainer.classify(test_b, "b"), test_yb)
    target_baseline = classification_accuracy(baseline.classify(test_b, "b"), test_yb)
    assert before < 0.5 and source >= 0.9, (before, source)
    assert target >= target_baseline + 0.3, (target, target_baseline)


def test_same_seed_gives_same_losses_and_other_seed_differs():
    def run(seed):
        trainer = DaTrainer(tiny_da_config(seed=seed))
        batch = _batch(trainer.cfg)
        return [trainer.train_step(*batch) for _ in range(2)]

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_save_load_then_next_step_is_identical():
    cfg = tiny_da_config(seed=5)
    batch = _batch(cfg)
    original = DaTrainer(cfg)
    for _ in range(2):
        original.train_step(*batch)
    buffer = io.BytesIO()
    torch.save(original.state_dict(), buffer)
    buffer.seek(0)
    expected = original.train_step(*batch)
    # Load after the original's step: dropout draws from the process-wide RNG, which the state
    # carries and loading restores (as a resumed process would).
    restored = DaTrainer(tiny_da_config(seed=99))  # other init, noise and dropout RNG
    restored.cfg = cfg
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.step == 2
    assert restored.train_step(*batch) == expected
    assert _same(_params(original.discriminators), _params(restored.discriminators))
    assert _same(_params(original.translator), _params(restored.translator))


def test_loading_a_state_of_another_model_or_source_is_refused():
    state = DaTrainer(tiny_da_config()).state_dict()
    with pytest.raises(ValueError, match="does not match"):
        DaTrainer(tiny_da_config(channels_a=3)).load_state_dict(state)
    with pytest.raises(ValueError, match="source_domain"):
        DaTrainer(tiny_da_config(source_domain="b")).load_state_dict(state)


def test_classify_uses_eval_mode_and_restores_training_mode():
    trainer = DaTrainer(tiny_da_config())
    x, _ = pattern_digits(5, 4)
    assert torch.equal(trainer.classify(x, "a"), trainer.classify(x, "a"))  # no dropout
    assert trainer.discriminators.training
    with pytest.raises(ValueError, match="domain must be"):
        trainer.classify(x, "c")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda a, b, y: (a, b, y + 4), r"labels must be in 0\.\.3"),
        (lambda a, b, y: (a, b, y - 5), r"labels must be in 0\.\.3"),
        (lambda a, b, y: (a, b, None), "needs class labels"),
        (lambda a, b, y: (a, b, y.float()), "integer class labels"),
        (lambda a, b, y: (a, b, y[:2]), "2 labels for a batch of 4"),
        (lambda a, b, y: (a[:, :, :28, :28], b, y), "image size 32x32"),
        (lambda a, b, y: (a, b[:2], y), "same size"),
        (lambda a, b, y: (a, b.clone().fill_(float("nan")), y), "NaN"),
        (lambda a, b, y: (a.expand(-1, 3, -1, -1), b, y), "1 channels"),
    ],
)
def test_bad_inputs_raise_clear_value_errors_before_any_update(make, message):
    trainer = DaTrainer(tiny_da_config())
    before = _params(trainer.translator)
    with pytest.raises(ValueError, match=message):
        trainer.train_step(*make(*_batch(trainer.cfg)))
    assert trainer.step == 0 and _same(before, _params(trainer.translator))


def test_source_b_takes_labels_for_domain_b():
    trainer = DaTrainer(tiny_da_config(source_domain="b"))
    x_a, x_b, y = _batch(trainer.cfg)
    losses = trainer.train_step(x_a, x_b, y)
    assert "source_class" in losses
    with pytest.raises(ValueError, match="source batch_b"):
        trainer.train_step(x_a, x_b, y + 10)


@pytest.mark.parametrize("source", ["a", "b"])
def test_translated_classification_trains_the_target_first_layer_on_translations(source):
    """Only the target's first D layer (and the layers above) see the term's gradient."""
    x_a, x_b, labels = _batch(tiny_da_config())

    def first_layer_grads(weight: float) -> tuple[dict[str, float], list, list]:
        cfg = tiny_da_config(loss={"translated_classification": weight}, source_domain=source)
        trainer = DaTrainer(cfg)
        d, seen = trainer.discriminators, []
        original_step = trainer.dis_optimizer.step
        trainer.dis_optimizer.step = lambda: (
            seen.append([[p.grad.clone() for p in d.front(k).parameters()] for k in "ab"]),
            original_step(),
        )[1]
        losses = trainer.train_step(x_a, x_b, labels)
        grads = dict(zip("ab", seen[0], strict=True))
        return losses, grads[cfg.source_domain], grads[cfg.target_domain]

    on, source_on, target_on = first_layer_grads(5.0)
    off, source_off, target_off = first_layer_grads(0.0)
    assert on["translated_class"] > 0 and "translated_class" not in off
    assert _same(source_on, source_off)
    assert not _same(target_on, target_off)


def test_translated_classification_without_gan_is_a_config_error():
    with pytest.raises(ValueError, match="loss.translated_classification"):
        tiny_da_config(loss={"translated_classification": 1.0, "gan": 0})
