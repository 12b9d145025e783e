"""What the two-domain GAN trainers (`UnitTrainer`, `MunitTrainer`, `DaTrainer`) share.

Both run the paper's alternating update with one saving over the reference code: the
translator's forward runs **once** per step. D1, D2 update first on its detached translations
(E, G unchanged, so these are exactly the images the reference code recomputes), then the
generator side updates against the freshly stepped discriminators, which are frozen
(`requires_grad` off) so the generator backward computes no discriminator weight gradients.

For DDP, `wrap` swaps in wrapped modules for the two calls that need gradient sync: the
translator forward and the discriminator forward of the D step. The generator's adversarial
term calls the raw discriminators, so DDP sees exactly one forward + backward per wrapper.
A subclass builds its translator (`build_translator`), may build other discriminators
(`build_discriminators`, the DA trainer's classifying pair) and writes `train_step` from
`checked_batches`, `adversarial_terms` and `generator_update`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from unit_core.discriminator import DiscriminatorPair
from unit_core.gan_state import gan_trainer_state, restore_gan_trainer_state
from unit_core.inputs import check_batch
from unit_core.losses import discriminator_loss, generator_adversarial_loss
from unit_core.optimizer import adam
from unit_core.weight_average import WeightAverage


class DivergedError(FloatingPointError):
    """A loss term became NaN or infinite: training stops before the step applies it."""


def check_finite(terms: dict[str, float], step: int) -> None:
    """Raise `DivergedError` naming the step and the first non-finite term."""
    for name, value in terms.items():
        if not math.isfinite(value):
            raise DivergedError(
                f"training diverged at step {step}: loss term '{name}' is {value} "
                "(lower optimizer.lr or optimizer.dis_lr)"
            )


class TwoDomainGanTrainer:
    """Owns translator and D1/D2 (two modules), both optimisers, the step count and the noise RNG.

    `cfg` has `model` (channels_a/b, image_size, gan_loss and the discriminator keys),
    `loss.gan`, `optimizer` (`OptimizerConfig`) and `seed`.
    """

    # config keys a checkpoint must agree on to be loaded into this trainer
    state_must_match: tuple[str, ...] = ("model",)

    def __init__(self, cfg: Any, device: torch.device | str = "cpu") -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        torch.manual_seed(cfg.seed)  # same seed -> same initial weights
        self.translator = self.build_translator().to(self.device)
        self.discriminators = self.build_discriminators().to(self.device)
        # nn.Module.parameters() yields each tensor once, so shared blocks are stepped once.
        self.gen_optimizer = adam(list(self.translator.parameters()), cfg.optimizer)
        self.dis_optimizer = adam(
            list(self.discriminators.parameters()), cfg.optimizer, cfg.optimizer.discriminator_lr
        )
        self.noise = torch.Generator(device=self.device)
        self.noise.manual_seed(cfg.seed + 1)
        self.step = 0
        # EMA copies for evaluation and export (cfg.optimizer.ema_decay; None when off)
        decay = cfg.optimizer.ema_decay
        self.averages = (
            (WeightAverage(self.translator, decay), WeightAverage(self.discriminators, decay))
            if decay > 0
            else None
        )
        self._translator_call: Callable[..., Any] = self.translator
        self._discriminators_call: Callable[..., Any] = self.discriminators

    def build_translator(self) -> nn.Module:
        """The generator side of `self.cfg.model`, as one module."""
        raise NotImplementedError

    def build_discriminators(self) -> nn.Module:
        """D1 and D2 as one module: patch discriminators unless a subclass needs others."""
        return DiscriminatorPair(self.cfg.model)

    @property
    def updates_discriminators(self) -> bool:
        """Whether a step updates D (its forward is then gradient-synced under DDP)."""
        return self.cfg.loss.gan > 0

    def train_step(self, x_a: Tensor, x_b: Tensor) -> dict[str, float]:
        raise NotImplementedError

    @property
    def eval_translator(self) -> nn.Module:
        """The translator that evaluation and export use: the EMA copy when enabled."""
        return self.averages[0].module if self.averages is not None else self.translator

    @property
    def eval_discriminators(self) -> nn.Module:
        """The discriminators evaluation uses (the DA classifier lives there): EMA when enabled."""
        return self.averages[1].module if self.averages is not None else self.discriminators

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """Every optimiser a step uses (speed options switch their kernels)."""
        return [self.gen_optimizer, self.dis_optimizer]

    def wrap(self, wrapper: Callable[[nn.Module], nn.Module]) -> None:
        """Route the gradient-synced calls through `wrapper(module)` (e.g. DDP)."""
        self._translator_call = wrapper(self.translator)
        if self.updates_discriminators:
            self._discriminators_call = wrapper(self.discriminators)

    def checked_batches(self, x_a: Tensor, x_b: Tensor) -> tuple[Tensor, Tensor]:
        """ValueError unless both are matching (B, C, S, S) float batches; on device, train mode."""
        model = self.cfg.model
        check_batch(x_a, model.channels_a, model.image_size, "batch_a")
        check_batch(x_b, model.channels_b, model.image_size, "batch_b")
        if len(x_a) != len(x_b):
            raise ValueError(
                f"batch_a and batch_b must have the same size, got {len(x_a)} and {len(x_b)}"
            )
        self.translator.train()
        self.discriminators.train()
        return x_a.to(self.device), x_b.to(self.device)

    def adversarial_terms(
        self, x_a: Tensor, x_b: Tensor, a2b: Tensor, b2a: Tensor
    ) -> dict[str, Tensor]:
        """Steps D on the detached translations; returns `dis_adv` and the generator's `gen_adv`.

        Empty when the gan weight is 0 (D then never changes).
        """
        w, kind = self.cfg.loss.gan, self.cfg.model.gan_loss
        if w <= 0:
            return {}
        dis_adv = self._discriminator_update(x_a, x_b, a2b.detach(), b2a.detach())
        fake_a, fake_b = self._frozen_discriminators(b2a, a2b)
        gen_adv = w * (
            generator_adversarial_loss(fake_a, kind) + generator_adversarial_loss(fake_b, kind)
        )
        return {"dis_adv": dis_adv, "gen_adv": gen_adv}

    def generator_update(self, losses: dict[str, Tensor]) -> dict[str, float]:
        """One generator-side Adam step on the sum of all terms but `dis_adv`; returns floats."""
        gen_terms = [v for k, v in losses.items() if k != "dis_adv"]
        if not gen_terms:
            raise ValueError("all generator loss weights are 0: nothing to train")
        gen_total = torch.stack(gen_terms).sum()
        result = {k: float(v.detach()) for k, v in losses.items()}
        check_finite(result, self.step + 1)
        self.gen_optimizer.zero_grad(set_to_none=True)
        gen_total.backward()
        self.gen_optimizer.step()
        self.step += 1
        if self.averages is not None:
            self.averages[0].update(self.translator)
            self.averages[1].update(self.discriminators)
        result["gen_total"] = float(gen_total.detach())
        return result

    def _discriminator_update(
        self, x_a: Tensor, x_b: Tensor, fake_b: Tensor, fake_a: Tensor
    ) -> Tensor:
        """Step D1, D2 on real vs. translated images, real and fake in one batched forward."""
        kind = self.cfg.model.gan_loss
        logits_a, logits_b = self._discriminators_call(
            torch.cat([x_a, fake_a]), torch.cat([x_b, fake_b])
        )
        n = len(x_a)
        loss = self.cfg.loss.gan * (
            discriminator_loss([t[:n] for t in logits_a], [t[n:] for t in logits_a], kind)
            + discriminator_loss([t[:n] for t in logits_b], [t[n:] for t in logits_b], kind)
        )
        check_finite({"dis_adv": float(loss.detach())}, self.step + 1)
        self.dis_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.dis_optimizer.step()
        return loss.detach()

    def _frozen_discriminators(self, fake_a: Tensor, fake_b: Tensor) -> Any:
        """D1(fake_a), D2(fake_b) with gradients to the images only (dropout still active)."""
        self.discriminators.requires_grad_(False)
        try:
            return self.discriminators(fake_a, fake_b)
        finally:
            self.discriminators.requires_grad_(True)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-for-bit; loadable with torch.load(weights_only=True)."""
        return gan_trainer_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict()`; the `state_must_match` config keys must match this trainer's."""
        restore_gan_trainer_state(self, state, must_match=self.state_must_match)
