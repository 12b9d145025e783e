"""All-or-nothing writes: a failed fill never replaces the last good output; usual file modes."""

from __future__ import annotations

import json
import os
import stat

import pytest
import torch

from pipeline.io import storage
from pipeline.io.atomic import replace_folder, write_atomic
from pipeline.io.checkpoints import PROGRESS_FILE, STATE_FILE, save_checkpoint


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


@pytest.fixture(
    params=[(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
    ids=["umask022", "umask077", "umask002"],
)
def umask_and_mode(request):
    """Run under a given umask (process-wide, restored after); the file mode open() would give."""
    umask, mode = request.param
    previous = os.umask(umask)
    yield mode
    os.umask(previous)


def test_every_atomic_writer_gives_the_mode_open_gives(tmp_path, umask_and_mode):
    # mkstemp's 0600 made checkpoints and metrics.json unreadable to a teammate sharing the folder
    save_checkpoint(tmp_path, {"w": torch.zeros(1)}, {"step": 1})
    write_atomic(tmp_path / "metrics.json", lambda tmp: tmp.write_text("{}"))
    storage.write_bytes_atomic(str(tmp_path / "shard.parquet"), b"rows")
    write_atomic(tmp_path / "metrics.json", lambda tmp: tmp.write_text("{}"))  # a rewrite too
    (tmp_path / "plain.txt").write_text("")  # the reference: a normal open()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(
        [STATE_FILE, PROGRESS_FILE, "metrics.json", "shard.parquet", "plain.txt"], umask_and_mode
    )
