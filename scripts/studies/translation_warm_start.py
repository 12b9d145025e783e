"""Diagnosis only: does unpaired UNIT training *keep* a translator that already aligns the
two domains, or pull it back to the plateau that training from scratch reaches?

Phase 1 fits the whole translator to the **paired** train split for `--paired-steps` (L1 of
a->b, b->a and both reconstructions, z = mu): a start point that no product run may use, since
pairs are target labels. Phase 2 then trains `UnitTrainer` unpaired exactly like
`translation_curves.py` and prints the val pixel accuracy (live and EMA weights) as JSON lines.
Nothing here trains or selects a model of the pipeline; the figures are in
docs/training_quality.md (seventh round).

    .venv/bin/python scripts/studies/translation_warm_start.py --paired-steps 300
    .venv/bin/python scripts/studies/translation_warm_start.py --set loss.gan=0
"""

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from study_params import study_section  # noqa: E402

from pipeline.data.shard_reader import load_manifest, load_split  # noqa: E402
from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from pipeline.tasks.translation_eval import (  # noqa: E402
    load_pairs,
    paired_split,
    pixel_accuracy_on_pairs,
)
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.model_family import build_trainer, config_from_dict  # noqa: E402


def fit_to_pairs(trainer, pairs: tuple[torch.Tensor, torch.Tensor], steps: int, batch: int) -> None:
    """L1 of both translations and both reconstructions against the paired truth, z = mu."""
    translator = trainer.translator
    optimizer = torch.optim.Adam(translator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    draw = torch.Generator().manual_seed(0)
    for _ in range(steps):
        rows = torch.randint(len(pairs[0]), (batch,), generator=draw)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paired-steps", type=int, default=300)
    parser.add_argument("--steps", type=int, default=300, help="unpaired UNIT steps after that")
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = study_section("unit", args.seed, args.set)
    manifest = load_manifest(REPO / "data/shards/aerial_maps")
    trainer = build_trainer(config_from_dict(with_data_shape(params, manifest.image, "")), "cpu")
    val = paired_split(manifest, "val")
    train_a, train_b, _ = load_pairs(manifest, "train")
    fit_to_pairs(trainer, (train_a, train_b), args.paired_steps, args.batch)
    start = pixel_accuracy_on_pairs(trainer.eval_translator, val)
    print(json.dumps({"step": 0, "paired_steps": args.paired_steps, "val_ema": round(start, 4)}))
    images_a = load_split(manifest, "a", "train").images
    images_b = load_split(manifest, "b", "train").images
    order = torch.Generator().manual_seed(args.seed)
    n, step = min(len(images_a), len(images_b)), 0
    while step < args.steps:
        perm_a, perm_b = torch.randperm(n, generator=order), torch.randperm(n, generator=order)
        for i in range(0, n - args.batch + 1, args.batch):
            losses = trainer.train_step(
                to_model_range(images_a[perm_a[i : i + args.batch]]),
                to_model_range(images_b[perm_b[i : i + args.batch]]),
            )
            step += 1
            if step % args.every == 0 or step == args.steps:
                row = {
                    "step": step,
                    "val": round(pixel_accuracy_on_pairs(trainer.translator, val), 4),
                    "val_ema": round(pixel_accuracy_on_pairs(trainer.eval_translator, val), 4),
                    **{k: round(v, 3) for k, v in losses.items()},
                }
                print(json.dumps(row), flush=True)
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
