"""unit_core.speed_options: `auto` per device, explicit values win, switches really apply."""

from __future__ import annotations

import pytest
import torch

from tests.unit_core.tiny import tiny_batch, tiny_config
from unit_core import speed_options
from unit_core.speed_options import (
    ResolvedSpeed,
    SpeedSettings,
    apply_speed,
    autocast_for,
    resolve_speed,
)
from unit_core.typed_config import ConfigError
from unit_core.unit.trainer import UnitTrainer


def test_auto_on_cpu_is_bf16_only_where_the_cpu_has_native_bf16(monkeypatch) -> None:
    for native, precision in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(speed_options, "cpu_has_native_bf16", lambda native=native: native)
        resolved = resolve_speed(SpeedSettings(), "cpu")
        assert resolved == ResolvedSpeed(precision, "contiguous", False, fused_adam=native)
    # CUDA: unmeasured on a GPU so far, so auto keeps the behaviour training always had.
    assert resolve_speed(SpeedSettings(), "cuda") == ResolvedSpeed("fp32", "contiguous", False)


def test_this_cpus_features_decide_auto() -> None:
    native = bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    assert speed_options.cpu_has_native_bf16() is native
    assert resolve_speed(SpeedSettings(), "cpu").precision == ("bf16" if native else "fp32")


def test_explicit_bf16_the_device_cannot_run_names_the_key() -> None:
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        pytest.skip("this machine's GPU runs bf16")
    settings = SpeedSettings(precision="bf16")
    with pytest.raises(ConfigError, match=r"train_digits\.speed\.precision.*cannot run bf16"):
        resolve_speed(settings, "cuda", prefix="train_digits.speed.")
    assert resolve_speed(settings, "cpu").precision == "bf16"  # CPUs run it (emulated at worst)


def test_explicit_values_override_auto() -> None:
    settings = SpeedSettings.from_dict(
        {"precision": "bf16", "memory_format": "channels_last", "compile": "true",
         "fused_adam": "false"}
    )
    assert resolve_speed(settings, "cpu") == ResolvedSpeed("bf16", "channels_last", True, False)


def test_unknown_values_and_keys_are_errors() -> None:
    with pytest.raises(ConfigError, match="precision"):
        SpeedSettings.from_dict({"precision": "fp16"})
    with pytest.raises(ConfigError, match="amp"):
        SpeedSettings.from_dict({"amp": True})


def test_channels_last_and_bf16_apply_to_a_tiny_step() -> None:
    speed = ResolvedSpeed("bf16", "channels_last", False)
    trainer = UnitTrainer(tiny_config())
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    conv = next(m for m in trainer.translator.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    x_a, x_b = (x.contiguous(memory_format=torch.channels_last) for x in tiny_batch(trainer.cfg, 1))
    with autocast_for(speed, trainer.device):
        losses = trainer.train_step(x_a, x_b)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_fused_adam_switches_every_optimiser_and_makes_the_same_update() -> None:
    cfg = tiny_config()
    plain, fused = UnitTrainer(cfg), UnitTrainer(cfg)
    apply_speed(fused, [fused.translator, fused.discriminators],
                ResolvedSpeed("fp32", "contiguous", False, fused_adam=True))  # fmt: skip
    assert all(g["fused"] for opt in fused.optimizers() for g in opt.param_groups)
    assert not any(g["fused"] for opt in plain.optimizers() for g in opt.param_groups)
    x_a, x_b = tiny_batch(cfg)
    torch.manual_seed(0)
    plain.train_step(x_a, x_b)
    torch.manual_seed(0)
    fused.train_step(x_a, x_b)
    for p, q in zip(plain.translator.parameters(), fused.translator.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
