"""Diagnosis only: does unpaired UNIT training *keep* a translator that already aligns the
two domains, or pull it back to the plateau that training from scratch reaches?

Backs docs/training_quality.md, "Seventh round" (the paired warm start).

First the whole translator is fitted to the **paired** train split for `--paired-steps` (L1 of
a->b, b->a and both reconstructions, z = mu, batch 8): a start point that no product run may
use, since pairs are target labels. Then `translation_curves.py` trains `UnitTrainer` unpaired
from there, as usual, and prints its JSON lines (every other flag is that script's). Nothing
here trains or selects a model of the pipeline; the figures are in docs/training_quality.md
(seventh round).

    .venv/bin/python scripts/studies/translation_warm_start.py --paired-steps 300 --steps 400
    .venv/bin/python scripts/studies/translation_warm_start.py --set loss.gan=0
"""

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

import translation_curves  # noqa: E402

from pipeline.tasks.translation_eval import (  # noqa: E402
    load_pairs,
    paired_split,
    pixel_accuracy_on_pairs,
)
from unit_core.inputs import to_model_range  # noqa: E402

PAIRED_BATCH = 8


def fit_to_pairs(trainer, pairs: tuple[torch.Tensor, torch.Tensor], steps: int) -> None:
    """L1 of both translations and both reconstructions against the paired truth, z = mu."""
    translator = trainer.translator
    optimizer = torch.optim.Adam(translator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    draw = torch.Generator().manual_seed(0)
    for _ in range(steps):
        rows = torch.randint(len(pairs[0]), (PAIRED_BATCH,), generator=draw)
        x_a, x_b = to_model_range(pairs[0][rows]), to_model_range(pairs[1][rows])
        mu_a, mu_b = translator.encode(x_a, x_b)
        recon_a, a2b = translator.decode(mu_a, mu_a)
        b2a, recon_b = translator.decode(mu_b, mu_b)
        loss = sum(
            (out - truth).abs().mean()
            for out, truth in ((a2b, x_b), (b2a, x_a), (recon_a, x_a), (recon_b, x_b))
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if trainer.averages is not None:  # the EMA copy starts from the fitted weights too
        trainer.averages[0].module.load_state_dict(translator.state_dict())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    parser.add_argument("--paired-steps", type=int, default=300)
    args, rest = parser.parse_known_args()

    def paired_start(trainer, manifest) -> None:
        train_a, train_b, _ = load_pairs(manifest, "train")
        fit_to_pairs(trainer, (train_a, train_b), args.paired_steps)
        start = pixel_accuracy_on_pairs(trainer.eval_translator, paired_split(manifest, "val"))
        print(
            json.dumps({"step": 0, "paired_steps": args.paired_steps, "val_ema": round(start, 4)})
        )

    sys.argv = [str(REPO / "scripts/studies/translation_curves.py"), *rest]
    translation_curves.main(after_build=paired_start)


if __name__ == "__main__":
    main()
