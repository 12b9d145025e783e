"""The prepare stage entry point: exit codes and messages, and the embedded default dataset."""

from pathlib import Path

import torch
import yaml

from pipeline.data.manifest import load_manifest
from pipeline.data.shard_reader import UnpairedBatches, load_split
from pipeline.prepare.__main__ import main
from tests.pipeline.data.tiny_params import digits_params

REPO = Path(__file__).resolve().parents[3]


def test_bad_params_value_exits_2_naming_the_key(tmp_path, caplog):
    params = digits_params(tmp_path / "raw", str(tmp_path / "out"), image_size=4096)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main(["--dataset", "toy", "--params", str(tmp_path / "params.yaml")]) == 2
    assert "prepare.datasets.toy.image_size" in caplog.text
    assert not (tmp_path / "out").exists()


def test_cli_writes_shards(tmp_path, capsys):
    params = digits_params(tmp_path / "raw", str(tmp_path / "out"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert (
        main(["--dataset", "toy", "--params", str(tmp_path / "params.yaml"), "--no-progress"]) == 0
    )
    assert "toy: 33 images" in capsys.readouterr().out


def test_output_at_the_raw_images_or_a_full_folder_exits_2_and_deletes_nothing(tmp_path, caplog):
    raw = tmp_path / "raw"
    params = digits_params(raw, str(tmp_path / "photos"))
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"precious")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    args = ["--dataset", "toy", "--params", str(tmp_path / "params.yaml"), "--no-progress"]
    assert main([*args, "--output", str(raw)]) == 2
    assert f"{raw}: output overlaps the source location {raw}" in caplog.text
    assert main(args) == 2  # `output:` of params.yaml: a folder of someone's photos
    assert f"{tmp_path / 'photos'}: output holds 1 entries" in caplog.text
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_embedded_default_digits(tmp_path):
    """The committed MNIST ↔ USPS default: protocol sizes, 32×32 grey, labels 0..9."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    digits = params["prepare"]["datasets"]["digits"]
    digits["source_root"] = str(REPO / digits["source_root"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "digits"
    code = main(
        [
            "--dataset",
            "digits",
            "--params",
            str(tmp_path / "params.yaml"),
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    manifest = load_manifest(out)
    assert manifest.counts == {
        "a": {"train": 2000, "test": 10000},
        "b": {"train": 1800, "test": 2007},
    }
    usps = load_split(manifest, "b", "test")
    assert usps.images.shape == (2007, 1, 32, 32)
    assert torch.bincount(usps.labels).tolist() == [
        359,
        264,
        198,
        166,
        200,
        160,
        170,
        147,
        166,
        177,
    ]
    assert usps.images[:, :, 0, 0].float().mean() < 10  # dark background, like MNIST
    loaders = [UnpairedBatches(manifest, "a", "train", 64, rank=r, world_size=2) for r in (0, 1)]
    assert len(loaders[0]) == len(loaders[1]) == 15


def test_dataset_names_in_repo_params_are_the_documented_ones():
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert {"digits", "aerial_maps"} <= set(params["prepare"]["datasets"])
