"""Step-level sections of `pipeline.bench.gpu_check`: CUDA vs CPU losses, bf16 stability, throughput.

Each section returns a JSON-able dict with `ok`; sizes come from a `Sizes` (GPU: the paper's
width and shapes; smoke: tiny, so the same code runs in seconds on a CPU).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from pipeline.bench.steps import build_bench_step
from unit_core.speed_options import ResolvedSpeed

FP32 = ResolvedSpeed("fp32", "contiguous", False)
VARIANTS = {  # name -> speed options of the throughput table
    "fp32": FP32,
    "bf16": ResolvedSpeed("bf16", "contiguous", False),
    "bf16_channels_last": ResolvedSpeed("bf16", "channels_last", False),
    "bf16_channels_last_compile": ResolvedSpeed("bf16", "channels_last", True),
}
# One fp32 step's losses on CUDA (TF32 off) vs CPU, same seed, weights and inputs: relative
# tolerance per loss term. Reductions run in another order on each device, so terms agree to
# ~1e-5 relative; 1e-3 leaves room for the D update feeding the generator terms.
LOSS_RTOL = 1e-3
LOSS_ATOL = 1e-5


@dataclass(frozen=True)
class Sizes:
    """Shapes of every step-level section."""

    base_channels: int  # 64 = paper width
    translation_size: int  # throughput: 256 x 256, batch 1
    translation_batch: int
    da_batch: int  # DA throughput: 32 x 32, batch 64
    compare_size: int  # CUDA vs CPU losses (a CPU step at 256 px paper width takes long)
    amp_steps: int  # bf16 steps that must stay finite
    amp_size: int
    timed_steps: int
    timed_seconds: float
    tiny: bool = False  # MUNIT then needs fewer scales/downsamplings than at 64 px and up

    def overrides(self, family: str) -> dict[str, Any] | None:
        return TINY_MUNIT if self.tiny and family == "munit" else None


TINY_MUNIT = {"dis_scales": 1, "style_downsample": 2, "n_res_blocks": 2, "mlp_dim": 8}
GPU_SIZES = Sizes(64, 256, 1, 64, 64, 200, 64, 30, 10.0)
SMOKE_SIZES = Sizes(4, 16, 1, 4, 16, 3, 16, 2, 2.0, tiny=True)


@contextlib.contextmanager
def strict_fp32() -> Iterator[None]:
    """TF32 off for convs and matmuls (cuDNN allows it for convs by default)."""
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def compare_devices(device: torch.device, sizes: Sizes) -> dict[str, Any]:
    """One UNIT, MUNIT and DA step on `device` and on CPU: each loss term within tolerance."""
    out: dict[str, Any] = {"rtol": LOSS_RTOL, "atol": LOSS_ATOL, "families": {}}
    ok = True
    with strict_fp32():
        for family in ("unit", "munit", "da"):
            losses = {}
            for where in ("cpu", device):
                bench = build_bench_step(
                    family, sizes.compare_size, 2, sizes.base_channels, where,
                    deterministic=True, overrides=sizes.overrides(family),
                )  # fmt: skip
                losses[str(where)] = bench.step()
            cpu, dev = losses["cpu"], losses[str(device)]
            worst = max(abs(dev[k] - cpu[k]) / (abs(cpu[k]) + LOSS_ATOL) for k in cpu)
            close = all(math.isclose(dev[k], cpu[k], rel_tol=LOSS_RTOL, abs_tol=LOSS_ATOL) for k in cpu)
            out["families"][family] = {"ok": close, "worst_relative_difference": worst,
                                       "cpu": cpu, str(device): dev}  # fmt: skip
            ok = ok and close
    return {"ok": ok, **out}


def bf16_stability(device: torch.device, sizes: Sizes) -> dict[str, Any]:
    """`amp_steps` bf16 autocast steps of UNIT and DA: every loss term finite at every step."""
    speed = VARIANTS["bf16"]
    out: dict[str, Any] = {"steps": sizes.amp_steps}
    ok = True
    for family, size, batch in (("unit", sizes.amp_size, 1), ("da", 32, sizes.da_batch)):
        bench = build_bench_step(family, size, batch, sizes.base_channels, device, speed)
        first = last = None
        bad_step = None
        for i in range(sizes.amp_steps):
            losses = bench.step()
            first = first or losses
            last = losses
            if not all(math.isfinite(v) for v in losses.values()):
                bad_step = i + 1
                break
        out[family] = {"finite": bad_step is None, "first_bad_step": bad_step,
                       "first": first, "last": last}  # fmt: skip
        ok = ok and bad_step is None
    return {"ok": ok, **out}


def throughput(device: torch.device, sizes: Sizes) -> dict[str, Any]:
    """steps/s and peak memory per variant, translation (UNIT) and DA; the fastest of each."""
    workloads = {
        "translation_unit": ("unit", sizes.translation_size, sizes.translation_batch),
        "adaptation_da": ("da", 32, sizes.da_batch),
    }
    out: dict[str, Any] = {}
    ok = True
    for name, (family, size, batch) in workloads.items():
        rows = {}
        for variant, speed in VARIANTS.items():
            if speed.compile and device.type == "cpu":
                rows[variant] = {"skipped": "torch.compile is only measured on CUDA"}
                continue
            try:  # one failing variant (e.g. compile) must not hide the others' figures
                rows[variant] = _timed(family, size, batch, sizes, device, speed)
            except Exception as err:
                rows[variant] = {"error": f"{type(err).__name__}: {str(err)[:500]}"}
                ok = False
        timed = {k: v for k, v in rows.items() if "steps_per_s" in v}
        best = max(timed, key=lambda k: timed[k]["steps_per_s"]) if timed else None
        out[name] = {"family": family, "image_size": size, "batch": batch, "variants": rows,
                     "fastest": best}  # fmt: skip
    return {"ok": ok, **out}


def _timed(
    family: str, size: int, batch: int, sizes: Sizes, device: torch.device, speed: ResolvedSpeed
) -> dict[str, Any]:
    bench = build_bench_step(family, size, batch, sizes.base_channels, device, speed)
    start = time.perf_counter()
    for _ in range(3 if speed.compile else 2):  # compile happens in these warm-up steps
        bench.step()
    _sync(device)
    warmup_s = time.perf_counter() - start
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    done, start = 0, time.perf_counter()
    while done < sizes.timed_steps and time.perf_counter() - start < sizes.timed_seconds:
        bench.step()
        done += 1
    _sync(device)
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    del bench
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return {"steps_per_s": done / elapsed, "timed_steps": done, "warmup_s": warmup_s,
            "peak_memory_mb": peak}  # fmt: skip


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
