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

import torch
from torch import Tensor, nn

from unit_core.da.discriminator import DaDiscriminatorPair
from unit_core.da.inputs import check_labels
from unit_core.da.losses import feature_matching_loss, source_classification_loss
from unit_core.da.translator import DaTranslator, DaTranslatorOutputs
from unit_core.gan_trainer import TwoDomainGanTrainer, check_finite
from unit_core.inputs import check_batch
from unit_core.losses import (
    discriminator_loss,
    generator_adversarial_loss,
    vae_and_cycle_terms,
)


class DaTrainer(TwoDomainGanTrainer):
    """Owns E/G and D (two modules), both optimisers, the step count and the noise RNG."""

    state_must_match = ("model", "source_domain")

    def build_translator(self) -> nn.Module:
        return DaTranslator(self.cfg.model)

    def build_discriminators(self) -> nn.Module:
        # nn.Module.parameters() yields each tensor once: tied layers take one Adam step.
        return DaDiscriminatorPair(self.cfg.model)

    @property
    def updates_discriminators(self) -> bool:
        return self.cfg.loss.updates_discriminators

    def train_step(self, x_a: Tensor, x_b: Tensor, labels_source: Tensor) -> dict[str, float]:
        """One D-then-E/G update on (B, C, 32, 32) batches in [-1, 1] and (B,) source labels.

        Returns the weighted loss terms, "dis_total", "gen_total" and, with classification on,
        "source_batch_accuracy" (class head on this source batch, dropout active).
        """
        x_a, x_b = self.checked_batches(x_a, x_b)
        name = f"labels of source batch_{self.cfg.source_domain}"
        check_labels(labels_source, self.cfg.model.num_classes, len(x_a), name)
        labels = labels_source.to(self.device, torch.long)
        w = self.cfg.loss
        out = self._translator_call(x_a, x_b, noise=self.noise, with_cycle=w.uses_cycle)
        result: dict[str, float] = {}
        if w.updates_discriminators:
            result |= self._discriminator_step(x_a, x_b, labels, out)
        return result | self.generator_update(self._generator_terms(x_a, x_b, out))

    def _fakes(self, out: DaTranslatorOutputs, detach: bool) -> tuple[Tensor, Tensor]:
        """Images D1 and D2 must call fake: translations, then reconstructions if enabled."""
        if self.cfg.loss.gan_on_reconstruction:
            fake_a, fake_b = torch.cat([out.b2a, out.recon_a]), torch.cat([out.a2b, out.recon_b])
        else:
            fake_a, fake_b = out.b2a, out.a2b
        return (fake_a.detach(), fake_b.detach()) if detach else (fake_a, fake_b)

    def _discriminator_step(
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
            # Mean over D1 and D2: the 2017 code took one cross entropy over both domains'
            # rows, so the adversarial term weighs as much as classification and feature
            # matching there; a sum would double it against them.
            terms["dis_adv"] = w.gan * sum(
                discriminator_loss([d[k].real_fake[:n]], [d[k].real_fake[n:]], kind)
                for k in ("a", "b")
            ) / 2
        if w.classification > 0:
            logits = d[self.cfg.source_domain].class_logits[:n]
            terms["source_class"] = w.classification * source_classification_loss(logits, labels)
            extra["source_batch_accuracy"] = float((logits.argmax(1) == labels).float().mean())
        if w.translated_classification > 0 and w.gan > 0:
            # Rows n..2n of the target's fakes are the source batch translated (see `_fakes`).
            logits = d[self.cfg.target_domain].class_logits[n : 2 * n]
            terms["translated_class"] = w.translated_classification * (
                source_classification_loss(logits, labels)
            )
        if w.feature_matching > 0:
            fa, fb = d["clean_a"].features, d["clean_b"].features
            terms["feature_matching"] = w.feature_matching * (
                feature_matching_loss(fa[:n], fb[:n]) + feature_matching_loss(fa[n:], fb[n:])
            )
        total = torch.stack(list(terms.values())).sum()
        values = {k: float(v.detach()) for k, v in terms.items()}
        check_finite(values, self.step + 1)
        self.dis_optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.dis_optimizer.step()
        return values | extra | {"dis_total": float(total.detach())}

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

    @torch.no_grad()
    def classify(self, x: Tensor, domain: str) -> Tensor:
        """Class logits (N, K) for images x (N, C, 32, 32) of `domain`, eval mode (no dropout).

        Target accuracy = classify(x_target, cfg.target_domain): the target's own first D layer,
        then the tied layers and class head trained on source labels, as the 2017 code does
        ("features of the source discriminator": above the first layer D1 and D2 are one).
        """
        check_batch(x, self.cfg.channels(domain), self.cfg.model.image_size, f"images_{domain}")
        network = self.eval_discriminators
        was_training = network.training
        network.eval()
        try:
            return network.classify(x.to(self.device), domain)
        finally:
            network.train(was_training)
