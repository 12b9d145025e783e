"""What every task that wraps one GAN trainer (`UnitTrainer`, `DaTrainer`) answers the same way."""

from __future__ import annotations

from typing import Any


class TrainerTask:
    """Delegates step count, learning rate and latent-noise seeding to `self.trainer`."""

    trainer: Any

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def learning_rate(self) -> float:
        return self.trainer.gen_optimizer.param_groups[0]["lr"]

    def reseed_noise(self, seed: int) -> None:
        self.trainer.noise.manual_seed(seed)
