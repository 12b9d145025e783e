import pytest

from pipeline.params_file import apply_overrides, load_params
from unit_core.typed_config import ConfigError


def test_overrides_parse_yaml_scalars_and_leave_the_original_alone():
    params = {"train": {"steps": 10, "scaling": {"num_workers": 2}}}
    out = apply_overrides(params, ["train.steps=20", "train.scaling.num_workers=1", "train.name=x"])
    assert out["train"] == {"steps": 20, "scaling": {"num_workers": 1}, "name": "x"}
    assert params["train"]["steps"] == 10


@pytest.mark.parametrize("item", ["train.steps", "=3", "nosuch.key=1", "train.steps.deeper=1"])
def test_bad_overrides_are_config_errors(item):
    with pytest.raises(ConfigError):
        apply_overrides({"train": {"steps": 10}}, [item])


def test_unreadable_params_file_names_it(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("train: [unclosed")
    with pytest.raises(ConfigError, match="params.yaml"):
        load_params(bad)
    bad.write_text("- a list")
    with pytest.raises(ConfigError, match="mapping"):
        load_params(bad)
