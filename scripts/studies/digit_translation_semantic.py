"""Semantic-consistency study for digit translation (MNIST a <-> USPS b): the study loop of
`digit_translation_curves.py` with CyCADA's semantic-consistency term added to the generator.

Backs docs/training_quality.md, "Semantic consistency". E.g.

    .venv/bin/python scripts/studies/digit_translation_semantic.py --direction a2b --semantic 1 \
        --steps 1500 --every 250 --batch 8 --seed 0

f_S, a `ScoringClassifier` trained on the SOURCE domain's train images and labels, is frozen
(eval mode, requires_grad off); the generator gets the extra term
`w * CE(f_S(source->target translation), argmax f_S(source))` on the `--direction` translation
only, the pseudo-labels taken under no_grad. Labels of the source only train f_S; the training
batches stay unpaired images, and no target label trains anything. Because f_S uses the source
labels, a model trained with `--direction a2b` is an honest figure for M->U only and one trained
with `--direction b2a` for U->M only: the final JSON line carries both directions' scores and
names the honest one (`honest_direction`). `--semantic 0` is the curves script's loop.

`--set` overrides keys of params.yaml's `unit_digits:` section. Other labels only score.
"""

import json
import sys
import time
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from digit_translation_curves import scored_digits, study_parser, train_and_score  # noqa: E402
from study_params import study_section  # noqa: E402

from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from unit_core.losses import vae_and_cycle_terms  # noqa: E402
from unit_core.model_family import config_from_dict  # noqa: E402
from unit_core.scoring.digit_classifier import ClassifierBudget, fit_classifier  # noqa: E402
from unit_core.scoring.digit_translation import DIRECTIONS  # noqa: E402
from unit_core.unit.trainer import UnitTrainer  # noqa: E402

# f_S's own seed, apart from the scorer's (budget seed 0), so f_S is not the scorer's
# source-only classifier object
F_S_SEED = 1000


class SemanticUnitTrainer(UnitTrainer):
    """`UnitTrainer` whose generator also gets `weight * CE(f_S(translation), argmax f_S(x_src))`
    on one direction; f_S is frozen and gradients flow through it into the translator only."""

    def __init__(self, cfg, device, f_s: torch.nn.Module, direction: str, weight: float) -> None:
        super().__init__(cfg, device)
        self.f_s = f_s.to(self.device).eval().requires_grad_(False)
        self.direction, self.weight = direction, weight

    def train_step(self, x_a: Tensor, x_b: Tensor) -> dict[str, float]:
        """`UnitTrainer.train_step` plus the `semantic` term (absent when the weight is 0)."""
        model, w = self.cfg.model, self.cfg.loss
        x_a, x_b = self.checked_batches(x_a, x_b)
        noise = self.noise if model.latent_noise else None
        out = self._translator_call(
            x_a, x_b, noise=noise, with_recon=w.recon > 0, with_cycle=w.uses_cycle
        )
        losses = self.adversarial_terms(x_a, x_b, out.a2b, out.b2a)
        losses.update(vae_and_cycle_terms(out, x_a, x_b, w))
        if self.weight > 0:
            source, moved = (x_a, out.a2b) if self.direction == "a2b" else (x_b, out.b2a)
            self.f_s.eval()
            with torch.no_grad():
                pseudo = self.f_s(source.float()).argmax(1)
            losses["semantic"] = self.weight * F.cross_entropy(self.f_s(moved.float()), pseudo)
        return self.generator_update(losses)


def main() -> None:
    parser = study_parser(__doc__.splitlines()[0])
    parser.add_argument("--semantic", type=float, default=0.0, metavar="W",
                        help="weight of the semantic-consistency term (0: off)")
    parser.add_argument("--direction", choices=sorted(DIRECTIONS), default="a2b",
                        help="the source->target translation the term acts on")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = study_section(args.section, args.seed, args.set)
    manifest, domains, scorer = scored_digits(args)
    # f_S: source train images and labels only; fitted before the trainer, whose constructor
    # reseeds torch, so --semantic 0 trains exactly what the curves script trains
    source_name = DIRECTIONS[args.direction][0]
    source = domains[source_name]
    started = time.time()
    f_s = fit_classifier(source.train_images, source.train_labels, 10,
                         ClassifierBudget(steps=args.score_steps, seed=F_S_SEED))
    with torch.no_grad():
        f_s_acc = float((torch.cat([f_s(source.test_images[i : i + 500]).argmax(1)
                                    for i in range(0, len(source.test_images), 500)])
                         == source.test_labels).float().mean())
    print(json.dumps({"f_s_seconds": round(time.time() - started), "f_s_domain": source_name,
                      "f_s_source_test_accuracy": round(f_s_acc, 4),
                      "semantic": args.semantic, "direction": args.direction}), flush=True)
    cfg = config_from_dict(with_data_shape(params, manifest.image, ""))
    if cfg.model.family != "unit":
        raise SystemExit(f"this study subclasses UnitTrainer; got family {cfg.model.family!r}")
    trainer = SemanticUnitTrainer(cfg, "cpu", f_s, args.direction, args.semantic)
    final, train_seconds = train_and_score(trainer, domains, scorer, args)
    print(json.dumps({"final": {k: round(v, 4) for k, v in final.items()},
                      "honest_direction": args.direction if args.semantic > 0 else "both",
                      "note": (f"trained with {source_name}'s labels via f_S: only "
                               f"{args.direction}_* scores are honest for this model"
                               if args.semantic > 0 else "no semantic term: both honest"),
                      "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
