"""Storage seam: atomic local writes, and a real S3 server (SeaweedFS) for the s3:// paths."""

import os

import pytest
import torch

from pipeline.data.manifest import load_manifest
from pipeline.data.shard_reader import UnpairedBatches, load_split
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io import storage
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_images
from tests.pipeline.data.tiny_params import aerial_params, digits_params


def test_local_atomic_write_read_list(tmp_path):
    target = str(tmp_path / "sub" / "x.bin")
    storage.write_bytes_atomic(target, b"abc")
    storage.write_bytes_atomic(target, b"abcd")
    assert storage.read_bytes(target) == b"abcd"
    assert storage.list_names(str(tmp_path / "sub")) == ["x.bin"]  # no temp files left
    assert storage.exists(target) and not storage.exists(str(tmp_path / "nope"))
    assert storage.join("s3://b/p/", "q") == "s3://b/p/q"


@pytest.mark.s3
def test_s3_bytes_round_trip_and_listing(s3_bucket):
    uri = f"{s3_bucket}/dir/obj.bin"
    storage.write_bytes_atomic(uri, b"payload")
    assert storage.read_bytes(uri) == b"payload" and storage.exists(uri)
    assert storage.list_names(f"{s3_bucket}/dir") == ["obj.bin"]
    storage.delete(uri)
    assert not storage.exists(uri)


@pytest.mark.s3
def test_unreadable_s3_object_names_the_uri(s3_bucket):
    with pytest.raises(DataError, match=rf"{s3_bucket}/missing.parquet: cannot read S3 object"):
        storage.read_bytes(f"{s3_bucket}/missing.parquet")
    with pytest.raises(DataError, match=r"s3://no-such-bucket-x/m.json: cannot read S3 object"):
        storage.read_bytes("s3://no-such-bucket-x/m.json")


@pytest.mark.s3
def test_shards_to_s3_and_back_match_local(s3_bucket, tmp_path):
    params = digits_params(tmp_path / "raw", str(tmp_path / "local"))
    prepare_dataset(params, "toy", progress=False)
    remote = f"{s3_bucket}/shards/toy"
    prepare_dataset(params, "toy", output=remote, progress=False)
    local_m, remote_m = load_manifest(tmp_path / "local"), load_manifest(remote)
    assert remote_m.shards == local_m.shards  # same bytes, same sha256, same names
    for domain, split in [("a", "train"), ("b", "test")]:
        assert torch.equal(
            load_split(remote_m, domain, split).images, load_split(local_m, domain, split).images
        )
    batches = UnpairedBatches(remote_m, "b", "train", batch_size=2, rank=1, world_size=2)
    assert len(list(batches)) == len(batches) == 2


@pytest.mark.s3
def test_s3_rewrite_drops_stale_shards_and_missing_shard_is_named(s3_bucket):
    remote = f"{s3_bucket}/maps"
    params = aerial_params(remote, counts=(3, 2, 2))
    prepare_dataset(params, "maps", progress=False)
    params["prepare"]["datasets"]["maps"]["seed"] = 5
    manifest = prepare_dataset(params, "maps", progress=False)
    names = storage.list_names(remote)
    assert sorted(names) == sorted([s.file for s in manifest.shards] + ["manifest.json"])
    shard = manifest.shards_for("a", "val")[0]
    storage.delete(storage.join(remote, shard.file))
    with pytest.raises(DataError, match=rf"{shard.file}: cannot read S3 object"):
        load_split(load_manifest(remote), "a", "val")


@pytest.mark.s3
def test_s3_output_with_foreign_objects_is_refused_and_interrupted_shards_are_ours(s3_bucket):
    remote = f"{s3_bucket}/maps"
    storage.write_bytes_atomic(f"{remote}/mine.parquet", b"someone's table")
    params = aerial_params(remote, counts=(3, 2, 2))
    with pytest.raises(DataError, match=rf"{remote}: output holds 1 entries .*mine.parquet"):
        prepare_dataset(params, "maps", progress=False)
    assert storage.list_names(remote) == ["mine.parquet"]
    storage.delete(f"{remote}/mine.parquet")
    orphan = "a-train-00007-0123456789ab.parquet"  # left by an upload cut off before its manifest
    storage.write_bytes_atomic(f"{remote}/{orphan}", b"half")
    manifest = prepare_dataset(params, "maps", progress=False)
    assert storage.list_names(remote) == sorted([s.file for s in manifest.shards] + ["manifest.json"])


