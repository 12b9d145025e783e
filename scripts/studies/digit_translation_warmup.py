"""Adversarial warm-up study for digit translation (MNIST a <-> USPS b): the study loop of
`digit_translation_curves.py` with the adversarial term off for the first `--warmup` steps.

Backs docs/training_quality.md, "Adversarial warm-up". E.g.

    .venv/bin/python scripts/studies/digit_translation_warmup.py --warmup 250 --steps 1500 \
        --every 250 --batch 8 --seed 1

Why: the seeds decide which alignment the shared latent settles on. During the warm-up only the
VAE (reconstruction, KL) and cycle terms train, and the discriminators are not stepped, so the
encoders and generators learn the two domains around the mirrored start (a->b begins as
reconstruction) before the adversarial term pulls the look; the question is whether that start
holds the digit better on every seed. `--warmup 0` is the curves script's loop.

`--set` overrides keys of params.yaml's `unit_digits:` section. Labels only score.
"""

import json
import sys
from pathlib import Path

import torch
from torch import Tensor

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from digit_translation_curves import scored_digits, study_parser, train_and_score  # noqa: E402
from study_params import study_section  # noqa: E402

from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from unit_core.model_family import config_from_dict  # noqa: E402
from unit_core.unit.trainer import UnitTrainer  # noqa: E402


class WarmupUnitTrainer(UnitTrainer):
    """`UnitTrainer` whose adversarial terms (D's step and G's term) start after `warmup` steps."""

    def __init__(self, cfg, device, warmup: int) -> None:
        super().__init__(cfg, device)
        self.warmup = warmup

    def adversarial_terms(self, x_a: Tensor, x_b: Tensor, a2b: Tensor, b2a: Tensor):
        if self.step < self.warmup:
            return {}
        return super().adversarial_terms(x_a, x_b, a2b, b2a)


def main() -> None:
    parser = study_parser(__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=0, metavar="STEPS",
                        help="steps without the adversarial term (0: the curves script's loop)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = study_section(args.section, args.seed, args.set)
    manifest, domains, scorer = scored_digits(args)
    cfg = config_from_dict(with_data_shape(params, manifest.image, ""))
    if cfg.model.family != "unit":
        raise SystemExit(f"this study subclasses UnitTrainer; got family {cfg.model.family!r}")
    trainer = WarmupUnitTrainer(cfg, "cpu", args.warmup)
    final, train_seconds = train_and_score(trainer, domains, scorer, args)
    print(json.dumps({"final": {k: round(v, 4) for k, v in final.items()},
                      "warmup": args.warmup, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
