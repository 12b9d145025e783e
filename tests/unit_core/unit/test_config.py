import pytest

from unit_core.typed_config import ConfigError
from unit_core.unit.config import UnitConfig


def test_defaults_are_the_papers():
    cfg = UnitConfig.from_dict({})
    w = cfg.loss
    assert (w.gan, w.kl, w.recon, w.cycle_kl, w.cycle_recon) == (10.0, 0.1, 100.0, 0.1, 100.0)
    assert cfg.model.n_shared == 1 and cfg.model.dis_layers == 5 and cfg.model.n_res_blocks == 4
    opt = cfg.optimizer
    assert (opt.lr, opt.beta1, opt.beta2, opt.weight_decay) == (1e-4, 0.5, 0.999, 1e-4)


def test_round_trips_through_a_plain_dict():
    cfg = UnitConfig.from_dict({"model": {"n_shared": 3, "image_size": 32}, "loss": {"gan": 1}})
    assert UnitConfig.from_dict(cfg.to_dict()) == cfg


def test_yaml_style_scientific_string_is_a_float():
    assert UnitConfig.from_dict({"optimizer": {"lr": "2e-4"}}).optimizer.lr == 2e-4


@pytest.mark.parametrize(
    "data, key",
    [
        ({"modle": {}}, "modle"),
        ({"model": {"n_sharde": 1}}, "model.n_sharde"),
        ({"model": {"n_shared": 5}}, "model.n_shared"),
        ({"model": {"n_shared": -1}}, "model.n_shared"),
        ({"model": {"dis_layers": 2}}, "model.dis_layers"),
        ({"model": {"dis_scales": 4}}, "model.dis_scales"),
        ({"model": {"image_size": 30}}, "model.image_size"),
        ({"model": {"channels_a": 2}}, "model.channels_a"),
        ({"model": {"norm": "group"}}, "model.norm"),
        ({"model": {"n_shared": "one"}}, "model.n_shared"),
        ({"loss": {"kl": -0.1}}, "loss.kl"),
        ({"optimizer": {"lr": 0}}, "optimizer.lr"),
        ({"optimizer": {"beta1": 1.0}}, "optimizer.beta1"),
        ({"model": {"image_size": 16, "dis_scales": 3}}, "model.dis_scales"),
    ],
)
def test_bad_values_name_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        UnitConfig.from_dict(data)
    assert err.value.key == key
    assert f"'{key}'" in str(err.value)


def test_prefix_names_the_params_yaml_section():
    with pytest.raises(ConfigError, match="'unit.model.n_shared'"):
        UnitConfig.from_dict({"model": {"n_shared": 9}}, prefix="unit.")


def test_config_error_survives_pickling_and_copy():
    import copy
    import pickle

    err = ConfigError("unit.model.n_shared", "must be in 0..4")
    for clone in (pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):
        assert (clone.key, clone.problem, str(clone)) == (err.key, err.problem, str(err))
