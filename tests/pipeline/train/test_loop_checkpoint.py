"""pipeline.train.loop.read_checkpoint: each rank reads its own copy of a remote checkpoint."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs
import ray.train
import torch

from pipeline.io.checkpoints import save_checkpoint
from pipeline.train.loop import read_checkpoint


def _saved(folder: Path) -> Path:
    folder.mkdir(parents=True)
    save_checkpoint(folder, {"w": torch.arange(4.0)}, {"step": 6})
    return folder


def test_a_remote_checkpoint_is_downloaded_to_a_private_folder_per_rank(tmp_path, monkeypatch):
    _saved(tmp_path / "store" / "checkpoint_00000006")
    # Not a LocalFileSystem instance: read like a remote (S3) store, through a download.
    remote = pyarrow.fs.SubTreeFileSystem(str(tmp_path / "store"), pyarrow.fs.LocalFileSystem())
    checkpoint = ray.train.Checkpoint("checkpoint_00000006", filesystem=remote)
    folders: list[str] = []
    download = ray.train.Checkpoint.to_directory

    def recording(self, path=None):
        folders.append(str(path))
        return download(self, path)

    monkeypatch.setattr(ray.train.Checkpoint, "to_directory", recording)
    states = [read_checkpoint(checkpoint, rank) for rank in (0, 1)]
    for state, progress in states:
        assert torch.equal(state["w"], torch.arange(4.0)) and progress["step"] == 6
    # Ray's as_directory would hand both ranks one shared folder (a rank re-downloading into
    # it while another reads was the race); here each rank has its own, removed after reading.
    assert len(folders) == 2 and folders[0] != folders[1] and "None" not in folders
    assert not any(Path(f).exists() for f in folders)


def test_a_local_checkpoint_is_read_in_place(tmp_path, monkeypatch):
    folder = _saved(tmp_path / "checkpoint_00000006")

    def no_download(self, path=None):
        raise AssertionError("a local checkpoint must not be copied")

    monkeypatch.setattr(ray.train.Checkpoint, "to_directory", no_download)
    state, progress = read_checkpoint(ray.train.Checkpoint(str(folder)), rank=0)
    assert torch.equal(state["w"], torch.arange(4.0)) and progress["step"] == 6
