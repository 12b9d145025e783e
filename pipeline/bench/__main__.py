"""Micro-benchmark of one training step: steps/s, FLOP/s against this machine's conv, top ops.

    python -m pipeline.bench                                    # UNIT, paper width, 64 px, batch 1
    python -m pipeline.bench --family da --batch 64             # the DA step, 32 px
    python -m pipeline.bench --compare                          # fp32 vs `auto` side by side (make bench)
    python -m pipeline.bench --contended                        # quiet vs a busy process, old vs new threads
    python -m pipeline.bench --image-size 256 --device cuda --channels-last --amp --compile

Threads (CPU): `--thread-policy given` (default) runs as many intra-op threads as the CPUs
this process was given (its affinity; `unit_core.cpu_threads`) with OpenMP threads that sleep
at barriers; `torch_default` is the policy before (torch's own count, OpenMP's default
spinning). Run as `python -m`, the passive wait policy is set before torch loads (a re-exec).

Images/s counts both domains. Peak memory is the process's peak RSS on CPU and
`torch.cuda.max_memory_allocated` on CUDA. FLOP/s counts convs and matmuls (forward and
backward); `conv_reference` is one large 3x3 conv on the same device and threads, and
`efficiency` = step FLOP/s ÷ that reference (an MFU measured against this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from typing import Any

import torch

from pipeline.bench.efficiency import op_profile, reference_conv_flops_per_s, step_flops
from pipeline.bench.steps import FAMILIES, BenchStep, build_bench_step
from unit_core.cpu_threads import WAIT_POLICY, apply_cpu_threads
from unit_core.speed_options import ResolvedSpeed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--family", choices=FAMILIES, default="unit")
    p.add_argument("--image-size", type=int, default=64, help="ignored for da (always 32)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--base-channels", type=int, default=64, help="64 = the paper's width")
    p.add_argument("--channels", type=int, default=None, help="channels of both domains (1 or 3)")
    p.add_argument("--n-shared", type=int, default=None, help="unit only")
    p.add_argument("--dis-layers", type=int, default=None, help="unit/munit only")
    p.add_argument("--dis-scales", type=int, default=None, help="unit/munit only")
    p.add_argument("--steps", type=int, default=20, help="timed steps (at most)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--max-seconds", type=float, default=0.0,
                   help="stop timing after this long (0: no limit; at least one step)")  # fmt: skip
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    p.add_argument("--amp", action="store_true", help="bf16 autocast")
    p.add_argument("--compile", action="store_true", help="torch.compile the trained modules")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: by --thread-policy)")
    p.add_argument("--thread-policy", choices=("given", "torch_default"), default="given")
    p.add_argument("--no-efficiency", action="store_true", help="skip FLOP/s and the profile")
    p.add_argument("--profile-steps", type=int, default=2)
    p.add_argument("--contended", action="store_true",
                   help="quiet vs. a competing busy process, old vs. new thread policy")  # fmt: skip
    p.add_argument("--rounds", type=int, default=1, help="--contended: interleaved rounds")
    p.add_argument("--compare", action="store_true",
                   help="fp32 and `speed: auto` side by side, with efficiencies")  # fmt: skip
    return p.parse_args(argv)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = {"n_shared": args.n_shared, "dis_layers": args.dis_layers, "dis_scales": args.dis_scales,
            "channels_a": args.channels, "channels_b": args.channels}  # fmt: skip
    return {k: v for k, v in keys.items() if v is not None}


def set_threads(args: argparse.Namespace) -> int:
    """Apply --threads / --thread-policy on CPU; return the intra-op thread count."""
    if args.threads:
        torch.set_num_threads(args.threads)
    elif args.thread_policy == "given":
        apply_cpu_threads()
    return torch.get_num_threads()


def time_steps(bench: BenchStep, steps: int, warmup: int, max_seconds: float) -> tuple[int, float]:
    """(timed steps, seconds) after `warmup` untimed steps; stops early after `max_seconds`."""
    device = bench.trainer.device
    for _ in range(warmup):
        bench.step()
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    done, start = 0, time.perf_counter()
    while done < steps:
        bench.step()
        done += 1
        if max_seconds and time.perf_counter() - start > max_seconds:
            break
    _sync(device)
    return done, time.perf_counter() - start


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Time the step; with efficiency on, add FLOP/s, the conv reference and the top ops."""
    device = torch.device(args.device)
    threads = set_threads(args) if device.type == "cpu" else torch.get_num_threads()
    speed = ResolvedSpeed(
        precision="bf16" if args.amp else "fp32",
        memory_format="channels_last" if args.channels_last else "contiguous",
        compile=args.compile,
    )
    bench = build_bench_step(
        args.family, args.image_size, args.batch, args.base_channels, device, speed,
        overrides=_overrides(args),
    )  # fmt: skip
    steps, elapsed = time_steps(bench, args.steps, args.warmup, args.max_seconds)
    steps_per_s = steps / elapsed
    result: dict[str, Any] = {
        "family": args.family,
        "device": str(device),
        "machine": _machine(device, threads),
        "threads": threads,
        "omp_wait_policy": os.environ.get(WAIT_POLICY[0], "default"),
        "image_size": args.image_size if args.family != "da" else 32,
        "batch": args.batch,
        "base_channels": args.base_channels,
        "channels_last": args.channels_last,
        "amp": args.amp,
        "compile": args.compile,
        "timed_steps": steps,
        "steps_per_s": round(steps_per_s, 3),
        "images_per_s": round(steps_per_s * bench.images_per_step, 2),
        "ms_per_step": round(1000 * elapsed / steps, 1),
        "peak_memory_mb": round(_peak_mb(device), 1),
        "translator_params": sum(p.numel() for p in bench.trainer.translator.parameters()),
        "discriminator_params": sum(p.numel() for p in bench.trainer.discriminators.parameters()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if not args.no_efficiency:
        result |= efficiency(bench, steps_per_s, device, args.profile_steps)
    return result


def efficiency(
    bench: BenchStep, steps_per_s: float, device: torch.device, profile_steps: int
) -> dict[str, Any]:
    """Step GFLOP/s vs. the reference conv's on this device, and the top ops by self time."""
    flops = step_flops(bench.step)
    reference = reference_conv_flops_per_s(device)
    achieved = flops * steps_per_s
    out: dict[str, Any] = {
        "gflop_per_step": round(flops / 1e9, 3),
        "achieved_gflop_per_s": round(achieved / 1e9, 1),
        "conv_reference_gflop_per_s": round(reference / 1e9, 1),
        "efficiency_vs_conv_reference": round(achieved / reference, 3),
    }
    if profile_steps > 0 and device.type == "cpu":
        out["top_ops_by_self_cpu"] = op_profile(bench.step, steps=profile_steps)
    return out


def _machine(device: torch.device, threads: int) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {threads} threads"


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        from pipeline.bench.compare import compare_report, format_compare

        threads = set_threads(args) if args.device == "cpu" else torch.get_num_threads()
        report = compare_report(args, time_steps, _overrides(args), rounds=max(args.rounds, 3))
        report |= {"family": args.family, "image_size": args.image_size, "batch": args.batch,
                   "base_channels": args.base_channels, "machine": _machine(torch.device(args.device), threads)}  # fmt: skip
        header = (f"{args.family}, {report['image_size']} px, batch {args.batch}, width "
                  f"{args.base_channels}, {report['machine']}")  # fmt: skip
        print(format_compare(report, header))
        print(json.dumps(report))
        return 0
    if args.contended:
        from pipeline.bench.contended import contended_report, format_contended

        report = contended_report(argv if argv is not None else sys.argv[1:], rounds=args.rounds)
        print(format_contended(report))
        print(json.dumps(report))
        return 0
    print(json.dumps(run_benchmark(args)))
    return 0


def _reexec_with_wait_policy() -> None:
    """OpenMP reads OMP_WAIT_POLICY when torch loads: set it and restart this command once."""
    name, value = WAIT_POLICY
    if "--thread-policy=torch_default" in sys.argv or "torch_default" in sys.argv:
        return
    if name not in os.environ:
        os.environ[name] = value
        os.execv(sys.executable, [sys.executable, "-m", "pipeline.bench", *sys.argv[1:]])


if __name__ == "__main__":
    _reexec_with_wait_policy()
    sys.exit(main())
