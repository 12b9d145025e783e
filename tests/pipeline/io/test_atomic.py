"""All-or-nothing writes: a failed fill never replaces the last good output; usual file modes."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest
import torch

from pipeline.io import storage
from pipeline.io.atomic import replace_folder, write_atomic
from pipeline.io.checkpoints import PROGRESS_FILE, STATE_FILE, save_checkpoint
from tests.fixtures.mounts import FILLER, fill


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


# Real file-system faults (tests/fixtures/mounts.py): skipped where mounting is not permitted.


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != FILLER)


def test_write_atomic_on_a_full_disk_names_the_file_and_leaves_no_temp_file(tmp_path, mounts):
    disk = mounts.full_disk(tmp_path / "disk")
    path = disk / "metrics.json"
    write_atomic(path, lambda tmp: tmp.write_text('{"good": 1}'))
    fill(disk)
    with pytest.raises(OSError) as raised:
        write_atomic(path, lambda tmp: tmp.write_bytes(b"x" * 100_000))
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert path.read_text() == '{"good": 1}' and _names(disk) == ["metrics.json"]


def test_checkpoint_on_a_full_disk_is_an_os_error_not_torchs_runtime_error(tmp_path, mounts):
    disk = mounts.full_disk(tmp_path / "disk")
    fill(disk, leave_bytes=8192)
    with pytest.raises(OSError) as raised:  # torch.save(obj, path): RuntimeError "unexpected pos"
        save_checkpoint(disk, {"w": torch.zeros(100_000)}, {"step": 1})
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(disk / STATE_FILE)
    assert _names(disk) == []


def test_write_atomic_on_a_read_only_folder_names_the_file(tmp_path, mounts):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "metrics.json").write_text("old")
    mounts.read_only(folder)
    with pytest.raises(OSError) as raised:
        write_atomic(folder / "metrics.json", lambda tmp: tmp.write_text("new"))
    assert raised.value.errno == errno.EROFS
    assert raised.value.filename == str(folder / "metrics.json")
    assert (folder / "metrics.json").read_text() == "old"


def test_replace_folder_on_a_full_disk_keeps_the_old_folder_and_names_it(tmp_path, mounts):
    disk = mounts.full_disk(tmp_path / "disk")
    target = disk / "translation"
    replace_folder(target, lambda d: (d / "translator.pt").write_text("good"))
    fill(disk)
    with pytest.raises(OSError) as raised:
        replace_folder(target, lambda d: (d / "translator.pt").write_bytes(b"x" * 100_000))
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(target)  # not .translation.staging
    assert _names(disk) == ["translation"] and (target / "translator.pt").read_text() == "good"


def test_replace_folder_under_a_read_only_parent_names_the_output(tmp_path, mounts):
    parent = tmp_path / "outputs"
    replace_folder(parent / "translation", lambda d: (d / "translator.pt").write_text("good"))
    mounts.read_only(parent)
    with pytest.raises(OSError) as raised:
        replace_folder(parent / "translation", lambda d: (d / "translator.pt").write_text("new"))
    assert raised.value.errno == errno.EROFS
    assert raised.value.filename == str(parent / "translation")
    assert (parent / "translation" / "translator.pt").read_text() == "good"
