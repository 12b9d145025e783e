"""prepare never deletes what it did not create: foreign, overlapping and other-dataset outputs."""

import json

import pytest

from pipeline.data.output_guard import owned_files
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io.errors import DataError
from tests.pipeline.data.tiny_params import aerial_params, digits_params


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


def test_folder_with_other_files_is_refused_and_left_as_it_was(tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"precious")
    (out / "album").mkdir()
    before = _tree(out)
    with pytest.raises(DataError, match=rf"{out}: output holds 2 entries .* \(e.g. album, "
                                        r"holiday.jpg\); refusing"):
        prepare_dataset(digits_params(tmp_path / "raw", str(out)), "toy", progress=False)
    assert _tree(out) == before


@pytest.mark.parametrize("where", ["root", "inside", "containing"])
def test_output_overlapping_source_root_is_refused_and_raw_files_survive(tmp_path, where):
    raw = tmp_path / "data" / "raw"
    params = digits_params(raw, "unused")
    before = _tree(raw)
    out = {"root": raw, "inside": raw / "shards", "containing": tmp_path / "data"}[where]
    with pytest.raises(DataError, match=rf"{out}: output overlaps the source location"):
        prepare_dataset(params, "toy", output=str(out), progress=False)
    assert _tree(raw) == before


def test_previous_output_of_another_dataset_is_refused(tmp_path):
    out = tmp_path / "out"
    prepare_dataset(aerial_params(str(out)), "maps", progress=False)
    before = _tree(out)
    with pytest.raises(DataError, match=r"manifest.json: not a manifest of dataset 'toy'"):
        prepare_dataset(digits_params(tmp_path / "raw", str(out)), "toy", progress=False)
    assert _tree(out) == before


def test_a_foreign_manifest_json_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"name": "someone else's"}))
    with pytest.raises(DataError, match=r"not a manifest of dataset 'maps' written by prepare"):
        prepare_dataset(aerial_params(str(out)), "maps", progress=False)
    assert json.loads((out / "manifest.json").read_text()) == {"name": "someone else's"}


def test_rerun_replaces_exactly_the_previous_output(tmp_path):
    out = tmp_path / "out"
    params = aerial_params(str(out))
    first = prepare_dataset(params, "maps", progress=False)
    assert owned_files(str(out), "maps") == {"manifest.json", *(s.file for s in first.shards)}
    params["prepare"]["datasets"]["maps"]["seed"] = 3  # new content: every shard name changes
    second = prepare_dataset(params, "maps", progress=False)
    assert {p.name for p in out.iterdir()} == {"manifest.json", *(s.file for s in second.shards)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp or old folders


def test_an_empty_folder_and_a_file_as_output(tmp_path):
    (tmp_path / "empty").mkdir()
    assert prepare_dataset(aerial_params(str(tmp_path / "empty")), "maps", progress=False).shards
    (tmp_path / "file").write_text("mine")
    with pytest.raises(DataError, match=r"file: output exists and is not a folder"):
        prepare_dataset(aerial_params(str(tmp_path / "file")), "maps", progress=False)
    assert (tmp_path / "file").read_text() == "mine"
