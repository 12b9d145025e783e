"""Diagnosis loop for translation: one process, `UnitTrainer` (or MUNIT) on the aerial/map train
split, printing the **val** pixel accuracy (live and EMA weights) and how well the map
discriminator separates real from translated val maps, every `--every` steps (JSON lines).

Backs docs/training_quality.md, "Translation (aerial → map)" (every round's table).

The figures in docs/training_quality.md came from this loop, e.g.

    .venv/bin/python scripts/studies/translation_curves.py --steps 300 --every 25 --seed 1

`--set` overrides keys of params.yaml's `unit:` section. Reads `data/shards/aerial_maps` unless `--shards`.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from study_params import study_section, study_speed  # noqa: E402

from pipeline.data.manifest import Manifest  # noqa: E402
from pipeline.data.shard_reader import load_manifest, load_split  # noqa: E402
from pipeline.io.translator_weights import save_translator_weights  # noqa: E402
from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from pipeline.tasks.translation_eval import (  # noqa: E402
    colour_baselines,
    paired_split,
    pixel_accuracy_on_pairs,
)
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.model_family import build_trainer, config_from_dict  # noqa: E402
from unit_core.speed_options import apply_speed, autocast_for  # noqa: E402


@torch.no_grad()
def discriminator_stats(trainer, val: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
    """D2's mean logit on 32 real val maps and on their aerials' translations, and its accuracy."""
    x_a, x_b = to_model_range(val[0][:32]), to_model_range(val[1][:32])
    translator = trainer.translator
    translator.eval()
    mu_a, _ = translator.encode(x_a, x_b)
    _, fake_b = translator.decode(mu_a, mu_a)
    translator.train()
    _, real = trainer.discriminators(x_a, x_b)
    _, fake = trainer.discriminators(x_a, fake_b)
    hit = ((real[0] > 0).float().mean() + (fake[0] < 0).float().mean()) / 2
    return {
        "d_real_logit": round(float(real[0].mean()), 3),
        "d_fake_logit": round(float(fake[0].mean()), 3),
        "d_accuracy": round(float(hit), 3),
    }


def main(after_build: Callable[[Any, Manifest], None] | None = None) -> None:
    """Parse the flags, build the trainer, run the loop. `after_build(trainer, manifest)`, when
    given, runs once between the two (how the study wrappers add terms or a start point)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--batch", type=int, default=8, help="per domain (the stage: 2 x 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--shards",
        type=Path,
        default=REPO / "data/shards/aerial_maps",
        help="prepared aerial/map shards (e.g. another image_size via pipeline.prepare --output)",
    )
    parser.add_argument(
        "--save", type=Path, help="write the EMA translator's weights here at the end"
    )
    parser.add_argument(
        "--bf16", action="store_true",
        help="bf16 autocast and channels_last (train.speed's bf16 / channels_last)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = study_section("unit", args.seed, args.set)
    manifest = load_manifest(args.shards)
    trainer = build_trainer(config_from_dict(with_data_shape(params, manifest.image, "")), "cpu")
    speed = study_speed(args.bf16)
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    if after_build is not None:
        after_build(trainer, manifest)
    val = paired_split(manifest, "val")
    train_a, train_b = load_split(manifest, "a", "train"), load_split(manifest, "b", "train")
    baselines = colour_baselines(manifest, {"val": val[1]}, "b")
    print(json.dumps({k: round(v, 4) for k, v in baselines.items()}), flush=True)
    order = torch.Generator().manual_seed(args.seed)
    n = min(len(train_a.images), len(train_b.images))
    started, step = time.time(), 0
    while step < args.steps:
        perm_a, perm_b = torch.randperm(n, generator=order), torch.randperm(n, generator=order)
        for i in range(0, n - args.batch + 1, args.batch):
            x_a = to_model_range(train_a.images[perm_a[i : i + args.batch]])
            x_b = to_model_range(train_b.images[perm_b[i : i + args.batch]])
            with autocast_for(speed, "cpu"):
                losses = trainer.train_step(x_a, x_b)
            step += 1
            if step % args.every == 0 or step == args.steps:
                row = {
                    "step": step,
                    "seconds": round(time.time() - started),
                    "val": round(pixel_accuracy_on_pairs(trainer.translator, val), 4),
                    "val_ema": round(pixel_accuracy_on_pairs(trainer.eval_translator, val), 4),
                    **(
                        discriminator_stats(trainer, val)
                        if params["model"]["family"] == "unit"
                        else {}
                    ),
                    **{k: round(v, 3) for k, v in losses.items()},
                }
                print(json.dumps(row), flush=True)
            if step >= args.steps:
                break
    if args.save:
        save_translator_weights(trainer.eval_translator, trainer.cfg, args.save)


if __name__ == "__main__":
    main()
