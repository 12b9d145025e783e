"""The batch loop of `unit-pipeline translate` bounds how many images are decoded at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from pipeline.translate import batches as translate_batches
from pipeline.translate.batches import DECODE_SLOTS, IO_THREADS, TranslationJob


def test_no_more_than_decode_slots_images_are_decoded_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """I/O threads wait on S3 in parallel; decoding (the memory) is capped by DECODE_SLOTS."""
    names = [f"img{i}.png" for i in range(2 * IO_THREADS)]
    for name in names:
        (tmp_path / name).write_bytes(b"png bytes")
    lock = threading.Lock()
    running, peak = [0], [0]

    def slow_decode(data: bytes, channels: int, size: int) -> tuple[torch.Tensor, bool]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return torch.zeros(channels, size, size, dtype=torch.uint8), False

    monkeypatch.setattr(translate_batches, "decode_image", slow_decode)
    job = TranslationJob(str(tmp_path), str(tmp_path / "out"), names, "a2b", 1, 4, variants=[])
    with ThreadPoolExecutor(IO_THREADS) as pool:
        decoded = list(pool.map(lambda n: translate_batches._read(job, n), names))
    assert [d.name for d in decoded] == names and all(d.pixels is not None for d in decoded)
    assert DECODE_SLOTS < IO_THREADS and peak[0] == DECODE_SLOTS
