import pytest
import torch

from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from unit_core.da.discriminator import DaDiscriminatorPair, DigitClassifier
from unit_core.da.translator import DaTranslator


def _ids(module: torch.nn.Module) -> set[int]:
    return {id(p) for p in module.parameters()}


def _batches(cfg, n=3):
    x_a, _ = pattern_digits(n, 4, channels=cfg.model.channels_a, seed=1)
    x_b, _ = pattern_digits(n, 4, channels=cfg.model.channels_b, seed=2)
    return x_a, -x_b


def test_translator_streams_have_image_and_latent_shapes():
    cfg = tiny_da_config(channels_a=3)
    net = DaTranslator(cfg.model)
    x_a, x_b = _batches(cfg)
    out = net(x_a, x_b, noise=torch.Generator().manual_seed(0), with_cycle=True)
    assert out.mu_a.shape == out.mu_b.shape == (3, 16, 1, 1)
    assert out.recon_a.shape == out.b2a.shape == out.cycle_a.shape == (3, 3, 32, 32)
    assert out.recon_b.shape == out.a2b.shape == out.cycle_b.shape == (3, 1, 32, 32)
    assert out.mu_a2b.shape == (3, 16, 1, 1)
    assert net.eval().translate(x_a, "a2b").shape == (3, 1, 32, 32)
    assert out.recon_a.abs().max() <= 1  # tanh output range
    assert net(x_a, x_b).cycle_a is None  # cycle stream only on request


def test_discriminator_heads_have_the_documented_shapes():
    cfg = tiny_da_config(channels_a=3)
    pair = DaDiscriminatorPair(cfg.model)
    x_a, x_b = _batches(cfg)
    out = pair(x_a, x_b[:2], clean_a=x_a[:1], clean_b=x_b[:1])
    assert set(out) == {"a", "b", "clean_a", "clean_b"}
    assert out["a"].features.shape == (3, 64, 2, 2)  # 8 x dis_base_channels
    assert out["b"].real_fake.shape == (2,)
    assert out["clean_b"].class_logits.shape == (1, 4)
    assert pair.classify(x_b, "b").shape == (3, 4)
    assert DigitClassifier(3, cfg.model)(x_a).shape == (3, 4)
    with pytest.raises(ValueError, match="both clean_a and clean_b"):
        pair(x_a, x_b, clean_a=x_a)


def test_dis_kernel_3_keeps_every_shape_and_the_baseline_follows_it():
    wide, narrow = tiny_da_config(), tiny_da_config(dis_kernel=3)
    pairs = DaDiscriminatorPair(wide.model), DaDiscriminatorPair(narrow.model)
    x_a, x_b = _batches(narrow)
    out = pairs[1](x_a, x_b)
    assert out["a"].features.shape == pairs[0](x_a, x_b)["a"].features.shape
    for big, small in zip(pairs[0].tied_layers.convs, pairs[1].tied_layers.convs, strict=True):
        assert big[0].weight.shape[2:] == (5, 5) and small[0].weight.shape[2:] == (3, 3)
    assert DigitClassifier(1, narrow.model).front[0].kernel_size == (3, 3)


def test_shared_modules_are_single_objects_run_once_on_both_domains():
    cfg = tiny_da_config()
    net, pair = DaTranslator(cfg.model), DaDiscriminatorPair(cfg.model)
    assert not _ids(net.encoder_front_a) & _ids(net.encoder_front_b)
    assert not _ids(pair.front_a) & _ids(pair.front_b)
    for module, shared in ((net, net.shared_encoder_tail), (pair, pair.tied_layers)):
        all_params = list(module.parameters())
        assert len(all_params) == len(_ids(module))  # no tensor registered twice
        assert _ids(shared) <= _ids(module)
    calls = []
    for shared in (net.shared_encoder_tail, net.shared_generator_head, pair.tied_layers):
        shared.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    x_a, x_b = _batches(cfg)
    net(x_a, x_b)
    pair(x_a, x_b, clean_a=x_a, clean_b=x_b)
    assert calls == [6, 6, 12]  # one call each, both domains' rows concatenated


@pytest.mark.parametrize("domain", ["a", "b"])
def test_tied_layers_get_gradient_from_each_domain(domain):
    cfg = tiny_da_config()
    net, pair = DaTranslator(cfg.model), DaDiscriminatorPair(cfg.model)
    # Eval-mode batch norm: in training its batch statistics (over both domains' rows, as in
    # the 2017 code) would pass gradient to the other domain's front as well.
    net.eval()
    x_a, x_b = _batches(cfg)
    out = net(x_a, x_b)
    d = pair(x_a, x_b)
    mu = out.mu_a if domain == "a" else out.mu_b
    (mu.sum() + d[domain].class_logits.sum() + d[domain].real_fake.sum()).backward()
    other = "b" if domain == "a" else "a"
    for shared in (net.shared_encoder_tail, pair.tied_layers, pair.class_head):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in shared.parameters())
    for own, foreign in (
        (getattr(net, f"encoder_front_{domain}"), getattr(net, f"encoder_front_{other}")),
        (pair.front(domain), pair.front(other)),
    ):
        assert all(p.grad is not None for p in own.parameters())
        assert all(p.grad is None or p.grad.abs().sum() == 0 for p in foreign.parameters())


def test_clean_rows_skip_dropout_in_training():
    cfg = tiny_da_config()
    pair = DaDiscriminatorPair(cfg.model).train()
    x_a, x_b = _batches(cfg)
    first = pair(x_a, x_b, clean_a=x_a, clean_b=x_b)
    second = pair(x_a, x_b, clean_a=x_a, clean_b=x_b)
    assert torch.equal(first["clean_a"].features, second["clean_a"].features)
    assert not torch.equal(first["a"].features, second["a"].features)  # dropout active
    pair.eval()
    assert torch.allclose(pair(x_a, x_b)["a"].features, first["clean_a"].features)
