import pytest

from unit_core.da.config import DaConfig
from unit_core.typed_config import ConfigError


def test_defaults_are_the_2017_da_code_settings():
    cfg = DaConfig()
    assert cfg.model.image_size == 32
    assert (cfg.model.base_channels, cfg.model.dis_base_channels) == (64, 64)
    assert cfg.model.latent_channels == 512
    assert cfg.model.dropout == (0.1, 0.3, 0.5, 0.5)
    assert cfg.model.dis_kernel == 5
    assert (cfg.optimizer.lr, cfg.optimizer.beta1, cfg.optimizer.beta2) == (2e-4, 0.5, 0.999)
    assert cfg.optimizer.weight_decay == 5e-4
    assert not cfg.loss.uses_cycle  # cycle off for digits
    assert cfg.loss.classification > 0 and cfg.loss.feature_matching > 0
    assert (cfg.source_domain, cfg.target_domain) == ("a", "b")


def test_round_trips_through_a_plain_dict():
    cfg = DaConfig.from_dict(
        {"model": {"channels_a": 3, "dropout": [0, 0, 0.5, 0.5]}, "source_domain": "b"}
    )
    assert cfg.model.dropout == (0.0, 0.0, 0.5, 0.5)
    assert cfg.target_domain == "a" and cfg.channels("a") == 3 and cfg.channels("b") == 1
    assert DaConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "data, key",
    [
        ({"model": {"image_size": 28}}, "model.image_size"),
        ({"model": {"channels_b": 2}}, "model.channels_b"),
        ({"model": {"num_classes": 1}}, "model.num_classes"),
        ({"model": {"dis_kernel": 4}}, "model.dis_kernel"),
        ({"model": {"dropout": [0.1, 0.2]}}, "model.dropout"),
        ({"model": {"dropout": [0.1, 0.2, 0.3, 1.0]}}, "model.dropout[3]"),
        ({"loss": {"feature_matching": -1}}, "loss.feature_matching"),
        ({"loss": {"class": 1}}, "loss.class"),
        ({"source_domain": "c"}, "source_domain"),
        ({"optimizer": {"lr": 0}}, "optimizer.lr"),
    ],
)
def test_bad_values_name_their_key(data, key):
    with pytest.raises(ConfigError) as err:
        DaConfig.from_dict(data)
    assert err.value.key == key


def test_image_size_error_says_what_to_do():
    with pytest.raises(ConfigError, match="exactly 32x32"):
        DaConfig.from_dict({"model": {"image_size": 64}})
