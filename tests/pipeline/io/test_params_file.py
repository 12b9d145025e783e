from pathlib import Path

import pytest
import yaml

from pipeline.data.config import dataset_config
from pipeline.io.params_file import apply_overrides, load_params, load_run_params, merge_preset
from pipeline.tasks import TASKS
from pipeline.train.config import TrainConfig
from unit_core.typed_config import ConfigError

REPO = Path(__file__).resolve().parents[3]


def test_overrides_parse_yaml_scalars_and_leave_the_original_alone():
    params = {"train": {"steps": 10, "scaling": {"num_workers": 2}}}
    out = apply_overrides(params, ["train.steps=20", "train.scaling.num_workers=1", "train.name=x"])
    assert out["train"] == {"steps": 20, "scaling": {"num_workers": 1}, "name": "x"}
    assert params["train"]["steps"] == 10


@pytest.mark.parametrize("item", ["train.steps", "=3", "nosuch.key=1", "train.steps.deeper=1"])
def test_bad_overrides_are_config_errors(item):
    with pytest.raises(ConfigError):
        apply_overrides({"train": {"steps": 10}}, [item])


@pytest.mark.parametrize("item", ["toplevel_typo=1", "steps=2", "trian.steps=2"])
def test_override_of_a_top_level_section_params_lack_names_the_key(item):
    key = item.split("=")[0]
    with pytest.raises(ConfigError, match=rf"'{key}': no such top-level section .*known: train"):
        apply_overrides({"train": {"steps": 10}}, [item])


def test_prepare_with_an_unknown_set_key_exits_2_before_writing(tmp_path, caplog):
    from pipeline.prepare.__main__ import main
    from tests.pipeline.data.tiny_params import aerial_params

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(aerial_params(str(tmp_path / "out"))))
    code = main(["--dataset", "maps", "--params", str(tmp_path / "params.yaml"), "--no-progress",
                 "--set", "toplevel_typo=1"])
    assert code == 2 and "toplevel_typo" in caplog.text
    assert not (tmp_path / "out").exists()


def test_unreadable_params_file_names_it(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("train: [unclosed")
    with pytest.raises(ConfigError, match="params.yaml"):
        load_params(bad)
    bad.write_text("- a list")
    with pytest.raises(ConfigError, match="mapping"):
        load_params(bad)


def test_preset_merges_key_by_key_and_refuses_unknown_keys():
    params = {
        "train": {"steps": 10, "scaling": {"num_workers": 2, "use_gpu": "auto"}},
        "prepare": {"datasets": {}},
    }
    merged = merge_preset(
        params,
        {"train": {"scaling": {"num_workers": 8}}, "prepare": {"datasets": {"new": {"x": 1}}}},
    )
    assert merged["train"] == {"steps": 10, "scaling": {"num_workers": 8, "use_gpu": "auto"}}
    assert merged["prepare"]["datasets"]["new"] == {"x": 1}
    with pytest.raises(ConfigError, match="train.scaling.num_wrokers"):
        merge_preset(params, {"train": {"scaling": {"num_wrokers": 8}}})


@pytest.mark.parametrize("preset", sorted(p.name for p in (REPO / "presets").glob("*.yaml")))
def test_every_shipped_preset_builds_valid_configs(preset):
    params = load_run_params(REPO / "params.yaml", [REPO / "presets" / preset])
    for section in ("train", "adapt"):
        train = TrainConfig.from_dict(params[section], prefix=f"{section}.")
        dataset_config(params, train.dataset)
        model = params[train.model_params]
        task = TASKS[train.task]
        image = {"height": 32 if train.task == "adaptation" else 64, "channels": 3}
        task.build_config(model, image, f"{train.model_params}.")
