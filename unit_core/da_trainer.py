"""One domain-adaptation training step (UNIT + tied classifying discriminators) and its state.

The step, per the 2017 DA code, with `UnitTrainer`'s saving: the translator runs **once**.

1. D step (E, G fixed; translations detached): adversarial real vs. fake on both domains, fakes
   being the translations and (``gan_on_reconstruction``) the reconstructions; cross entropy of
   the class head on the **real, labelled source** images only (reconstructions/translations
   carry labels only as well as the untrained translator keeps them, the 2017 code did not use
   them either); feature matching between D1's top features of G1(z_a), G1(z_b) and D2's of
   G2(z_a), G2(z_b): the two images of a pair come from one latent code, so they correspond.
   Feature matching trains D only (the 2017 code discards its generator gradients): it teaches
   the two first layers to read corresponding images alike, which is what lets the source's
   class head classify the target.
2. E/G step against the fresh, frozen D: adversarial, KL, L1 reconstruction, optional cycle.

For DDP, `wrap` swaps in wrapped modules for the two gradient-synced calls (translator forward,
D-step discriminator forward); the G step calls the raw, frozen discriminators. With gan = 0 and
feature_matching = 0 the target's first D layer and the real/fake head get no gradient: wrap with
``find_unused_parameters=True`` in that (ablation) case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from unit_core.config import OptimizerConfig
from unit_core.da_config import DaConfig
from unit_core.da_discriminator import DaDiscriminatorPair
from unit_core.da_inputs import check_labels
from unit_core.da_losses import feature_matching_loss, source_classification_loss
from unit_core.da_translator import DaTranslator, DaTranslatorOutputs
from unit_core.gan_state import gan_trainer_state, restore_gan_trainer_state
from unit_core.inputs import check_batch
from unit_core.losses import (
    discriminator_loss,
    generator_adversarial_loss,
    vae_and_cycle_terms,
)


def adam(params: list[nn.Parameter], opt: OptimizerConfig) -> torch.optim.Adam:
    return torch.optim.Adam(
        params, lr=opt.lr, betas=(opt.beta1, opt.beta2), weight_decay=opt.weight_decay
    )


class DaTrainer:
    """Owns E/G and D (two modules), both optimisers, the step count and the noise RNG."""

    def __init__(self, cfg: DaConfig, device: torch.device | str = "cpu") -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        torch.manual_seed(cfg.seed)  # same seed -> same initial weights and dropout masks
        self.translator = DaTranslator(cfg.model).to(self.device)
        self.discriminators = DaDiscriminatorPair(cfg.model).to(self.device)
        # nn.Module.parameters() yields each tensor once: tied layers take one Adam step.
        self.gen_optimizer = adam(list(self.translator.parameters()), cfg.optimizer)
        self.dis_optimizer = adam(list(self.discriminators.parameters()), cfg.optimizer)
        self.noise = torch.Generator(device=self.device)
        self.noise.manual_seed(cfg.seed + 1)
        self.step = 0
        self._translator_call: Callable[..., Any] = self.translator
        self._discriminators_call: Callable[..., Any] = self.discriminators

    def wrap(self, wrapper: Callable[[nn.Module], nn.Module]) -> None:
        """Route the gradient-synced calls through `wrapper(module)` (e.g. DDP)."""
        self._translator_call = wrapper(self.translator)
        if self.cfg.loss.updates_discriminators:
            self._discriminators_call = wrapper(self.discriminators)

    def check_inputs(self, x_a: Tensor, x_b: Tensor, labels_source: Tensor | None) -> None:
        """ValueError on anything a step cannot take: shapes, sizes, NaN, labels."""
        m = self.cfg.model
        check_batch(x_a, m.channels_a, m.image_size, "batch_a")
        check_batch(x_b, m.channels_b, m.image_size, "batch_b")
        if len(x_a) != len(x_b):
            raise ValueError(
                f"batch_a and batch_b must have the same size, got {len(x_a)} and {len(x_b)}"
            )
        name = f"labels of source batch_{self.cfg.source_domain}"
        check_labels(labels_source, m.num_classes, len(x_a), name)

    def train_step(self, x_a: Tensor, x_b: Tensor, labels_source: Tensor) -> dict[str, float]:
        """One D-then-E/G update on (B, C, 32, 32) batches in [-1, 1] and (B,) source labels.

        Returns the weighted loss terms, "dis_total", "gen_total" and, with classification on,
        "source_batch_accuracy" (class head on this source batch, dropout active).
        """
        self.check_inputs(x_a, x_b, labels_source)
        w = self.cfg.loss
        x_a, x_b = x_a.to(self.device), x_b.to(self.device)
        labels = labels_source.to(self.device, torch.long)
        self.translator.train()
        self.discriminators.train()

        out = self._translator_call(x_a, x_b, noise=self.noise, with_cycle=w.uses_cycle)
        result: dict[str, float] = {}
        if w.updates_discriminators:
            result |= self._discriminator_update(x_a, x_b, labels, out)
        gen_terms = self._generator_terms(x_a, x_b, out)
        if not gen_terms:
            raise ValueError("all generator loss weights are 0: nothing to train")
        gen_total = torch.stack(list(gen_terms.values())).sum()
        self.gen_optimizer.zero_grad(set_to_none=True)
        gen_total.backward()
        self.gen_optimizer.step()
        self.step += 1
        result |= {k: float(v.detach()) for k, v in gen_terms.items()}
        result["gen_total"] = float(gen_total.detach())
        return result

    def _fakes(self, out: DaTranslatorOutputs, detach: bool) -> tuple[Tensor, Tensor]:
        """Images D1 and D2 must call fake: translations, then reconstructions if enabled."""
        if self.cfg.loss.gan_on_reconstruction:
            fake_a, fake_b = torch.cat([out.b2a, out.recon_a]), torch.cat([out.a2b, out.recon_b])
        else:
            fake_a, fake_b = out.b2a, out.a2b
        return (fake_a.detach(), fake_b.detach()) if detach else (fake_a, fake_b)

    def _discriminator_update(
        self, x_a: Tensor, x_b: Tensor, labels: Tensor, out: DaTranslatorOutputs
    ) -> dict[str, float]:
        """Step D1, D2 (one batched forward): adversarial, source classification, features."""
        w, n, kind = self.cfg.loss, len(x_a), self.cfg.model.gan_loss
        rows_a, rows_b = x_a, x_b
        if w.gan > 0:
            fake_a, fake_b = self._fakes(out, detach=True)
            rows_a, rows_b = torch.cat([x_a, fake_a]), torch.cat([x_b, fake_b])
        clean_a = clean_b = None
        if w.feature_matching > 0:
            # Row i of clean_a and of clean_b decode the same code: [z_a; z_b].
            clean_a = torch.cat([out.recon_a, out.b2a]).detach()
            clean_b = torch.cat([out.a2b, out.recon_b]).detach()
        d = self._discriminators_call(rows_a, rows_b, clean_a, clean_b)
        terms: dict[str, Tensor] = {}
        extra: dict[str, float] = {}
        if w.gan > 0:
            terms["dis_adv"] = w.gan * sum(
                discriminator_loss([d[k].real_fake[:n]], [d[k].real_fake[n:]], kind)
                for k in ("a", "b")
            )
        if w.classification > 0:
            logits = d[self.cfg.source_domain].class_logits[:n]
            terms["source_class"] = w.classification * source_classification_loss(logits, labels)
            extra["source_batch_accuracy"] = float((logits.argmax(1) == labels).float().mean())
        if w.feature_matching > 0:
            fa, fb = d["clean_a"].features, d["clean_b"].features
            terms["feature_matching"] = w.feature_matching * (
                feature_matching_loss(fa[:n], fb[:n]) + feature_matching_loss(fa[n:], fb[n:])
            )
        total = torch.stack(list(terms.values())).sum()
        self.dis_optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.dis_optimizer.step()
        return (
            {k: float(v.detach()) for k, v in terms.items()}
            | extra
            | {"dis_total": float(total.detach())}
        )

    def _generator_terms(
        self, x_a: Tensor, x_b: Tensor, out: DaTranslatorOutputs
    ) -> dict[str, Tensor]:
        w, kind = self.cfg.loss, self.cfg.model.gan_loss
        terms: dict[str, Tensor] = {}
        if w.gan > 0:
            fake_a, fake_b = self._fakes(out, detach=False)
            d = self._frozen_discriminators(fake_a, fake_b)
            terms["gen_adv"] = w.gan * (
                generator_adversarial_loss([d["a"].real_fake], kind)
                + generator_adversarial_loss([d["b"].real_fake], kind)
            )
        terms.update(vae_and_cycle_terms(out, x_a, x_b, w))
        return terms

    def _frozen_discriminators(self, fake_a: Tensor, fake_b: Tensor) -> dict[str, Any]:
        """D1(fake_a), D2(fake_b) with gradients to the images only (dropout still active)."""
        self.discriminators.requires_grad_(False)
        try:
            return self.discriminators(fake_a, fake_b)
        finally:
            self.discriminators.requires_grad_(True)

    @torch.no_grad()
    def classify(self, x: Tensor, domain: str) -> Tensor:
        """Class logits (N, K) for images x (N, C, 32, 32) of `domain`, eval mode (no dropout).

        Target accuracy = classify(x_target, cfg.target_domain): the target's own first D layer,
        then the tied layers and class head trained on source labels, as the 2017 code does
        ("features of the source discriminator": above the first layer D1 and D2 are one).
        """
        check_batch(x, self.cfg.channels(domain), self.cfg.model.image_size, f"images_{domain}")
        was_training = self.discriminators.training
        self.discriminators.eval()
        try:
            return self.discriminators.classify(x.to(self.device), domain)
        finally:
            self.discriminators.train(was_training)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-for-bit; loadable with torch.load(weights_only=True)."""
        return gan_trainer_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict()`; the config keys ("model", "source_domain") must match this trainer's."""
        restore_gan_trainer_state(self, state, must_match=("model", "source_domain"))
