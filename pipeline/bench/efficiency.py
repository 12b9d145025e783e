"""How close a training step gets to this machine's own conv speed, and where its time goes.

- `step_flops`: the FLOPs of one step (convolutions and matmuls, forward and backward), counted
  by `torch.utils.flop_counter` — the work a perfect kernel could not skip.
- `reference_conv_flops_per_s`: what one large 3x3 conv (256 -> 256 channels, 8x256x32x32)
  reaches here with the same threads, forward only: the practical ceiling (an MFU-like
  denominator measured on this machine instead of a datasheet peak).
- `op_profile`: the top ops by self CPU time over a few steps (`torch.profiler`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

REFERENCE_SHAPE = (8, 256, 32, 32)  # (N, C, H, W) input of the reference conv, 256 -> 256, 3x3


def step_flops(step: Callable[[], Any]) -> int:
    """FLOPs of one call of `step` (a multiply-add counts 2), convs and matmuls only."""
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return int(counter.get_total_flops())


def reference_conv_flops_per_s(
    device: torch.device | str = "cpu",
    repeats: int = 5,
    shape: tuple[int, ...] = REFERENCE_SHAPE,
    bf16: bool = False,
) -> float:
    """FLOP/s of a 3x3, C -> C conv on `shape` (best of `repeats` after one warm-up); `bf16`:
    under bf16 autocast, the reference of a bf16 step (same precision, same threads)."""
    n, c, h, w = shape
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g).to(device)
    weight = (torch.randn(c, c, 3, 3, generator=g) * 0.02).to(device)
    flops = 2 * n * c * h * w * c * 9
    best = float("inf")
    autocast = torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16)
    with torch.no_grad(), autocast:
        for i in range(repeats + 1):
            _sync(device)
            start = time.perf_counter()
            F.conv2d(x, weight, padding=1)
            _sync(device)
            if i > 0:  # the first call pays for allocation and kernel selection
                best = min(best, time.perf_counter() - start)
    return flops / best


def op_profile(step: Callable[[], Any], steps: int = 2, top: int = 10) -> list[dict[str, Any]]:
    """The `top` ops by self CPU time over `steps` calls: name, calls, ms per step, share."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total_us = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    return [
        {
            "op": e.key,
            "calls_per_step": e.count / steps,
            "self_ms_per_step": round(e.self_cpu_time_total / 1000 / steps, 2),
            "share": round(e.self_cpu_time_total / total_us, 3),
        }
        for e in events[:top]
    ]


def _sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
