"""`prepare` onto a full disk or a read-only folder: one line naming the path, exit 2, and the
earlier output whole (real mounts: tests/fixtures/mounts.py, skipped where mounting is refused)."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from pipeline.prepare.__main__ import main
from tests.fixtures.mounts import FILLER, fill
from tests.pipeline.data.tiny_params import digits_params


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _prepare(tmp_path: Path, output: Path) -> int:
    params = digits_params(tmp_path / "raw", str(output))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return main(["--dataset", "toy", "--params", str(tmp_path / "params.yaml"), "--no-progress"])


def _only_error(caplog) -> str:
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback
    return line


def test_full_disk_exits_2_naming_the_shard_and_keeps_the_earlier_output(
    tmp_path, mounts, caplog, capsys
):
    disk = mounts.full_disk(tmp_path / "disk")
    assert _prepare(tmp_path, disk / "toy") == 0
    before = _files(disk / "toy")
    fill(disk)
    caplog.clear()
    assert _prepare(tmp_path, disk / "toy") == 2
    line = _only_error(caplog)
    assert line.startswith(f"{disk / 'toy'}/") and line.endswith(": no space left on device")
    assert ".tmp" not in line  # the output's own file name, not the staging folder's
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in disk.iterdir()) == sorted([FILLER, "toy"])  # no staging left
    assert _files(disk / "toy") == before


def test_read_only_output_folder_exits_2_naming_it(tmp_path, mounts, caplog):
    parent = tmp_path / "shards"
    parent.mkdir()
    mounts.read_only(parent)
    assert _prepare(tmp_path, parent / "toy") == 2
    assert _only_error(caplog).endswith(": read-only file system")
    assert str(parent) in _only_error(caplog)
    assert list(parent.iterdir()) == []
