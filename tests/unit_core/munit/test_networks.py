import pytest
import torch

from tests.unit_core.munit.tiny import tiny_munit_config
from tests.unit_core.tiny import tiny_batch
from unit_core.munit.adain import AdaptiveInstanceNorm, count_adain_params
from unit_core.munit.translator import MunitTranslator


def _net(**model) -> MunitTranslator:
    torch.manual_seed(0)
    return MunitTranslator(tiny_munit_config(**model).model).eval()


@pytest.mark.parametrize("size, channels_a", [(16, 1), (16, 3), (32, 1), (32, 3)])
def test_every_stream_has_the_right_shape(size, channels_a):
    cfg = tiny_munit_config(image_size=size, channels_a=channels_a)
    net = MunitTranslator(cfg.model)
    x_a, x_b = tiny_batch(cfg, batch=3)
    out = net(x_a, x_b, noise=torch.Generator().manual_seed(0))
    content = (3, cfg.model.content_channels, size // 4, size // 4)
    style = (3, cfg.model.style_dim)
    assert out.content_a.shape == out.content_b.shape == content
    assert out.content_a2b.shape == out.content_b2a.shape == content
    for name in (
        "style_a",
        "style_b",
        "random_style_a",
        "random_style_b",
        "style_a2b",
        "style_b2a",
    ):
        assert getattr(out, name).shape == style, name
    assert out.recon_a.shape == out.b2a.shape == out.cycle_a.shape == x_a.shape
    assert out.recon_b.shape == out.a2b.shape == out.cycle_b.shape == x_b.shape
    assert net.translate(x_a, "a2b").shape == x_b.shape
    assert net.translate(x_b, "b2a").shape == x_a.shape
    assert net.encode_style(x_a, "a").shape == net.encode_style(x_b, "b").shape == style


def test_size_64_with_the_default_style_encoder_depth():
    net = _net(image_size=64, style_downsample=4)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    assert net.translate(x, "a2b", torch.randn(2, 8)).shape == x.shape


def test_mlp_is_sized_by_the_adain_layers_of_its_decoder():
    cfg = tiny_munit_config(n_res_blocks=3)
    net = MunitTranslator(cfg.model)
    for gen in (net.generator_a, net.generator_b):
        layers = [m for m in gen.decoder.modules() if isinstance(m, AdaptiveInstanceNorm)]
        assert len(layers) == 2 * 3  # two per AdaIN residual block
        expected = 2 * cfg.model.content_channels * len(layers)
        assert count_adain_params(gen.decoder) == expected
        assert gen.mlp[-1].out_features == expected
        assert gen.mlp(torch.zeros(5, cfg.model.style_dim)).shape == (5, expected)


def test_adain_sets_the_per_channel_statistics_of_its_output():
    norm = AdaptiveInstanceNorm(2)
    x = torch.randn(1, 2, 8, 8) * 3 + 5
    y = norm(x, torch.tensor([[2.0, 0.5, -1.0, 4.0]]))
    assert torch.allclose(y.mean(dim=(2, 3)), torch.tensor([[-1.0, 4.0]]), atol=1e-5)
    assert torch.allclose(y.std(dim=(2, 3), unbiased=False), torch.tensor([[2.0, 0.5]]), atol=1e-3)


def test_styles_change_the_output_and_the_same_style_repeats_it_exactly():
    net = _net()
    x_a, _ = tiny_batch(tiny_munit_config())
    s1, s2 = torch.randn(2, 8, generator=torch.Generator().manual_seed(1))
    out1 = net.translate(x_a, "a2b", s1)
    assert torch.equal(out1, net.translate(x_a, "a2b", s1))
    assert (out1 - net.translate(x_a, "a2b", s2)).abs().mean() > 1e-4
    # one (style_dim,) style broadcast equals the same style given per image
    assert torch.equal(out1, net.translate(x_a, "a2b", s1.expand(len(x_a), -1)))


def test_no_style_is_the_prior_mean():
    net = _net()
    x_a, x_b = tiny_batch(tiny_munit_config())
    assert torch.equal(net.translate(x_a, "a2b"), net.translate(x_a, "a2b", torch.zeros(8)))
    out = net(x_a, x_b)  # no noise generator: zero styles, deterministic
    assert not out.random_style_a.any() and not out.random_style_b.any()
    assert torch.allclose(out.a2b, net.translate(x_a, "a2b"), atol=1e-6)


def test_example_guided_translation_takes_the_style_of_each_example():
    net = _net()
    x_a, x_b = tiny_batch(tiny_munit_config(), batch=2)
    same_content = x_a[:1].expand(2, -1, -1, -1)
    styles = net.encode_style(x_b, "b")
    assert not torch.equal(styles[0], styles[1])
    out = net.translate(same_content, "a2b", styles)
    # one content, two examples' styles (an untrained style encoder tells them apart only a bit)
    assert not torch.allclose(out[0], out[1], rtol=0, atol=1e-6)
    assert torch.allclose(out[1:], net.translate(x_a[:1], "a2b", styles[1]), atol=1e-6)


def test_sample_translation_draws_a_style_per_image_from_the_generator():
    net = _net()
    x_a, _ = tiny_batch(tiny_munit_config(), batch=2)
    first = net.sample_translation(x_a, "a2b", torch.Generator().manual_seed(3))
    assert torch.equal(first, net.sample_translation(x_a, "a2b", torch.Generator().manual_seed(3)))
    styles = torch.randn(2, 8, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, net.translate(x_a, "a2b", styles))
    other = net.sample_translation(x_a, "a2b", torch.Generator().manual_seed(4))
    assert (first - other).abs().mean() > 1e-4


def test_batched_forward_decodes_each_image_as_alone():
    net = _net()
    x_a, x_b = tiny_batch(tiny_munit_config(), batch=3)
    out = net(x_a, x_b, noise=torch.Generator().manual_seed(0))
    alone = net.translate(x_a[1:2], "a2b", out.random_style_b[1])
    assert torch.allclose(out.a2b[1:2], alone, atol=1e-6)
    recon_a = net.generator_a(out.content_a, net.encode_style(x_a, "a"))
    assert torch.allclose(out.recon_a, recon_a, atol=1e-6)
    cycle_a = net.generator_a(net.content_encoder_b(out.a2b), out.style_a)
    assert torch.allclose(out.cycle_a, cycle_a, atol=1e-6)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net, x: net.translate(x, "a2c"), "direction"),
        (lambda net, x: net.translate(x, "a2b", torch.zeros(7)), r"shape \(8,\) or \(2, 8\)"),
        (lambda net, x: net.translate(x, "a2b", torch.zeros(3, 8)), r"\(2, 8\)"),
        (lambda net, x: net.encode_style(x, "c"), "domain"),
        (lambda net, x: net.sample_translation(x, "b2b", torch.Generator()), "direction"),
    ],
)
def test_bad_arguments_raise_value_errors(call, message):
    net = _net()
    x_a, _ = tiny_batch(tiny_munit_config())
    with pytest.raises(ValueError, match=message):
        call(net, x_a)