def test_folder_and_broken_link_named_like_images_are_listed(tmp_path):
    (tmp_path / "x.png").mkdir()
    (tmp_path / "gone.png").symlink_to(tmp_path / "missing.png")
    (tmp_path / "real.png").write_bytes(b"data")
    assert storage.list_names(str(tmp_path)) == ["real.png"]
    assert storage.list_entries(str(tmp_path)) == ["gone.png", "real.png", "x.png"]
    with pytest.raises(DataError, match=r"x.png: is a folder, not a file"):
        storage.read_bytes(str(tmp_path / "x.png"))
    with pytest.raises(DataError, match=r"gone.png: broken symbolic link"):
        storage.read_bytes(str(tmp_path / "gone.png"))
    os.mkfifo(tmp_path / "pipe.png")  # reading it would block forever: refused up front
    with pytest.raises(DataError, match=r"pipe.png: not a regular file"):
        storage.read_bytes(str(tmp_path / "pipe.png"))


@pytest.mark.s3
def test_image_folder_source_on_s3(s3_bucket, tmp_path):
    for domain in ("A", "B"):
        for path in write_images(tmp_path / f"train{domain}", 2, size=(10, 10)):
            storage.write_bytes_atomic(
                f"{s3_bucket}/raw/train{domain}/{path.name}", path.read_bytes()
            )
    dataset = {
        "output": str(tmp_path / "out"),
        "source_root": f"{s3_bucket}/raw",
        "image_size": 8,
        "channels": 3,
        "domains": {
            d: {"format": "image_folder", "splits": {"train": {"path": f"train{d.upper()}"}}}
            for d in ("a", "b")
        },
    }
    manifest = prepare_dataset({"prepare": {"datasets": {"s3": dataset}}}, "s3", progress=False)
    assert manifest.counts == {"a": {"train": 2}, "b": {"train": 2}}


@pytest.mark.s3
def test_local_pointer_manifest_for_shards_on_s3(s3_bucket, tmp_path):
    """DVC tracks a small local manifest; the shards themselves live in the bucket."""
    remote = f"{s3_bucket}/shards/maps"
    params = aerial_params(str(tmp_path / "out"), counts=(3, 2, 2))
    params["prepare"]["datasets"]["maps"]["shards_uri"] = remote
    prepare_dataset(params, "maps", progress=False)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["manifest.json"]
    local = load_manifest(tmp_path / "out")
    assert local.root == remote and local.shards_root == remote
    assert (
        storage.read_bytes(f"{remote}/manifest.json")
        == (tmp_path / "out" / "manifest.json").read_bytes()
    )
    a, _, _ = load_split(local, "a", "val")
    assert a.shape == (2, 3, 32, 32)


def test_temp_files_of_dead_writers_are_removed_live_and_foreign_ones_kept(tmp_path):
    import os
    import subprocess
    import sys

    from pipeline.io.storage import remove_abandoned_temp_files, write_bytes_atomic

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f".a.png.{done.stdout.strip()}.k2j4x8q1.tmp"  # a SIGKILLed writer's
    live = tmp_path / f".b.png.{os.getpid()}.m3n5b7v9.tmp"  # a writer still running
    foreign = tmp_path / ".notes.tmp"  # the user's, not ours by name
    for path in (dead, live, foreign):
        path.write_bytes(b"x")
    assert remove_abandoned_temp_files(str(tmp_path)) == [dead.name]
    assert live.exists() and foreign.exists() and not dead.exists()
    write_bytes_atomic(str(tmp_path / "c.png"), b"png")  # its own temp name matches the rule
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, foreign.name, "c.png"])
