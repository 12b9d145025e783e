"""fp32 against `auto` on this machine, side by side: what `speed: auto` buys a training step.

    python -m pipeline.bench --compare            # `make bench`: UNIT, paper width, 64 px, batch 1

Both settings build the same seeded step; timed rounds alternate (fp32, auto, fp32, auto, ...)
so a load that comes and goes hits both alike, and each setting keeps its best round (the
least disturbed). Efficiency is the step's FLOP/s against the reference conv **in the same
precision** on the same threads (`pipeline.bench.efficiency`), so a bf16 step is held to what
bf16 convs reach here, not to fp32's ceiling.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from pipeline.bench.efficiency import reference_conv_flops_per_s, step_flops
from pipeline.bench.steps import BenchStep, build_bench_step
from unit_core.speed_options import ResolvedSpeed, SpeedSettings, resolve_speed

FP32 = ResolvedSpeed("fp32", "contiguous", False)


def compare_report(
    args: argparse.Namespace,
    time_steps: Any,
    overrides: dict[str, Any],
    rounds: int = 3,
) -> dict[str, Any]:
    """{settings: [{name, precision, memory_format, ms_per_step, ...}], auto_over_fp32}.

    `time_steps(bench, steps, warmup, max_seconds)` is the single-setting timer of
    `pipeline.bench` (passed in to keep one timer)."""
    device = torch.device(args.device)
    settings = {"fp32": FP32, "auto": resolve_speed(SpeedSettings(), device)}
    benches: dict[str, BenchStep] = {
        name: build_bench_step(args.family, args.image_size, args.batch, args.base_channels,
                               device, speed, overrides=overrides)  # fmt: skip
        for name, speed in settings.items()
    }
    best = dict.fromkeys(settings, float("inf"))
    for _ in range(rounds):
        for name, bench in benches.items():
            steps, elapsed = time_steps(bench, args.steps, args.warmup, args.max_seconds)
            best[name] = min(best[name], elapsed / steps)
    rows = []
    for name, speed in settings.items():
        flops = step_flops(benches[name].step)
        reference = reference_conv_flops_per_s(device, bf16=speed.precision == "bf16")
        rows.append({
            "setting": name,
            "precision": speed.precision,
            "memory_format": speed.memory_format,
            "ms_per_step": round(1000 * best[name], 1),
            "steps_per_s": round(1 / best[name], 3),
            "gflop_per_s": round(flops / best[name] / 1e9, 1),
            "reference_gflop_per_s": round(reference / 1e9, 1),
            "efficiency": round(flops / best[name] / reference, 3),
        })  # fmt: skip
    return {"settings": rows, "auto_over_fp32": round(best["fp32"] / best["auto"], 3),
            "rounds": rounds}  # fmt: skip


def format_compare(report: dict[str, Any], header: str) -> str:
    """A table: one row per setting, then auto's speed-up over fp32."""
    lines = [header,
             f"{'setting':8} {'precision':9} {'memory':13} {'ms/step':>8} {'steps/s':>8} "
             f"{'GFLOP/s':>8} {'ref GFLOP/s':>11} {'efficiency':>10}"]  # fmt: skip
    for r in report["settings"]:
        lines.append(
            f"{r['setting']:8} {r['precision']:9} {r['memory_format']:13} {r['ms_per_step']:8.1f} "
            f"{r['steps_per_s']:8.3f} {r['gflop_per_s']:8.1f} {r['reference_gflop_per_s']:11.1f} "
            f"{r['efficiency']:10.0%}"
        )
    lines.append(f"auto / fp32 step speed: {report['auto_over_fp32']:.2f}x "
                 f"(best of {report['rounds']} alternating rounds each)")  # fmt: skip
    return "\n".join(lines)
