"""Checkpoint state shared by the GAN trainers (`UnitTrainer`, `DaTrainer`).

Both own a translator and a discriminator module, an Adam per side, a latent-noise generator
and a step count; their state is the same plain dict of tensors and numbers, loadable with
`torch.load(weights_only=True)` and enough to continue bit-for-bit (torch's global RNG is
included for dropout).
"""

from __future__ import annotations

from typing import Any

import torch

STATE_FORMAT = 1


def gan_trainer_state(trainer: Any) -> dict[str, Any]:
    """The state dict of a trainer with translator/discriminators/optimisers/noise/step/cfg."""
    return {
        "format": STATE_FORMAT,
        "config": trainer.cfg.to_dict(),
        "step": trainer.step,
        "translator": trainer.translator.state_dict(),
        "discriminators": trainer.discriminators.state_dict(),
        "gen_optimizer": trainer.gen_optimizer.state_dict(),
        "dis_optimizer": trainer.dis_optimizer.state_dict(),
        "noise_rng": trainer.noise.get_state(),
        "torch_rng": torch.get_rng_state(),
    } | _average_state(trainer)


def _average_state(trainer: Any) -> dict[str, Any]:
    """The EMA weights, when the trainer keeps them (absent keys: EMA off)."""
    if getattr(trainer, "averages", None) is None:
        return {}
    translator, discriminators = trainer.averages
    return {
        "ema_translator": translator.state_dict(),
        "ema_discriminators": discriminators.state_dict(),
    }


def restore_gan_trainer_state(
    trainer: Any, state: dict[str, Any], must_match: tuple[str, ...]
) -> None:
    """Load `gan_trainer_state` output; ValueError when a `must_match` config key differs."""
    if state.get("format") != STATE_FORMAT:
        raise ValueError(
            f"{type(trainer).__name__} state format {state.get('format')!r}, expected {STATE_FORMAT}"
        )
    mine = trainer.cfg.to_dict()
    theirs_family = state["config"].get("model", {}).get("family", "unit")
    mine_family = mine.get("model", {}).get("family", "unit")
    if theirs_family != mine_family:
        raise ValueError(
            f"checkpoint is a {theirs_family} model, this trainer trains {mine_family}: "
            "a checkpoint cannot change the model family"
        )
    for key in must_match:
        if _plain(state["config"][key]) != _plain(mine[key]):
            raise ValueError(
                f"checkpoint {key} config {state['config'][key]} does not match {mine[key]}"
            )
    trainer.translator.load_state_dict(state["translator"])
    trainer.discriminators.load_state_dict(state["discriminators"])
    trainer.gen_optimizer.load_state_dict(state["gen_optimizer"])
    trainer.dis_optimizer.load_state_dict(state["dis_optimizer"])
    trainer.noise.set_state(state["noise_rng"])
    torch.set_rng_state(state["torch_rng"])
    trainer.step = int(state["step"])
    if getattr(trainer, "averages", None) is not None:
        if "ema_translator" not in state:
            raise ValueError("checkpoint has no EMA weights but this trainer's ema_decay is on")
        trainer.averages[0].load_state_dict(state["ema_translator"])
        trainer.averages[1].load_state_dict(state["ema_discriminators"])


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal (a config may have passed through YAML or JSON)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
