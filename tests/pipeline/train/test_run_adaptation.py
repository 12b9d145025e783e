"""`unit-pipeline train --section adapt` refuses data it cannot adapt on, before any worker starts."""

import pytest

from pipeline.io.errors import DataError
from pipeline.tasks import AdaptationTask
from pipeline.train.run import PreparedRun
from tests.pipeline.train_fixtures import tiny_adaptation_params
from unit_core.typed_config import ConfigError


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("adapt")
    tiny_adaptation_params(root)  # prepares both fixture datasets once
    return root


def test_the_fixture_run_passes_preflight(root):
    prepared = PreparedRun(tiny_adaptation_params(root), "adapt")
    assert prepared.model.model.image_size == 32 and prepared.run_name.startswith("tiny-da-")


def test_source_without_labels_is_refused(root):
    params = tiny_adaptation_params(root)
    params["adapt"]["manifest"] = str(root / "shards")  # the unlabelled procedural maps
    with pytest.raises(DataError, match="source domain 'a' has no labels"):
        PreparedRun(params, "adapt")


def test_labels_outside_the_classes_are_refused(root):
    params = tiny_adaptation_params(root)
    params["da"]["model"]["num_classes"] = 3  # the fixture digits carry labels up to 9
    with pytest.raises(ValueError, match="labels"):
        PreparedRun(params, "adapt")


def test_image_size_the_da_network_cannot_take_names_the_key():
    with pytest.raises(ConfigError) as err:
        AdaptationTask.build_config({}, {"height": 64, "channels": 1}, "da.")
    assert err.value.key == "da.model.image_size"


def test_missing_section_is_named():
    with pytest.raises(ConfigError, match="'adapt'"):
        PreparedRun({"train": {}}, "adapt")


def test_selecting_on_val_without_a_val_signal_names_the_key(root):
    params = tiny_adaptation_params(root)
    params["adapt"]["select"] = "best_val"  # adaptation has no validation signal (target labels)
    with pytest.raises(ConfigError, match="adapt.select.*best_val needs"):
        PreparedRun(params, "adapt")
