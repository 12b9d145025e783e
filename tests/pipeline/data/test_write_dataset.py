"""prepare_dataset: counts, determinism, atomic replacement, skip mode, subsets, bad input
(including hostile entries: bombs, folders and broken links named like images, Latin-1 names)."""

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipeline.data.manifest import load_manifest
from pipeline.data.shard_reader import load_split
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_bomb_png, write_images
from tests.pipeline.data.tiny_params import aerial_params, digits_params


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_writes_counts_and_manifest(tmp_path):
    out = tmp_path / "shards"
    manifest = prepare_dataset(digits_params(tmp_path / "raw", str(out)), "toy", progress=False)
    assert manifest.counts == {"a": {"train": 12, "test": 6}, "b": {"train": 10, "test": 5}}
    assert [s.rows for s in manifest.shards_for("a", "train")] == [5, 5, 2]
    body = json.loads((out / "manifest.json").read_text())
    assert body["schema_version"] == 1 and body["skipped_count"] == 0
    assert body["params"]["image_size"] == 32 and "output" not in body["params"]
    assert {s["file"] for s in body["shards"]} | {"manifest.json"} == {p.name for p in out.iterdir()}


def test_same_input_and_params_give_byte_identical_output(tmp_path):
    params = aerial_params(str(tmp_path / "out"))
    prepare_dataset(params, "maps", progress=False)
    first = _snapshot(tmp_path / "out")
    prepare_dataset(params, "maps", progress=False)
    assert _snapshot(tmp_path / "out") == first
    params["prepare"]["datasets"]["maps"]["seed"] = 1
    prepare_dataset(params, "maps", progress=False)
    assert _snapshot(tmp_path / "out") != first


def test_failed_run_keeps_earlier_output_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "shards"
    params = digits_params(tmp_path / "raw", str(out))
    prepare_dataset(params, "toy", progress=False)
    good = _snapshot(out)
    bad = tmp_path / "raw" / "usps" / "zip.test.gz"
    bad.write_bytes(bad.read_bytes()[:50])  # truncated gzip: fails mid-run, after other splits
    with pytest.raises(DataError, match=r"zip.test.gz: corrupt or truncated gzip"):
        prepare_dataset(params, "toy", progress=False)
    assert _snapshot(out) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "shards"]


def test_inconvertible_image_fails_naming_file_and_skip_mode_records_it(tmp_path):
    raw = tmp_path / "raw"
    write_images(raw / "trainA", 3, mode="RGB")
    paths = write_images(raw / "trainB", 3, mode="RGBA", seed=9)  # random alpha: transparent
    write_images(raw / "trainB", 2, mode="RGB", seed=10, suffix=".jpg")
    dataset = {"output": str(tmp_path / "out"), "source_root": str(raw), "image_size": 16,
               "channels": 1, "domains": {
                   "a": {"format": "image_folder", "splits": {"train": {"path": "trainA"}}},
                   "b": {"format": "image_folder", "splits": {"train": {"path": "trainB"}}}}}
    params = {"prepare": {"datasets": {"f": dataset}}}
    with pytest.raises(DataError, match=rf"{paths[0].name}: has transparent pixels"):
        prepare_dataset(params, "f", progress=False)
    assert not (tmp_path / "out").exists()
    dataset["skip_bad_files"] = True
    manifest = prepare_dataset(params, "f", progress=False)
    assert manifest.counts["b"]["train"] == 2
    assert [s["source"] for s in manifest.skipped] == [f"trainB/{p.name}" for p in paths]
    body = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert body["skipped_count"] == 3


