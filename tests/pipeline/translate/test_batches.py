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
    job = TranslationJob(str(tmp_path), str(tmp_path / "out"), names, "a2b", 1, 4, 4,
                         variants=[], native_size=False)  # fmt: skip
    with ThreadPoolExecutor(IO_THREADS) as pool:
        decoded = list(pool.map(lambda n: translate_batches._read(job, n), names))
    assert [d.name for d in decoded] == names and all(d.pixels is not None for d in decoded)
    assert DECODE_SLOTS < IO_THREADS and peak[0] == DECODE_SLOTS


def _decoded(name: str, height: int, width: int) -> translate_batches._Decoded:
    return translate_batches._Decoded(name, torch.zeros(1, height, width, dtype=torch.uint8))


def test_forward_passes_hold_one_size_and_at_most_batch_size_s_by_s_pixels() -> None:
    """S = 16, batch 4: a budget of 4 x 256 padded pixels per pass, at least one image."""
    sizes = {"a": (64, 64), "b": (16, 16), "c": (20, 30), "d": (16, 16), "e": (64, 64),
             "f": (16, 16), "g": (16, 16), "h": (16, 16), "i": (3, 3), "j": (3, 3)}  # fmt: skip
    good = [_decoded(name, *hw) for name, hw in sizes.items()]
    job = TranslationJob("in", "out", list(sizes), "a2b", 1, 16, 4, variants=[], batch_size=4)
    passes = [[d.name for d in group] for group in translate_batches._network_batches(good, job)]
    # 64x64 alone is over the budget: one each; 30x20 pads to 32x20 (640 px): one;
    # 16x16: four per pass; 3x3 pads to 8x8 (64 px): both, capped by batch_size anyway.
    assert passes == [["a"], ["e"], ["b", "d", "f", "g"], ["h"], ["c"], ["i", "j"]]
    train = TranslationJob("in", "out", list(sizes), "a2b", 1, 16, 4, variants=[], batch_size=4,
                           native_size=False)  # fmt: skip
    same = [_decoded(n, 16, 16) for n in "abcdefghij"]
    assert [len(g) for g in translate_batches._network_batches(same, train)] == [4, 4, 2]
