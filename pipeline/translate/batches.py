"""The batch loop of `unit-pipeline translate`: read and decode, translate, encode and write.

Why decode before batching: a bad file (corrupt, truncated, wrong channels) is found while
decoding, alone, so it is logged and skipped and never sinks the batch it would have joined.
Reads and writes run on a small thread pool (S3 round trips dominate otherwise); the next
batch is read while the current one is translated, and at most two batches are in memory.
Memory is bounded by design: an image over the pixel limit is refused from its header
(`images.MAX_INPUT_PIXELS`), and only `DECODE_SLOTS` images are decoded at once, so
decoded pixels in flight stay under DECODE_SLOTS x (16.8 MP x 4 bytes + one converted copy),
about 250 MB, however many I/O threads wait on S3. Encoded file bytes and decoded images are
held for at most two batches (S x S each with `--size train`; W x H, at most 16.8 MP, at native
size).

Why `_network_batches`: images of different sizes cannot share a tensor, and a batch of 16
12-MP photos needs about 3000 times the accelerator memory of 16 64x64 training-size
images. So a batch of files is split into runs of one size, each forward pass holding at most
`batch_size` x S x S pixels (padded), or one image when that alone is larger. With
`--size train` every image is S x S and a batch of files is one forward pass, as before.
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
from pipeline.translate.native_size import padded_side, translate_at_native_size
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
    image_size: int  # the model's training size S
    downsampling: int  # f = 2**n_downsample (`native_size.downsampling_factor`)
    variants: list[StyleVariant]
    batch_size: int = 16
    progress: bool = True
    native_size: bool = True  # keep each image's H x W (`--size native`), else resize to S x S


@dataclass
class Outcome:
    translated: int = 0  # inputs translated (each gives len(variants) outputs)
    written: list[str] = field(default_factory=list)  # output names
    bad: dict[str, str] = field(default_factory=dict)  # input name -> problem
    resized: int = 0


@dataclass(frozen=True)
class _Decoded:
    name: str
    pixels: Tensor | None  # uint8 (C, H, W), None when bad
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
        size = None if job.native_size else job.image_size
        with _decode_slots:
            pixels, resized = decode_image(data, job.channels, size)
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
    writes: list[Future] = []
    for group in _network_batches(good, job):
        x = to_model_range(torch.stack([d.pixels for d in group]).to(device))  # type: ignore[misc]
        for variant in job.variants:
            style = None if variant.style is None else variant.style.to(device)
            if job.native_size:
                y = translate_at_native_size(translator, x, job.direction, job.downsampling, style)
            else:
                y = translator.translate(x, job.direction, style=style)
            for d, image in zip(group, to_uint8(y).cpu(), strict=True):
                name = output_name(d.name, variant.suffix)
                writes.append(pool.submit(_write, job.destination, name, image))
    return writes


def _network_batches(good: list[_Decoded], job: TranslationJob) -> list[list[_Decoded]]:
    """`good` split into forward passes: one (H, W) each, at most `batch_size` x S x S padded
    pixels each (at least one image). Order within a size is kept."""
    by_size: dict[tuple[int, ...], list[_Decoded]] = {}
    for d in good:
        by_size.setdefault(tuple(d.pixels.shape[-2:]), []).append(d)  # type: ignore[union-attr]
    budget = job.batch_size * job.image_size**2
    batches = []
    for (height, width), same in by_size.items():
        pixels = height * width
        if job.native_size:
            f = job.downsampling
            pixels = padded_side(height, f) * padded_side(width, f)
        per_pass = max(1, min(job.batch_size, budget // pixels))
        batches += [same[i : i + per_pass] for i in range(0, len(same), per_pass)]
    return batches


def _write(destination: str, name: str, image: Tensor) -> str:
    storage.write_bytes_atomic(storage.join(destination, name), encode_png(image))
    return name


def _wait(writes: list[Future], outcome: Outcome) -> None:
    """Collect finished writes; a failed write (DataError naming the output) ends the run."""
    for future in writes:
        outcome.written.append(future.result())