def test_limit_draws_a_fixed_seed_subset(tmp_path):
    params = digits_params(tmp_path / "raw", str(tmp_path / "out"))
    params["prepare"]["datasets"]["toy"]["domains"]["a"]["splits"]["train"]["limit"] = 4
    prepare_dataset(params, "toy", progress=False)
    first = load_split(load_manifest(tmp_path / "out"), "a", "train").images
    prepare_dataset(params, "toy", progress=False)
    again = load_split(load_manifest(tmp_path / "out"), "a", "train").images
    assert first.shape == (4, 1, 32, 32) and np.array_equal(first.numpy(), again.numpy())
    params["prepare"]["datasets"]["toy"]["domains"]["a"]["splits"]["train"]["limit"] = 99
    with pytest.raises(DataError, match=r"splits.train.limit: asks for 99 images"):
        prepare_dataset(params, "toy", progress=False)


def _hostile_folders(raw: Path) -> dict:
    """trainA: 3 good images, a Latin-1 file name, and four bad entries; trainB: 16-bit PNGs."""
    write_images(raw / "trainA", 3)
    latin1 = raw / "trainA" / os.fsdecode(b"caf\xe9.png")  # not UTF-8: 'caf\udce9.png'
    latin1.write_bytes((raw / "trainA" / "img_000.png").read_bytes())
    write_bomb_png(raw / "trainA" / "bomb.png")
    (raw / "trainA" / "notes.png").write_text("not an image")  # Pillow names a BytesIO here
    (raw / "trainA" / "x.png").mkdir()
    (raw / "trainA" / "gone.png").symlink_to(raw / "missing.png")
    (raw / "trainB").mkdir()
    for i in range(2):
        deep = np.full((6, 8), 4000 * (i + 1), np.uint16)
        Image.fromarray(deep).save(raw / "trainB" / f"deep{i}.png")  # mode I;16
    dataset = {"output": str(raw.parent / "out"), "source_root": str(raw), "image_size": 8,
               "channels": 1, "domains": {
                   "a": {"format": "image_folder", "splits": {"train": {"path": "trainA"}}},
                   "b": {"format": "image_folder", "splits": {"train": {"path": "trainB"}}}}}
    return {"prepare": {"datasets": {"h": dataset}}}


@pytest.mark.parametrize(("name", "problem"), [
    ("bomb.png", "image too large to decode safely"),
    ("gone.png", "broken symbolic link"),
    ("x.png", "is a folder, not a file"),
])
def test_hostile_entry_fails_strict_mode_naming_it(tmp_path, name, problem):
    params = _hostile_folders(tmp_path / "raw")
    for other in {"bomb.png", "gone.png", "notes.png", "x.png"} - {name}:
        path = tmp_path / "raw" / "trainA" / other
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    with pytest.raises(DataError, match=rf"trainA/{name}: {problem}"):
        prepare_dataset(params, "h", progress=False)


def test_skip_mode_lists_hostile_files_and_writes_the_same_manifest_twice(tmp_path):
    params = _hostile_folders(tmp_path / "raw")
    params["prepare"]["datasets"]["h"]["skip_bad_files"] = True
    manifest = prepare_dataset(params, "h", progress=False)
    first = (tmp_path / "out" / "manifest.json").read_bytes()
    prepare_dataset(params, "h", progress=False)
    assert (tmp_path / "out" / "manifest.json").read_bytes() == first
    skipped = json.dumps(json.loads(first)["skipped"])
    assert " at 0x" not in skipped and str(tmp_path) not in skipped  # no reprs, relative paths
    assert {s["source"]: s["problem"].split(" (")[0] for s in manifest.skipped} == {
        "trainA/bomb.png": "image too large to decode safely",
        "trainA/gone.png": "broken symbolic link",
        "trainA/notes.png": "not a readable image",
        "trainA/x.png": "is a folder, not a file",
    }
    assert manifest.counts == {"a": {"train": 4}, "b": {"train": 2}}  # Latin-1 name and 16-bit kept
    shard = manifest.shards_for("a", "train")[0].file
    sources = pq.read_table(tmp_path / "out" / shard).column("source").to_pylist()
    assert "trainA/caf\\xe9.png" in sources  # the undecodable byte, written as \xe9
    b = load_split(load_manifest(tmp_path / "out"), "b", "train").images
    assert b[:, 0, 0, 0].tolist() == [4000 >> 8, 8000 >> 8]
