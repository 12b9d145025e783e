import pytest

from tests.unit_core.munit.tiny import tiny_munit_config
from unit_core.munit.config import MunitConfig
from unit_core.typed_config import ConfigError


def test_defaults_are_the_papers():
    cfg = MunitConfig.from_dict({})
    m, w, opt = cfg.model, cfg.loss, cfg.optimizer
    assert (m.family, m.style_dim, m.n_downsample, m.n_res_blocks) == ("munit", 8, 2, 4)
    assert (m.style_downsample, m.mlp_dim, m.mlp_layers, m.gan_loss) == (4, 256, 3, "lsgan")
    assert (w.gan, w.image, w.style, w.content, w.cycle) == (1.0, 10.0, 1.0, 1.0, 0.0)
    assert (opt.lr, opt.beta1, opt.beta2, opt.weight_decay) == (1e-4, 0.5, 0.999, 1e-4)


def test_round_trips_through_a_plain_dict():
    cfg = tiny_munit_config(channels_a=1, loss={"cycle": 10}, seed=4)
    assert MunitConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "data, key",
    [
        ({"modle": {}}, "modle"),
        ({"model": {"n_shared": 1}}, "model.n_shared"),  # a UNIT key: MUNIT shares nothing
        ({"model": {"family": "unit"}}, "model.family"),
        ({"model": {"channels_b": 2}}, "model.channels_b"),
        ({"model": {"image_size": 30}}, "model.image_size"),
        ({"model": {"image_size": 16, "n_downsample": 4, "dis_scales": 1}}, "model.image_size"),
        (
            {"model": {"image_size": 16, "style_downsample": 5, "dis_scales": 1}},
            "model.style_downsample",
        ),
        ({"model": {"image_size": 16}}, "model.dis_scales"),
        ({"model": {"mlp_layers": 1}}, "model.mlp_layers"),
        ({"model": {"style_dim": 0}}, "model.style_dim"),
        ({"model": {"norm": "group"}}, "model.norm"),
        ({"loss": {"style": -1}}, "loss.style"),
        ({"loss": {"kl": 0.1}}, "loss.kl"),
        ({"optimizer": {"lr": 0}}, "optimizer.lr"),
    ],
)
def test_errors_name_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        MunitConfig.from_dict(data)
    assert err.value.key == key
