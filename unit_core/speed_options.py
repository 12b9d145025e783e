"""Speed options of a training step, per device: precision, memory format, torch.compile.

Each option is `auto` or an explicit value. `auto` resolves per device in `resolve_speed`:
- CPU: bf16 autocast where the CPU has native bf16 dot products (AMX, or AVX512-BF16), else
  fp32; contiguous; no compile; with bf16 also Adam's fused kernel. Measured at paper width, 64 px, batch 1, one thread
  (`python -m pipeline.bench --compare`): bf16 1.35x fp32 on a Xeon with AMX, 1.37x on an AMD
  EPYC with AVX512-BF16; channels_last was slower than contiguous under bf16 on both (1.33 vs
  1.43 steps/s on the Xeon, 476 vs 437 ms on the EPYC); without native bf16, bf16 is emulated
  and slower. Fused Adam cut the bf16 step a further ~9% on the EPYC (375-405 against 415-433
  ms, alternating rounds) and nothing measurable in fp32 (638 against 626). The choice follows the CPU's features, not a timing, so one machine always
  resolves `auto` the same way and a rerun reproduces its bytes.
- CUDA: fp32 / contiguous / no compile — what training did before these options existed —
  because no GPU has measured the alternatives yet (`scripts/gpu_check.sh` measures them;
  change `CUDA_AUTO` only with its figures in docs/gpu.md).

An explicit `bf16` on a device that cannot run it is a config error naming the key.

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

from unit_core.typed_config import ConfigError, TypedConfig

# What `auto` means per device type (CPU: precision by `cpu_has_native_bf16`). CUDA:
# unmeasured, so the pre-existing behaviour.
CPU_AUTO = {"precision": "fp32", "memory_format": "contiguous", "compile": "false",
            "fused_adam": "false"}
CPU_AUTO_NATIVE_BF16 = {"precision": "bf16", "memory_format": "contiguous", "compile": "false",
                        "fused_adam": "true"}
CUDA_AUTO = {"precision": "fp32", "memory_format": "contiguous", "compile": "false",
             "fused_adam": "false"}


@dataclass(frozen=True)
class SpeedSettings(TypedConfig):
    """The typed `speed:` block of a run section; each key `auto` or an explicit choice."""

    default_prefix: ClassVar[str] = "speed."

    precision: Literal["auto", "fp32", "bf16"] = "auto"  # bf16: autocast, weights stay fp32
    memory_format: Literal["auto", "contiguous", "channels_last"] = "auto"
    compile: Literal["auto", "true", "false"] = "auto"  # torch.compile of the trained modules
    # Adam's fused kernel: one pass per parameter instead of ~10 ops (the same update; floats
    # may differ in the last bits from the per-op kernel)
    fused_adam: Literal["auto", "true", "false"] = "auto"


@dataclass(frozen=True)
class ResolvedSpeed:
    """Concrete choices for one device."""

    precision: Literal["fp32", "bf16"]
    memory_format: Literal["contiguous", "channels_last"]
    compile: bool
    fused_adam: bool = False

    @property
    def torch_memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.memory_format == "channels_last" else torch.contiguous_format


def cpu_has_native_bf16() -> bool:
    """AMX tiles or AVX512-BF16: the CPU multiplies bf16 in hardware (oneDNN's fast path)."""
    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def auto_for(device: torch.device | str) -> dict[str, str]:
    """What `auto` means on this device (CUDA_AUTO, CPU_AUTO_NATIVE_BF16 or CPU_AUTO)."""
    if torch.device(device).type == "cuda":
        return CUDA_AUTO
    return CPU_AUTO_NATIVE_BF16 if cpu_has_native_bf16() else CPU_AUTO


def resolve_speed(
    settings: SpeedSettings, device: torch.device | str, prefix: str = "speed."
) -> ResolvedSpeed:
    """Replace each `auto` by this device's default (`auto_for`); an explicit bf16 that the
    device cannot run is a ConfigError naming `<prefix>precision` (e.g. `train.speed.`)."""
    auto = auto_for(device)

    def pick(key: str) -> str:
        value = getattr(settings, key)
        return auto[key] if value == "auto" else value

    resolved = ResolvedSpeed(
        precision=pick("precision"),  # type: ignore[arg-type]
        memory_format=pick("memory_format"),  # type: ignore[arg-type]
        compile=pick("compile") == "true",
        fused_adam=pick("fused_adam") == "true",
    )
    if resolved.precision == "bf16" and not bf16_runs_on(device):
        raise ConfigError(
            f"{prefix}precision",
            f"bf16, but this {torch.device(device).type} device cannot run bf16; set fp32 or auto",
        )
    return resolved


def bf16_runs_on(device: torch.device | str) -> bool:
    """CUDA: the GPU supports bf16 (Ampere and later). CPU: a bf16 autocast conv runs (torch
    emulates bf16 where the CPU lacks it, so this fails only on an unusual build)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            torch.nn.functional.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3))
    except RuntimeError:
        return False
    return True


def autocast_for(speed: ResolvedSpeed, device: torch.device | str) -> contextlib.AbstractContextManager:
    """bf16 autocast for `bf16`, else a no-op context."""
    if speed.precision == "bf16":
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def use_fused_adam(optimizer: torch.optim.Optimizer) -> None:
    """Switch an Adam to its fused kernel before its first step (Adam reads `fused` from each
    param group at every step; state made later is laid out as fused expects)."""
    if not isinstance(optimizer, torch.optim.Adam):
        raise TypeError(f"fused_adam needs Adam, got {type(optimizer).__name__}")
    for group in [optimizer.defaults, *optimizer.param_groups]:
        group["fused"], group["foreach"] = True, None
    optimizer._step_supports_amp_scaling = True  # as Adam(fused=True) sets it


def apply_speed(
    target: Any,
    modules: list[nn.Module],
    speed: ResolvedSpeed,
    wrapper: Callable[[nn.Module], nn.Module] | None = None,
) -> None:
    """Put `modules` in `speed`'s memory format and route `target.wrap`'s calls through compile.

    `target` is a trainer or task with `wrap(wrapper)` and `optimizers()`; `modules` are the
    networks it trains.
    `wrapper` (e.g. DDP) is applied first and compiled around, as PyTorch recommends for DDP;
    without compile it is passed to `target.wrap` unchanged. Weights, optimisers and the
    checkpoint format are unchanged: channels_last re-strides the same parameters in place.
    """
    if speed.fused_adam:
        for optimizer in target.optimizers():
            use_fused_adam(optimizer)
    if speed.memory_format == "channels_last":
        for module in modules:
            module.to(memory_format=torch.channels_last)
    if speed.compile:
        inner = wrapper or (lambda module: module)
        target.wrap(lambda module: torch.compile(inner(module)))
    elif wrapper is not None:
        target.wrap(wrapper)
