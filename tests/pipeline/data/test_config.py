"""prepare config: strict keys, ranges and structure, errors name the dotted params key."""

import copy

import pytest

from pipeline.data.config import dataset_config
from unit_core.typed_config import ConfigError

PARAMS = {
    "prepare": {
        "datasets": {
            "toy": {
                "output": "out",
                "image_size": 32,
                "domains": {
                    "a": {"format": "mnist_idx", "splits": {"train": {"path": "x", "labels": "y"}}},
                    "b": {"format": "usps_text", "splits": {"train": {"path": "z"}}},
                },
            }
        }
    }
}


def _with(path: list[str], value):
    params = copy.deepcopy(PARAMS)
    node = params["prepare"]["datasets"]["toy"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return params


def test_valid_config_builds():
    ds = dataset_config(PARAMS, "toy")
    assert ds.config.channels == 1 and ds.domains["a"].splits["train"].labels == "y"


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (["image_size"], 4, "prepare.datasets.toy.image_size"),
        (["channels"], 2, "prepare.datasets.toy.channels"),
        (["rows_per_shard"], 0, "prepare.datasets.toy.rows_per_shard"),
        (["domains", "a", "splits", "train", "limit"], 0,
         "prepare.datasets.toy.domains.a.splits.train.limit"),
        (["domains", "a", "splits", "dev"], {"path": "q"}, "prepare.datasets.toy.domains.a.splits.dev"),
        (["domains", "b", "format"], "tfrecord", "prepare.datasets.toy.domains.b.format"),
        (["image_sise"], 32, "prepare.datasets.toy.image_sise"),
    ],
)
def test_bad_values_name_their_key(path, value, key):
    with pytest.raises(ConfigError) as info:
        dataset_config(_with(path, value), "toy")
    assert info.value.key == key
    assert isinstance(info.value, ValueError)


def test_unknown_dataset_and_both_sources():
    with pytest.raises(ConfigError, match="prepare.datasets.nope"):
        dataset_config(PARAMS, "nope")
    both = _with(["pairs"], {"format": "procedural_aerial_map", "splits": {"train": {"count": 2}}})
    with pytest.raises(ConfigError, match="exactly one of 'domains'"):
        dataset_config(both, "toy")
