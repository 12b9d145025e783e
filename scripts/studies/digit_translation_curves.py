"""Diagnosis loop for digit translation (MNIST a <-> USPS b): one process, `UnitTrainer` on the
digits train splits (unpaired, no labels), printing content kept and looks-like-target every
`--every` steps and, at the end, pixel-level adaptation in both directions (JSON lines).

Backs docs/training_quality.md, "Digit translation". E.g.

    .venv/bin/python scripts/studies/digit_translation_curves.py --steps 1000 --every 250 --seed 0

`--set` overrides keys of params.yaml's `unit_digits:` section. Labels only score.
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
from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.model_family import build_trainer, config_from_dict  # noqa: E402
from unit_core.scoring.digit_classifier import ClassifierBudget  # noqa: E402
from unit_core.scoring.digit_translation import (  # noqa: E402
    DigitTranslationScorer,
    LabelledDomain,
)
from unit_core.speed_options import apply_speed, autocast_for  # noqa: E402


def labelled(manifest, domain: str) -> LabelledDomain:
    train, test = load_split(manifest, domain, "train"), load_split(manifest, domain, "test")
    return LabelledDomain(to_model_range(train.images), train.labels,
                          to_model_range(test.images), test.labels)


def study_parser(description: str) -> argparse.ArgumentParser:
    """The loop's options; digit_translation_semantic.py adds its own to these."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--section", default="unit_digits")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--score-steps", type=int, default=1000)
    return parser


def scored_digits(args: argparse.Namespace):
    """(manifest, {domain: LabelledDomain}, the trained scorer); prints the scorers' line."""
    manifest = load_manifest(REPO / "data/shards/digits")
    started = time.time()
    domains = {d: labelled(manifest, d) for d in ("a", "b")}
    scorer = DigitTranslationScorer(domains, 10, ClassifierBudget(steps=args.score_steps))
    print(json.dumps({"scorer_seconds": round(time.time() - started),
                      **{k: round(v, 4) for k, v in scorer.scorer_accuracy.items()},
                      "domain": round(scorer.domain_accuracy, 4)}), flush=True)
    return manifest, domains, scorer


def train_and_score(trainer, domains, scorer, args: argparse.Namespace):
    """The unpaired loop at `--bf16`'s speed (applied to the translator and discriminators
    here): a content-kept line every `--every` steps; returns (final scores, training seconds)."""
    speed = study_speed(args.bf16)
    apply_speed(trainer, [trainer.translator, trainer.discriminators], speed)
    train_a, train_b = domains["a"].train_images, domains["b"].train_images
    order = torch.Generator().manual_seed(args.seed)
    n = min(len(train_a), len(train_b))
    started, step = time.time(), 0

    def translate(x, direction):
        return trainer.eval_translator.translate(x, direction)

    while step < args.steps:
        perm_a, perm_b = torch.randperm(n, generator=order), torch.randperm(n, generator=order)
        for i in range(0, n - args.batch + 1, args.batch):
            with autocast_for(speed, "cpu"):
                losses = trainer.train_step(train_a[perm_a[i : i + args.batch]],
                                            train_b[perm_b[i : i + args.batch]])
            step += 1
            if step % args.every == 0 or step == args.steps:
                trainer.eval_translator.eval()
                row = {"step": step, "seconds": round(time.time() - started),
                       **{k: round(v, 4) for k, v in scorer.content_kept(translate, 2000).items()},
                       **{k: round(v, 3) for k, v in losses.items()}}
                print(json.dumps(row), flush=True)
            if step >= args.steps:
                break
    train_seconds = round(time.time() - started)
    return scorer.score(translate), train_seconds


def main() -> None:
    args = study_parser(__doc__.splitlines()[0]).parse_args()
    torch.set_num_threads(args.threads)
    params = study_section(args.section, args.seed, args.set)
    manifest, domains, scorer = scored_digits(args)
    trainer = build_trainer(config_from_dict(with_data_shape(params, manifest.image, "")), "cpu")
    final, _ = train_and_score(trainer, domains, scorer, args)
    print(json.dumps({"final": {k: round(v, 4) for k, v in final.items()}}), flush=True)


if __name__ == "__main__":
    main()
