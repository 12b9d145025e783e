"""Speed options of a training step, per device: precision, memory format, torch.compile.

Each option is `auto` or an explicit value. `auto` resolves per device in `resolve_speed`:
on CPU fp32 / contiguous / no compile (bf16 autocast and compile are slower or unsupported
on most CPUs); on CUDA **also** fp32 / contiguous / no compile — what training did before these
options existed — because no GPU has measured the alternatives yet (`scripts/gpu_check.sh`
measures them; change `CUDA_AUTO` only with its figures in docs/gpu.md).

    speed = resolve_speed(SpeedSettings(precision="bf16"), torch.device("cuda"))
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    with autocast_for(speed, device): trainer.train_step(x_a, x_b)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from unit_core.typed_config import TypedConfig

# What `auto` means per device type. CUDA: unmeasured, so the pre-existing behaviour.
CPU_AUTO = {"precision": "fp32", "memory_format": "contiguous", "compile": "false"}
CUDA_AUTO = {"precision": "fp32", "memory_format": "contiguous", "compile": "false"}


@dataclass(frozen=True)
class SpeedSettings(TypedConfig):
    """The typed `speed:` block of a run section; each key `auto` or an explicit choice."""

    default_prefix: ClassVar[str] = "speed."

    precision: Literal["auto", "fp32", "bf16"] = "auto"  # bf16: autocast, weights stay fp32
    memory_format: Literal["auto", "contiguous", "channels_last"] = "auto"
    compile: Literal["auto", "true", "false"] = "auto"  # torch.compile of the trained modules


@dataclass(frozen=True)
class ResolvedSpeed:
    """Concrete choices for one device."""

    precision: Literal["fp32", "bf16"]
    memory_format: Literal["contiguous", "channels_last"]
    compile: bool

    @property
    def torch_memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.memory_format == "channels_last" else torch.contiguous_format


def resolve_speed(settings: SpeedSettings, device: torch.device | str) -> ResolvedSpeed:
    """Replace each `auto` by the device type's default (CPU_AUTO, CUDA_AUTO)."""
    auto = CUDA_AUTO if torch.device(device).type == "cuda" else CPU_AUTO

    def pick(key: str) -> str:
        value = getattr(settings, key)
        return auto[key] if value == "auto" else value

    return ResolvedSpeed(
        precision=pick("precision"),  # type: ignore[arg-type]
        memory_format=pick("memory_format"),  # type: ignore[arg-type]
        compile=pick("compile") == "true",
    )


def autocast_for(speed: ResolvedSpeed, device: torch.device | str) -> contextlib.AbstractContextManager:
    """bf16 autocast for `bf16`, else a no-op context."""
    if speed.precision == "bf16":
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def apply_speed(
    target: Any,
    modules: list[nn.Module],
    speed: ResolvedSpeed,
    wrapper: Callable[[nn.Module], nn.Module] | None = None,
) -> None:
    """Put `modules` in `speed`'s memory format and route `target.wrap`'s calls through compile.

    `target` is a trainer or task with `wrap(wrapper)`; `modules` are the networks it trains.
    `wrapper` (e.g. DDP) is applied first and compiled around, as PyTorch recommends for DDP;
    without compile it is passed to `target.wrap` unchanged. Weights, optimisers and the
    checkpoint format are unchanged: channels_last re-strides the same parameters in place.
    """
    if speed.memory_format == "channels_last":
        for module in modules:
            module.to(memory_format=torch.channels_last)
    if speed.compile:
        inner = wrapper or (lambda module: module)
        target.wrap(lambda module: torch.compile(inner(module)))
    elif wrapper is not None:
        target.wrap(wrapper)
