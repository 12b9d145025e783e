"""Micro-benchmark of one UNIT training step: steps/s, images/s and peak memory.

    python -m unit_core.bench --image-size 64 --batch 1
    python -m unit_core.bench --image-size 256 --batch 1 --device cuda --channels-last --amp

Images/s counts both domains (a step sees `batch` images of A and `batch` of B). Peak memory is
the process's peak resident set on CPU and `torch.cuda.max_memory_allocated` on CUDA.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import resource
import time

import torch

from unit_core.config import UnitConfig
from unit_core.trainer import UnitTrainer


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--channels", type=int, default=3, help="channels of both domains")
    p.add_argument("--base-channels", type=int, default=64)
    p.add_argument("--n-shared", type=int, default=1)
    p.add_argument("--dis-layers", type=int, default=5)
    p.add_argument("--dis-scales", type=int, default=1)
    p.add_argument("--steps", type=int, default=20, help="timed steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    p.add_argument("--amp", action="store_true", help="bf16 autocast")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    return p.parse_args(argv)


def run_benchmark(args: argparse.Namespace) -> dict[str, object]:
    """Time `args.steps` train steps after `args.warmup`; return the measured figures."""
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = UnitConfig.from_dict(
        {
            "model": {
                "image_size": args.image_size,
                "channels_a": args.channels,
                "channels_b": args.channels,
                "base_channels": args.base_channels,
                "n_shared": args.n_shared,
                "dis_layers": args.dis_layers,
                "dis_scales": args.dis_scales,
            }
        }
    )
    device = torch.device(args.device)
    trainer = UnitTrainer(cfg, device)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    if args.channels_last:
        trainer.translator.to(memory_format=memory_format)
        trainer.discriminators.to(memory_format=memory_format)
    shape = (args.batch, args.channels, args.image_size, args.image_size)
    x_a = (torch.rand(shape, device=device) * 2 - 1).contiguous(memory_format=memory_format)
    x_b = (torch.rand(shape, device=device) * 2 - 1).contiguous(memory_format=memory_format)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16) if args.amp else contextlib.nullcontext()
    )

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    with autocast:
        for _ in range(args.warmup):
            trainer.train_step(x_a, x_b)
        sync()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        for _ in range(args.steps):
            trainer.train_step(x_a, x_b)
        sync()
        elapsed = time.perf_counter() - start
    if device.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
        machine = torch.cuda.get_device_name(device)
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        machine = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    steps_per_s = args.steps / elapsed
    return {
        "device": str(device),
        "machine": machine,
        "image_size": args.image_size,
        "batch": args.batch,
        "n_shared": args.n_shared,
        "channels_last": args.channels_last,
        "amp": args.amp,
        "steps_per_s": round(steps_per_s, 3),
        "images_per_s": round(steps_per_s * 2 * args.batch, 2),
        "ms_per_step": round(1000 * elapsed / args.steps, 1),
        "peak_memory_mb": round(peak_mb, 1),
        "translator_params": sum(p.numel() for p in trainer.translator.parameters()),
        "discriminator_params": sum(p.numel() for p in trainer.discriminators.parameters()),
    }


def main(argv: list[str] | None = None) -> None:
    print(json.dumps(run_benchmark(_parse_args(argv))))


if __name__ == "__main__":
    main()
