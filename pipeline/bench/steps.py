"""Seeded training steps of each model family on random inputs, for benchmarks and device checks.

    bench = build_bench_step("unit", image_size=64, batch=1, base_channels=64, device="cpu")
    losses = bench.step()          # one full train_step (D update, then E/G update)

Same family, sizes and seed -> same initial weights and inputs on every device, so a CUDA step
can be compared with a CPU step (`pipeline.bench.gpu_check`). `base_channels` is the paper's
width at 64 (UNIT, MUNIT, DA); the DA model is always 32x32 with a 512-channel latent at that
width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from unit_core.da.config import DA_IMAGE_SIZE, DaConfig
from unit_core.da.trainer import DaTrainer
from unit_core.munit.config import MunitConfig
from unit_core.munit.trainer import MunitTrainer
from unit_core.speed_options import ResolvedSpeed, apply_speed, autocast_for
from unit_core.unit.config import UnitConfig
from unit_core.unit.trainer import UnitTrainer

FAMILIES = ("unit", "munit", "da")
FP32 = ResolvedSpeed(precision="fp32", memory_format="contiguous", compile=False)


@dataclass
class BenchStep:
    """A trainer, its fixed inputs and `step()`: one train_step under the chosen speed options."""

    family: str
    trainer: Any
    inputs: tuple[torch.Tensor, ...]
    speed: ResolvedSpeed
    images_per_step: int  # both domains

    def step(self) -> dict[str, float]:
        with autocast_for(self.speed, self.trainer.device):
            return self.trainer.train_step(*self.inputs)


def model_config(
    family: str,
    image_size: int,
    base_channels: int,
    seed: int = 0,
    deterministic: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Any:
    """The family's paper config (width `base_channels`; the trainers' default losses).

    deterministic: DA without dropout (the other families draw no noise from torch's RNG).
    overrides: more `model` keys, e.g. {"n_shared": 2}.
    """
    if family == "unit":
        model = {"image_size": image_size, "base_channels": base_channels,
                 "dis_base_channels": base_channels}  # fmt: skip
        return UnitConfig.from_dict({"model": model | (overrides or {}), "seed": seed})
    if family == "munit":
        model = {"image_size": image_size, "base_channels": base_channels,
                 "dis_base_channels": base_channels}  # fmt: skip
        return MunitConfig.from_dict({"model": model | (overrides or {}), "seed": seed})
    if family == "da":
        model = {"base_channels": base_channels, "dis_base_channels": base_channels,
                 "latent_channels": 8 * base_channels}  # fmt: skip
        if deterministic:
            model["dropout"] = [0.0, 0.0, 0.0, 0.0]
        return DaConfig.from_dict({"model": model | (overrides or {}), "seed": seed})
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def build_bench_step(
    family: str,
    image_size: int,
    batch: int,
    base_channels: int = 64,
    device: torch.device | str = "cpu",
    speed: ResolvedSpeed = FP32,
    seed: int = 0,
    deterministic: bool = False,
    overrides: dict[str, Any] | None = None,
) -> BenchStep:
    """A seeded trainer of `family` and seeded inputs (B, C, S, S) in [-1, 1] (DA: S = 32).

    deterministic: no random draws in the step (z = mu, MUNIT's prior-mean styles, no dropout),
    so a CUDA step and a CPU step of the same seed compute the same function: their RNGs
    differ, their arithmetic should not (beyond rounding).
    """
    if family == "da":
        image_size = DA_IMAGE_SIZE
    cfg = model_config(family, image_size, base_channels, seed, deterministic, overrides)
    trainer_type: Callable[..., Any] = {"unit": UnitTrainer, "munit": MunitTrainer,
                                        "da": DaTrainer}[family]  # fmt: skip
    trainer = trainer_type(cfg, device)
    if deterministic:
        trainer.noise = None  # every family's translator reads None as "no sampling"
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    g = torch.Generator().manual_seed(seed + 17)
    m = cfg.model
    shape_a = (batch, m.channels_a, image_size, image_size)
    shape_b = (batch, m.channels_b, image_size, image_size)
    fmt = speed.torch_memory_format
    x_a = (torch.rand(shape_a, generator=g) * 2 - 1).to(device).contiguous(memory_format=fmt)
    x_b = (torch.rand(shape_b, generator=g) * 2 - 1).to(device).contiguous(memory_format=fmt)
    inputs: tuple[torch.Tensor, ...] = (x_a, x_b)
    if family == "da":
        labels = torch.randint(0, m.num_classes, (batch,), generator=g).to(device)
        inputs = (x_a, x_b, labels)
    return BenchStep(family, trainer, inputs, speed, images_per_step=2 * batch)

