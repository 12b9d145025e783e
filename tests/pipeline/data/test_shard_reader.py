"""Reading API: verified shards, rank shares with equal batch counts, paired alignment."""

import json

import numpy as np
import pytest
import torch

from pipeline.data.manifest import load_manifest
from pipeline.data.shard_reader import UnpairedBatches, load_pairs, load_split
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io.errors import DataError
from tests.pipeline.data.tiny_params import aerial_params, digits_params


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    prepare_dataset(digits_params(root / "raw", str(root / "out")), "toy", progress=False)
    return root / "out"


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    root = tmp_path_factory.mktemp("maps")
    prepare_dataset(aerial_params(str(root / "out"), counts=(6, 5, 3)), "maps", progress=False)
    return root / "out"


def test_load_split_shapes_and_labels(digits):
    split = load_split(load_manifest(digits), "b", "train")
    assert split.images.shape == (10, 1, 32, 32) and split.images.dtype == torch.uint8
    assert split.labels.dtype == torch.int64 and split.labels.shape == (10,)
    assert split.pair_ids is None


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_ranks_get_equal_batch_counts_and_disjoint_rows(digits, world_size):
    manifest = load_manifest(digits)  # a/train: 12 rows over 3 shards
    loaders = [UnpairedBatches(manifest, "a", "train", batch_size=2, rank=r,
                               world_size=world_size, seed=7, epoch=1) for r in range(world_size)]
    counts = {len(loader) for loader in loaders}
    assert counts == {(12 // world_size) // 2}
    seen = []
    for loader in loaders:
        batches = list(loader)
        assert len(batches) == len(loader)
        for images, labels in batches:
            assert images.shape == (2, 1, 32, 32) and labels.shape == (2,)
        seen += loader.rows_for_rank().tolist()
    assert len(seen) == len(set(seen))


def test_batches_match_stored_rows_and_reshuffle_by_epoch(digits):
    manifest = load_manifest(digits)
    full = load_split(manifest, "a", "train")
    loader = UnpairedBatches(manifest, "a", "train", batch_size=4, seed=3)
    rows = loader.rows_for_rank()
    images, labels = next(iter(loader))
    assert torch.equal(images, full.images[rows[:4]]) and torch.equal(labels, full.labels[rows[:4]])
    again = UnpairedBatches(manifest, "a", "train", batch_size=4, seed=3).rows_for_rank()
    assert np.array_equal(rows, again)
    loader.set_epoch(1)
    assert not np.array_equal(rows, loader.rows_for_rank())


def test_too_few_images_for_the_ranks(digits):
    with pytest.raises(DataError, match=r"a/test: 6 images cannot give each of 4 rank"):
        UnpairedBatches(load_manifest(digits), "a", "test", batch_size=2, world_size=4)


def test_load_pairs_aligns_by_pair_id(maps):
    manifest = load_manifest(maps)
    a, b, ids = load_pairs(manifest, "val")
    assert a.shape == b.shape == (5, 3, 32, 32) and ids.tolist() == [0, 1, 2, 3, 4]
    from pipeline.data.procedural_aerial_map import render_pair

    _, expected_map = render_pair(0, "val", 3, 32)
    assert torch.equal(b[3], torch.from_numpy(expected_map).permute(2, 0, 1))
    unlabelled = UnpairedBatches(manifest, "b", "train", batch_size=3)
    assert next(iter(unlabelled))[1] is None


def test_missing_manifest_names_file(tmp_path):
    with pytest.raises(DataError, match=r"manifest.json: manifest not found"):
        load_manifest(tmp_path)


def test_schema_version_mismatch_names_file(digits, tmp_path):
    body = json.loads((digits / "manifest.json").read_text())
    body["schema_version"] = 99
    (tmp_path / "manifest.json").write_text(json.dumps(body))
    with pytest.raises(DataError, match=r"manifest.json: shard schema version 99 does not match"):
        load_manifest(tmp_path)


def test_corrupt_shard_fails_its_sha256_check(maps, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(maps, copy)
    manifest = load_manifest(copy)
    shard = manifest.shards_for("a", "test")[0]
    data = bytearray((copy / shard.file).read_bytes())
    data[100] ^= 0xFF
    (copy / shard.file).write_bytes(bytes(data))
    with pytest.raises(DataError, match=rf"{shard.file}: size or sha256 does not match"):
        load_split(manifest, "a", "test")


def test_png_encoding_reads_back_the_same_pixels(tmp_path):
    params = aerial_params(str(tmp_path / "raw"), counts=(4, 2, 2))
    prepare_dataset(params, "maps", progress=False)
    params["prepare"]["datasets"]["maps"].update(output=str(tmp_path / "png"), encoding="png")
    prepare_dataset(params, "maps", progress=False)
    raw = load_split(load_manifest(tmp_path / "raw"), "a", "train").images
    png = load_split(load_manifest(tmp_path / "png"), "a", "train").images
    assert torch.equal(raw, png)


def test_two_domain_batches_zip_a_and_b_for_min_steps(digits):
    from pipeline.data.shard_reader import TwoDomainBatches

    manifest = load_manifest(digits)  # train: a 12, b 10 images
    loaders = [TwoDomainBatches(manifest, "train", 2, rank=r, world_size=2, seed=1)
               for r in (0, 1)]
    assert [len(loader) for loader in loaders] == [2, 2]  # min(6 // 2, 5 // 2)
    steps = list(loaders[1])
    assert len(steps) == 2
    assert steps[0].a.shape == steps[0].b.shape == (2, 1, 32, 32)
    assert steps[0].a_labels.shape == (2,) and steps[0].b_labels.shape == (2,)
