"""Tiny training steps of every family on each device: the tests `pytest -m cuda` runs on a GPU.

Every test here is marked `cuda_variant`; its `cuda` parameter is also marked `cuda` and skipped
without a CUDA device (`pipeline.bench.gpu_check` runs `-m cuda` on a GPU, the CPU variants in
its smoke).
"""

from __future__ import annotations

import math

import pytest
import torch

from pipeline.bench.steps import FAMILIES, build_bench_step
from unit_core.speed_options import ResolvedSpeed

pytestmark = pytest.mark.cuda_variant
TINY = {"munit": {"dis_scales": 1, "style_downsample": 2, "n_res_blocks": 2, "mlp_dim": 8}}
DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")],
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("family", FAMILIES)
def test_a_step_trains_on_the_device(device: str, family: str) -> None:
    bench = build_bench_step(
        family, image_size=16, batch=2, base_channels=4, device=device, overrides=TINY.get(family)
    )
    before = [p.detach().clone() for p in bench.trainer.translator.parameters()]
    losses = bench.step()
    assert losses and all(math.isfinite(v) for v in losses.values())
    after = list(bench.trainer.translator.parameters())
    assert all(p.device.type == device for p in after)
    assert any(not torch.equal(b, a.detach()) for b, a in zip(before, after, strict=True))
    assert bench.trainer.step == 1


@pytest.mark.parametrize("device", DEVICES)
def test_a_device_state_loads_on_cpu_and_continues(device: str) -> None:
    bench = build_bench_step("unit", image_size=16, batch=1, base_channels=4, device=device)
    bench.step()
    state = bench.trainer.state_dict()
    on_cpu = build_bench_step("unit", image_size=16, batch=1, base_channels=4, device="cpu")
    on_cpu.trainer.load_state_dict(state)
    assert on_cpu.trainer.step == 1
    assert all(math.isfinite(v) for v in on_cpu.step().values())


@pytest.mark.parametrize("device", DEVICES)
def test_bf16_channels_last_step_is_finite(device: str) -> None:
    speed = ResolvedSpeed("bf16", "channels_last", False)
    bench = build_bench_step("da", image_size=32, batch=2, base_channels=4, device=device, speed=speed)
    assert all(math.isfinite(v) for v in bench.step().values())
