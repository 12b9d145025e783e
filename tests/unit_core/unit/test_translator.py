import pytest
import torch

from tests.unit_core.tiny import tiny_batch, tiny_config
from unit_core.unit.translator import UnitTranslator


def _n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("n_shared", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("size, channels_a, n_down", [(16, 1, 2), (32, 3, 2), (24, 3, 3)])
def test_all_streams_have_the_right_shapes(n_shared, size, channels_a, n_down):
    if size % 2**n_down:
        pytest.skip("size not divisible")
    cfg = tiny_config(
        image_size=size, channels_a=channels_a, n_shared=n_shared, n_downsample=n_down
    )
    net = UnitTranslator(cfg.model)
    x_a, x_b = tiny_batch(cfg, batch=3)
    out = net(x_a, x_b, noise=torch.Generator().manual_seed(0))
    latent = (3, cfg.model.latent_channels, size // 2**n_down, size // 2**n_down)
    assert out.mu_a.shape == out.mu_b.shape == out.mu_a2b.shape == out.mu_b2a.shape == latent
    assert out.recon_a.shape == out.b2a.shape == out.cycle_a.shape == x_a.shape
    assert out.recon_b.shape == out.a2b.shape == out.cycle_b.shape == x_b.shape
    assert net.translate(x_a, "a2b").shape == x_b.shape
    assert net.translate(x_b, "b2a").shape == x_a.shape


def test_sharing_removes_one_copy_of_each_shared_block():
    per_block = _n_params(UnitTranslator(tiny_config(n_shared=1).model).shared_encoder_tail)
    sizes = [_n_params(UnitTranslator(tiny_config(n_shared=k).model)) for k in range(5)]
    # each shared block replaces two private ones, in the encoder and in the generator
    assert [sizes[0] - s for s in sizes] == [2 * k * per_block for k in range(5)]
    assert _n_params(UnitTranslator(tiny_config(n_shared=0).model).shared_encoder_tail) == 0


@pytest.mark.parametrize("part", ["shared_encoder_tail", "shared_generator_head"])
def test_shared_blocks_get_gradient_from_each_domain_alone(part):
    cfg = tiny_config(n_shared=2)
    net = UnitTranslator(cfg.model)
    x_a, x_b = tiny_batch(cfg)
    for stream in ("recon_a", "recon_b"):
        net.zero_grad()
        getattr(net(x_a, x_b, with_cycle=False), stream).sum().backward()
        grads = [p.grad for p in getattr(net, part).parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads), stream


def test_shared_tail_is_one_module_used_by_both_encoders():
    cfg = tiny_config(n_shared=1)
    net = UnitTranslator(cfg.model)
    x_a, x_b = tiny_batch(cfg)
    before = net.encode(x_a, x_b)
    with torch.no_grad():
        next(net.shared_encoder_tail.parameters()).add_(0.5)
    after = net.encode(x_a, x_b)
    assert not torch.allclose(before[0], after[0]) and not torch.allclose(before[1], after[1])


def test_shared_modules_run_once_per_pass_on_the_concatenated_batch():
    cfg = tiny_config(n_shared=1)
    net = UnitTranslator(cfg.model)
    calls = []
    for name in ("shared_encoder_tail", "shared_generator_head"):
        getattr(net, name).register_forward_hook(
            lambda m, i, o, n=name: calls.append((n, len(i[0])))
        )
    x_a, x_b = tiny_batch(cfg, batch=2)
    net(x_a, x_b, with_cycle=True)
    # encode, decode, cycle-encode, cycle-decode: each sees both domains (4 images) in one call
    assert calls == [
        ("shared_encoder_tail", 4),
        ("shared_generator_head", 4),
        ("shared_encoder_tail", 4),
        ("shared_generator_head", 4),
    ]


def test_latent_is_mu_at_inference_and_noisy_in_training():
    cfg = tiny_config()
    net = UnitTranslator(cfg.model)
    x_a, x_b = tiny_batch(cfg)
    noisy = net(x_a, x_b, noise=torch.Generator().manual_seed(1), with_cycle=False)
    clean = net(x_a, x_b, noise=None, with_cycle=False)
    assert torch.allclose(clean.a2b, net.translate(x_a, "a2b"), atol=1e-6)
    assert not torch.allclose(noisy.a2b, clean.a2b)


def test_skipped_streams_are_not_computed():
    cfg = tiny_config()
    net = UnitTranslator(cfg.model)
    out = net(*tiny_batch(cfg), with_recon=False, with_cycle=False)
    assert out.recon_a is None and out.cycle_a is None and out.mu_a2b is None
    assert out.a2b is not None and out.b2a is not None


def test_translate_rejects_unknown_direction():
    cfg = tiny_config()
    with pytest.raises(ValueError, match="direction"):
        UnitTranslator(cfg.model).translate(tiny_batch(cfg)[0], "a2c")
