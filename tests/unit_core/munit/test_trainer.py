import pytest
import torch

from tests.unit_core.munit.tiny import tiny_munit_config
from tests.unit_core.tiny import parameter_copies, tiny_batch
from unit_core.munit.trainer import MunitTrainer

TERMS = {
    "gan": "gen_adv",
    "image": "recon",
    "style": "style_recon",
    "content": "content_recon",
    "cycle": "cycle_recon",
}


def test_each_optimizer_holds_each_parameter_once():
    trainer = MunitTrainer(tiny_munit_config())
    gen, dis = trainer.gen_optimizer, trainer.dis_optimizer
    gen_ids = [id(p) for group in gen.param_groups for p in group["params"]]
    dis_ids = [id(p) for group in dis.param_groups for p in group["params"]]
    assert len(gen_ids) == len(set(gen_ids)) and len(dis_ids) == len(set(dis_ids))
    assert set(gen_ids) == {id(p) for p in trainer.translator.parameters()}
    assert set(dis_ids) == {id(p) for p in trainer.discriminators.parameters()}
    assert not set(gen_ids) & set(dis_ids)


def test_step_updates_both_sides_and_returns_named_losses():
    trainer = MunitTrainer(tiny_munit_config(loss={"cycle": 10}))
    gen_before, dis_before = (
        parameter_copies(trainer.translator),
        parameter_copies(trainer.discriminators),
    )
    losses = trainer.train_step(*tiny_batch(trainer.cfg))
    assert set(losses) == {"dis_adv", *TERMS.values(), "gen_total"}
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    gen_terms = sum(v for k, v in losses.items() if k not in ("dis_adv", "gen_total"))
    assert losses["gen_total"] == pytest.approx(gen_terms, rel=1e-5)
    assert trainer.step == 1
    after = parameter_copies(trainer.translator)
    assert all(not torch.equal(a, b) for a, b in zip(gen_before, after, strict=True))
    assert any(
        not torch.equal(a, b)
        for a, b in zip(dis_before, parameter_copies(trainer.discriminators), strict=True)
    )
    assert all(p.requires_grad for p in trainer.discriminators.parameters())


def test_cycle_is_off_by_default_and_skips_its_decode():
    trainer = MunitTrainer(tiny_munit_config())
    calls = []
    trainer.translator.generator_a.register_forward_hook(lambda *a: calls.append(1))
    losses = trainer.train_step(*tiny_batch(trainer.cfg))
    assert "cycle_recon" not in losses
    assert len(calls) == 1  # recon_a and b2a in one call, no cycle_a


@pytest.mark.parametrize("weight", ["gan", "image", "style", "content"])
def test_each_weight_at_zero_switches_its_term_off(weight):
    trainer = MunitTrainer(tiny_munit_config(loss={weight: 0}))
    dis_before = parameter_copies(trainer.discriminators)
    losses = trainer.train_step(*tiny_batch(trainer.cfg))
    assert TERMS[weight] not in losses
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    if weight == "gan":
        assert "dis_adv" not in losses
        after = parameter_copies(trainer.discriminators)
        assert all(torch.equal(a, b) for a, b in zip(dis_before, after, strict=True))


def test_latent_weights_at_zero_skip_the_reencoding():
    trainer = MunitTrainer(tiny_munit_config(loss={"style": 0, "content": 0}))
    calls = []
    for encoder in (trainer.translator.style_encoder_b, trainer.translator.content_encoder_b):
        encoder.register_forward_hook(lambda *a: calls.append(1))
    trainer.train_step(*tiny_batch(trainer.cfg))
    assert len(calls) == 2  # x_b's style and content only, not a2b's


def test_all_generator_weights_zero_is_an_error():
    trainer = MunitTrainer(tiny_munit_config(loss={k: 0 for k in TERMS}))
    with pytest.raises(ValueError, match="nothing to train"):
        trainer.train_step(*tiny_batch(trainer.cfg))


def test_reconstruction_loss_falls_on_a_fixed_batch():
    cfg = tiny_munit_config(base_channels=8, optimizer={"lr": 3e-3}, seed=3)
    trainer = MunitTrainer(cfg)
    x_a, x_b = tiny_batch(cfg, batch=4)
    recon = [trainer.train_step(x_a, x_b)["recon"] for _ in range(40)]
    assert sum(recon[-5:]) / 5 < 0.5 * sum(recon[:5]) / 5, recon
