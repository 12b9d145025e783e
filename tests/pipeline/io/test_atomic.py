"""All-or-nothing writes: a failed fill never replaces the last good output."""

from __future__ import annotations

import json

import pytest

from pipeline.io.atomic import replace_folder, write_atomic


def test_replace_folder_keeps_the_old_output_when_filling_fails(tmp_path):
    target = tmp_path / "out"
    replace_folder(target, lambda d: (d / "model.txt").write_text("good"))

    def broken(folder):
        (folder / "model.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        replace_folder(target, broken)
    assert (target / "model.txt").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind
    replace_folder(target, lambda d: (d / "run.json").write_text(json.dumps({})))
    assert sorted(p.name for p in target.iterdir()) == ["run.json"]


def test_write_atomic_leaves_no_partial_file(tmp_path):
    path = tmp_path / "metrics.json"
    write_atomic(path, lambda tmp: tmp.write_text("{}"))

    def broken(tmp):
        tmp.write_text("{half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(path, broken)
    assert path.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
