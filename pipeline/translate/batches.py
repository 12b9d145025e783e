"""The batch loop of `unit-pipeline translate`: read and decode, translate, encode and write.

Why decode before batching: a bad file (corrupt, truncated, wrong channels) is found while
decoding, alone, so it is logged and skipped and never sinks the batch it would have joined.
Reads and writes run on a small thread pool (S3 round trips dominate otherwise); the next
batch is read while the current one is translated, and at most two batches are in memory.
Memory is bounded by design: an image over the pixel limit is refused from its header
(`images.MAX_INPUT_PIXELS`), and only `DECODE_SLOTS` images are decoded at once, so
decoded pixels in flight stay under DECODE_SLOTS x (16.8 MP x 4 bytes + one converted copy),
about 250 MB, however many I/O threads wait on S3. Encoded file bytes are held for at most two
batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from tqdm import tqdm

from pipeline.io import storage
from pipeline.io.errors import DataError
from pipeline.translate.images import BadImage, decode_image, encode_png, output_name
from pipeline.translate.styles import StyleVariant
from unit_core.inputs import to_model_range, to_uint8

log = logging.getLogger(__name__)

IO_THREADS = 8
DECODE_SLOTS = 2  # images decoded at once, process-wide (bounds decoded bytes, not I/O)
_decode_slots = threading.BoundedSemaphore(DECODE_SLOTS)


@dataclass(frozen=True)
class TranslationJob:
    """What to translate and where: names are file names under `source`."""

    source: str  # folder or S3 prefix
    destination: str
    names: list[str]
    direction: str  # "a2b" | "b2a"
    channels: int  # of the source domain
    image_size: int
    variants: list[StyleVariant]
    batch_size: int = 16
    progress: bool = True


@dataclass
class Outcome:
    translated: int = 0  # inputs translated (each gives len(variants) outputs)
    written: list[str] = field(default_factory=list)  # output names
    bad: dict[str, str] = field(default_factory=dict)  # input name -> problem
    resized: int = 0


@dataclass(frozen=True)
class _Decoded:
    name: str
    pixels: Tensor | None  # uint8 (C, S, S), None when bad
    problem: str | None = None
    resized: bool = False


def translate_all(translator: nn.Module, job: TranslationJob, device: torch.device) -> Outcome:
    """Translate every file of `job` with `translator` (already on `device`, in eval mode)."""
    outcome = Outcome()
    bar = tqdm(total=len(job.names), unit="img", disable=not job.progress, desc="translate")
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="translate-io") as pool:
        pending_writes: list[Future] = []
        for decoded in _prefetched_batches(pool, job):
            good = [d for d in decoded if d.pixels is not None]
            for d in decoded:
                if d.pixels is None:
                    log.error("%s: %s (skipped)", storage.join(job.source, d.name), d.problem)
                    outcome.bad[d.name] = d.problem or "bad file"
            outcome.resized += sum(d.resized for d in good)
            writes = _translate_batch(translator, job, good, device, pool) if good else []
            _wait(pending_writes, outcome)  # the previous batch's, so memory stays bounded
            pending_writes = writes
            outcome.translated += len(good)
            bar.update(len(decoded))
        _wait(pending_writes, outcome)
    bar.close()
    return outcome


def _prefetched_batches(pool: ThreadPoolExecutor, job: TranslationJob) -> Iterator[list[_Decoded]]:
    chunks = [job.names[i : i + job.batch_size] for i in range(0, len(job.names), job.batch_size)]
    reads = [pool.submit(_read, job, n) for n in chunks[0]] if chunks else []
    for i in range(len(chunks)):
        current = reads
        if i + 1 < len(chunks):
            reads = [pool.submit(_read, job, n) for n in chunks[i + 1]]
        yield [f.result() for f in current]


def _read(job: TranslationJob, name: str) -> _Decoded:
    try:
        data = storage.read_bytes(storage.join(job.source, name))
        with _decode_slots:
            pixels, resized = decode_image(data, job.channels, job.image_size)
    except (BadImage, DataError) as err:
        problem = err.problem if isinstance(err, DataError) else str(err)
        return _Decoded(name, None, problem)
    return _Decoded(name, pixels, None, resized)


@torch.no_grad()
def _translate_batch(
    translator: nn.Module,
    job: TranslationJob,
    good: list[_Decoded],
    device: torch.device,
    pool: ThreadPoolExecutor,
) -> list[Future]:
    x = to_model_range(torch.stack([d.pixels for d in good]).to(device))  # type: ignore[misc]
    writes: list[Future] = []
    for variant in job.variants:
        style = None if variant.style is None else variant.style.to(device)
        images = to_uint8(translator.translate(x, job.direction, style=style)).cpu()
        for d, image in zip(good, images, strict=True):
            name = output_name(d.name, variant.suffix)
            writes.append(pool.submit(_write, job.destination, name, image))
    return writes


def _write(destination: str, name: str, image: Tensor) -> str:
    storage.write_bytes_atomic(storage.join(destination, name), encode_png(image))
    return name


def _wait(writes: list[Future], outcome: Outcome) -> None:
    """Collect finished writes; a failed write (DataError naming the output) ends the run."""
    for future in writes:
        outcome.written.append(future.result())
