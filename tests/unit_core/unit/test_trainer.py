import pytest
import torch

from tests.unit_core.tiny import parameter_copies, tiny_batch, tiny_config
from unit_core.unit.trainer import UnitTrainer

TERMS = {
    "gan": "gen_adv",
    "kl": "kl",
    "recon": "recon",
    "cycle_kl": "cycle_kl",
    "cycle_recon": "cycle_recon",
}


def test_no_optimizer_holds_a_parameter_twice_and_shared_blocks_step_once():
    trainer = UnitTrainer(tiny_config(n_shared=2))
    for opt in (trainer.gen_optimizer, trainer.dis_optimizer):
        ids = [id(p) for group in opt.param_groups for p in group["params"]]
        assert len(ids) == len(set(ids))
    gen_ids = {id(p) for g in trainer.gen_optimizer.param_groups for p in g["params"]}
    dis_ids = {id(p) for g in trainer.dis_optimizer.param_groups for p in g["params"]}
    assert not gen_ids & dis_ids
    assert gen_ids == {id(p) for p in trainer.translator.parameters()}
    x_a, x_b = tiny_batch(trainer.cfg)
    for _ in range(3):
        trainer.train_step(x_a, x_b)
    for p in trainer.translator.shared_encoder_tail.parameters():
        assert int(trainer.gen_optimizer.state[p]["step"]) == 3  # one Adam step per train_step


def test_step_updates_discriminators_then_generators_and_returns_named_losses():
    trainer = UnitTrainer(tiny_config())
    gen_before, dis_before = (
        parameter_copies(trainer.translator),
        parameter_copies(trainer.discriminators),
    )
    losses = trainer.train_step(*tiny_batch(trainer.cfg))
    assert set(losses) == {"dis_adv", *TERMS.values(), "gen_total"}
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    assert trainer.step == 1
    assert any(
        not torch.equal(a, b)
        for a, b in zip(gen_before, parameter_copies(trainer.translator), strict=True)
    )
    assert any(
        not torch.equal(a, b)
        for a, b in zip(dis_before, parameter_copies(trainer.discriminators), strict=True)
    )
    # the generator step must not leave gradients on the (frozen) discriminators
    assert all(p.requires_grad for p in trainer.discriminators.parameters())


def test_generator_step_leaves_discriminator_gradients_untouched():
    trainer = UnitTrainer(tiny_config())
    x_a, x_b = tiny_batch(trainer.cfg)
    seen = []
    original_step = trainer.dis_optimizer.step
    trainer.dis_optimizer.step = lambda: (seen.append(_grads(trainer)), original_step())[1]
    trainer.train_step(x_a, x_b)
    # after the generator backward, D's grads are still exactly those of the D step
    assert all(torch.equal(a, b) for a, b in zip(seen[0], _grads(trainer), strict=True))


def _grads(trainer: UnitTrainer) -> list[torch.Tensor]:
    return [p.grad.clone() for p in trainer.discriminators.parameters()]


@pytest.mark.parametrize("weight", list(TERMS))
def test_each_weight_at_zero_switches_its_term_off(weight):
    trainer = UnitTrainer(tiny_config(loss={weight: 0}))
    dis_before = parameter_copies(trainer.discriminators)
    losses = trainer.train_step(*tiny_batch(trainer.cfg))
    assert TERMS[weight] not in losses
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    if weight == "gan":
        assert "dis_adv" not in losses
        assert all(
            torch.equal(a, b)
            for a, b in zip(dis_before, parameter_copies(trainer.discriminators), strict=True)
        )


def test_cycle_off_skips_the_cycle_stream():
    trainer = UnitTrainer(tiny_config(loss={"cycle_kl": 0, "cycle_recon": 0}))
    calls = []
    trainer.translator.shared_encoder_tail.register_forward_hook(lambda *a: calls.append(1))
    trainer.train_step(*tiny_batch(trainer.cfg))
    assert len(calls) == 1  # encode only, no cycle re-encode


def test_all_generator_weights_zero_is_an_error():
    trainer = UnitTrainer(tiny_config(loss={k: 0 for k in TERMS}))
    with pytest.raises(ValueError, match="nothing to train"):
        trainer.train_step(*tiny_batch(trainer.cfg))


def test_reconstruction_loss_falls_on_a_fixed_batch():
    trainer = UnitTrainer(tiny_config(base_channels=16, optimizer={"lr": 3e-3}, seed=3))
    x_a, x_b = tiny_batch(trainer.cfg, batch=4)
    recon = [trainer.train_step(x_a, x_b)["recon"] for _ in range(40)]
    assert sum(recon[-5:]) / 5 < 0.5 * sum(recon[:5]) / 5, recon
