"""One UNIT training step; the shared GAN machinery is `unit_core.gan_trainer`.

The step (see `TwoDomainGanTrainer`): one translator forward, D1/D2 step on the detached
translations, then E1, E2, G1, G2 step on the adversarial, KL, L1 reconstruction and cycle
terms against the frozen, freshly stepped discriminators.
"""

from __future__ import annotations

from torch import Tensor

from unit_core.gan_trainer import TwoDomainGanTrainer
from unit_core.losses import vae_and_cycle_terms
from unit_core.unit.config import UnitConfig
from unit_core.unit.translator import UnitTranslator


class UnitTrainer(TwoDomainGanTrainer):
    """Owns the six networks (as two modules), both optimisers, the step count and the noise RNG."""

    cfg: UnitConfig
    translator: UnitTranslator

    def build_translator(self) -> UnitTranslator:
        return UnitTranslator(self.cfg.model)

    def train_step(self, x_a: Tensor, x_b: Tensor) -> dict[str, float]:
        """One alternating update on batches (B, C, S, S) in [-1, 1]; returns weighted loss terms."""
        model, w = self.cfg.model, self.cfg.loss
        x_a, x_b = self.checked_batches(x_a, x_b)
        noise = self.noise if model.latent_noise else None  # None: z = mu (no VAE sampling)
        out = self._translator_call(
            x_a, x_b, noise=noise, with_recon=w.recon > 0, with_cycle=w.uses_cycle
        )
        losses = self.adversarial_terms(x_a, x_b, out.a2b, out.b2a)
        losses.update(vae_and_cycle_terms(out, x_a, x_b, w))
        return self.generator_update(losses)
