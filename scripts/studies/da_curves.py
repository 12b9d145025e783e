"""Diagnosis loop for domain adaptation: one process, `DaTrainer` and the source-only baseline on
the same batches, printing target / source test accuracy every `--every` steps (JSON lines).

Backs docs/training_quality.md, "Domain adaptation (MNIST → USPS)" (its rounds) and "Fifth round".

Target labels and the test splits are used only to print these curves, never to train or
choose anything. The figures in docs/training_quality.md came from this loop, e.g.

    .venv/bin/python scripts/studies/da_curves.py --steps 300 --every 100 --seed 1 \
        --set loss.translated_classification=1.0

`--set` overrides keys of params.yaml's `da:` section. Needs `data/shards/digits` (prepare).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from study_params import study_section, study_speed  # noqa: E402

from pipeline.data.shard_reader import load_manifest, load_split  # noqa: E402
from unit_core.da.baseline import SourceOnlyClassifier  # noqa: E402
from unit_core.da.config import DaConfig  # noqa: E402
from unit_core.da.trainer import DaTrainer  # noqa: E402
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.speed_options import apply_speed, autocast_for  # noqa: E402


@torch.no_grad()
def accuracy(model, images: torch.Tensor, labels: torch.Tensor, domain: str) -> float:
    preds = [
        model.classify(to_model_range(images[i : i + 500]), domain).argmax(1)
        for i in range(0, len(images), 500)
    ]
    return float((torch.cat(preds) == labels).float().mean())


def lr_scale(step: int, steps: int, decay_from: float) -> float:
    """1 before `decay_from` x steps, then linear towards 0 at `steps` (1: constant)."""
    start = decay_from * steps
    return 1.0 if step < start or steps <= start else (steps - step) / (steps - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--batch", type=int, default=32, help="per domain (the stage: 2 x 16)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--decay-from", type=float, default=1.0,
        help="fraction of --steps after which every lr falls linearly to 0 at the end (1: none)",
    )
    parser.add_argument(
        "--tie-front", action="store_true",
        help="study hack: D2 reads target images through D1's first layer (every D layer tied)",
    )
    parser.add_argument(
        "--bf16", action="store_true",
        help="bf16 autocast and channels_last (train.speed's bf16 / channels_last), both models",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = study_section("da", args.seed, args.set)
    cfg = DaConfig.from_dict(params)
    manifest = load_manifest(REPO / "data/shards/digits")
    train_a, train_b = load_split(manifest, "a", "train"), load_split(manifest, "b", "train")
    test_a, test_b = load_split(manifest, "a", "test"), load_split(manifest, "b", "test")
    trainer, baseline = DaTrainer(cfg), SourceOnlyClassifier(cfg)
    if args.tie_front:  # the live and the averaged D alike, so their parameter lists still pair up
        for pair in {id(m): m for m in (trainer.discriminators, trainer.eval_discriminators)}.values():
            pair.front_b = pair.front_a
    speed = study_speed(args.bf16)
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    apply_speed(baseline, [baseline.network], speed)
    order = torch.Generator().manual_seed(args.seed)
    n = min(len(train_a.images), len(train_b.images))
    started, step = time.time(), 0
    while step < args.steps:
        perm_a = torch.randperm(len(train_a.images), generator=order)
        perm_b = torch.randperm(len(train_b.images), generator=order)
        for i in range(0, n - args.batch + 1, args.batch):
            rows_a, rows_b = perm_a[i : i + args.batch], perm_b[i : i + args.batch]
            x_a = to_model_range(train_a.images[rows_a])
            x_b = to_model_range(train_b.images[rows_b])
            scale = lr_scale(step, args.steps, args.decay_from)
            opt = cfg.optimizer
            for optimizer, base in (
                (trainer.gen_optimizer, opt.lr),
                (trainer.dis_optimizer, opt.discriminator_lr),
                (baseline.optimizer, opt.lr),
            ):
                for group in optimizer.param_groups:
                    group["lr"] = base * scale
            with autocast_for(speed, "cpu"):
                losses = trainer.train_step(x_a, x_b, train_a.labels[rows_a])
                baseline.train_step(x_a, train_a.labels[rows_a])
            step += 1
            if step % args.every == 0 or step == args.steps:
                row = {
                    "step": step,
                    "seconds": round(time.time() - started),
                    "target": accuracy(trainer, test_b.images, test_b.labels, "b"),
                    "baseline_target": accuracy(baseline, test_b.images, test_b.labels, "b"),
                    "source": accuracy(trainer, test_a.images[:2000], test_a.labels[:2000], "a"),
                    **{k: round(v, 4) for k, v in losses.items()},
                }
                print(json.dumps(row), flush=True)
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
