"""`unit-pipeline train --section train_digits` refuses data its scores cannot use, before any
worker starts."""

import pytest

from pipeline.train.run import PreparedRun
from tests.pipeline.train_fixtures import tiny_adaptation_params
from unit_core.typed_config import ConfigError


def digit_params(root, manifest):
    params = tiny_adaptation_params(root)  # prepares the maps and the fixture digits
    params["unit_digits"]["model"].update(
        base_channels=4, dis_base_channels=4, dis_layers=3, n_res_blocks=2
    )
    params["train_digits"].update(
        dataset="toy", manifest=str(manifest), output=str(root / "d"), batch_size=2
    )
    return params


def test_labelled_digits_pass_preflight(tmp_path):
    prepared = PreparedRun(digit_params(tmp_path, tmp_path / "digit_shards"), "train_digits")
    assert prepared.task.name == "digit_translation" and prepared.train.select == "last"


def test_a_dataset_without_labels_is_a_config_error_naming_the_task_key(tmp_path):
    params = digit_params(tmp_path, tmp_path / "shards")  # the unlabelled procedural maps
    with pytest.raises(ConfigError, match="train_digits.task") as err:
        PreparedRun(params, "train_digits")
    assert "domain 'a' has no" in str(err.value)
