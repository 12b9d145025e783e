import pytest
import torch

from pipeline.io.checkpoints import PROGRESS_FILE, STATE_FILE, load_checkpoint, save_checkpoint


def test_round_trip_and_no_temporary_files_left(tmp_path):
    save_checkpoint(tmp_path, {"w": torch.ones(2)}, {"step": 3, "history": []})
    state, progress = load_checkpoint(tmp_path)
    assert torch.equal(state["w"], torch.ones(2)) and progress["step"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([STATE_FILE, PROGRESS_FILE])


def test_missing_or_corrupt_files_name_the_checkpoint(tmp_path):
    with pytest.raises(ValueError, match=STATE_FILE):
        load_checkpoint(tmp_path)
    save_checkpoint(tmp_path, {"w": torch.ones(2)}, {"step": 3})
    (tmp_path / STATE_FILE).write_bytes(b"truncated")
    with pytest.raises(ValueError, match="unreadable checkpoint"):
        load_checkpoint(tmp_path)
