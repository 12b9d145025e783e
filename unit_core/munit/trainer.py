"""One MUNIT training step (Huang et al. 2018); the shared GAN machinery is `unit_core.gan_trainer`.

The step: one translator forward with random styles s ~ N(0, I) drawn from `self.noise`, a D
step on the detached translations, then one step of all encoders, decoders and MLPs on

- `gen_adv`: gan * adversarial loss of a2b and b2a,
- `recon`: image * L1(G_a(c_a, s_a'), x_a) + the same for b (within-domain reconstruction),
- `style_recon`: style * L1(E_b^s(a2b), s_b) + L1(E_a^s(b2a), s_a) (the random style survives),
- `content_recon`: content * L1(E_b^c(a2b), c_a) + L1(E_a^c(b2a), c_b) (the content survives),
- `cycle_recon`: cycle * L1(G_a(E_b^c(a2b), s_a'), x_a) + the same for b (optional, off by default).

A weight of 0 removes its term and the streams only it needs. With DDP and a weight at 0 some
parameters get no gradient (e.g. the style encoders with image = cycle = 0): wrap with
``find_unused_parameters=True`` then.
"""

from __future__ import annotations

from torch import Tensor

from unit_core.gan_trainer import TwoDomainGanTrainer
from unit_core.losses import l1_reconstruction
from unit_core.munit.config import MunitConfig, MunitLossWeights
from unit_core.munit.translator import MunitOutputs, MunitTranslator


def munit_reconstruction_terms(
    out: MunitOutputs, x_a: Tensor, x_b: Tensor, w: MunitLossWeights
) -> dict[str, Tensor]:
    """The weighted image, style, content and cycle terms; a term whose weight is 0 is absent."""
    terms: dict[str, Tensor] = {}
    if w.image > 0:
        terms["recon"] = w.image * (
            l1_reconstruction(out.recon_a, x_a) + l1_reconstruction(out.recon_b, x_b)
        )
    if w.style > 0:
        terms["style_recon"] = w.style * (
            l1_reconstruction(out.style_a2b, out.random_style_b)
            + l1_reconstruction(out.style_b2a, out.random_style_a)
        )
    if w.content > 0:
        terms["content_recon"] = w.content * (
            l1_reconstruction(out.content_a2b, out.content_a)
            + l1_reconstruction(out.content_b2a, out.content_b)
        )
    if w.cycle > 0:
        terms["cycle_recon"] = w.cycle * (
            l1_reconstruction(out.cycle_a, x_a) + l1_reconstruction(out.cycle_b, x_b)
        )
    return terms


class MunitTrainer(TwoDomainGanTrainer):
    """Owns the MUNIT translator and D1/D2, both optimisers, the step count and the style RNG."""

    cfg: MunitConfig
    translator: MunitTranslator

    def build_translator(self) -> MunitTranslator:
        return MunitTranslator(self.cfg.model)

    def train_step(self, x_a: Tensor, x_b: Tensor) -> dict[str, float]:
        """One alternating update on batches (B, C, S, S) in [-1, 1]; returns weighted loss terms."""
        w = self.cfg.loss
        x_a, x_b = self.checked_batches(x_a, x_b)
        out = self._translator_call(
            x_a,
            x_b,
            noise=self.noise,
            with_cycle=w.cycle > 0,
            with_recon=w.image > 0,
            with_style_recon=w.style > 0,
            with_content_recon=w.content > 0,
        )
        losses = self.adversarial_terms(x_a, x_b, out.a2b, out.b2a)
        losses.update(munit_reconstruction_terms(out, x_a, x_b, w))
        return self.generator_update(losses)
