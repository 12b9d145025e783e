"""`unit-pipeline translate`: translate every image in a folder or S3 prefix with a trained model.

    python -m pipeline.translate --model models:/unit-translator@champion \\
        --input photos/ --output maps/                              # registry (tracking URI:
                                                                    # flag, env, params.yaml)
    python -m pipeline.translate --model outputs/translation/translator.pt \\
        --input s3://bucket/aerial --output s3://bucket/maps --direction a2b --device cuda
    python -m pipeline.translate --model ray_results/run/checkpoint_000003 --input in --output out
    python -m pipeline.translate --model munit.pt --input in --output out --styles 3 --seed 7
    python -m pipeline.translate --model munit.pt --input in --output out --style-from ex.png
    python -m pipeline.translate --model translator.pt --input in --output out --size train

One `<stem>.png` per input (`<stem>_style<k>.png`, k = 0..K-1, with `--styles K`), by default
at the input's own W x H and aspect (`--size native`: padded to a multiple of the model's
downsampling factor, translated, cropped back; see `native_size`); `--size train` resizes every
input to the model's training size S x S instead (square, as the model saw its training
images). Bad input files are logged, skipped and listed; the others are still translated. A
JSON summary goes to stdout, logs to stderr. Exit codes: 0 all translated, 1 some input files
were bad, 2 nothing done (bad model, bad flags, unreachable or empty input) or an output
could not be written (one line naming it: full disk, read-only file system, permission denied).
On a CPU shared with other jobs, `OMP_NUM_THREADS=1` can be several times faster (a tiny model
measured 10 vs 200+ images/s on a loaded 2-core machine: OpenMP threads spin-wait for cores).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import torch

from pipeline.io import storage
from pipeline.io.credentials import refuse_credentials
from pipeline.io.os_faults import names_storage_faults
from pipeline.io.params_file import stage_prog
from pipeline.translate.batches import TranslationJob, translate_all
from pipeline.translate.images import list_images, output_name
from pipeline.translate.model import is_registry_uri, load_model, tracking_uri_for
from pipeline.translate.native_size import downsampling_factor
from pipeline.translate.styles import style_variants

log = logging.getLogger("pipeline.translate")


def pick_device(name: str) -> torch.device:
    """`auto`: cuda when available, else cpu; `cuda` without a GPU is a ValueError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device available")
    return torch.device(name)


def translate_folder(args: argparse.Namespace) -> dict[str, Any]:
    """Run one translation as `main` parsed it; return the JSON summary. ValueError: exit 2."""
    started = time.perf_counter()
    flags = ("model", "input", "output", "tracking_uri", "style_from")
    refuse_credentials({f"--{f.replace('_', '-')}": getattr(args, f) for f in flags})
    device = pick_device(args.device)
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if _same_location(args.input, args.output):
        raise ValueError(f"--output {args.output}: must differ from --input (would overwrite)")
    uri = tracking_uri_for(args.tracking_uri, args.params) if is_registry_uri(args.model) else None
    translator, cfg = load_model(args.model, uri)
    variants = style_variants(translator, cfg, args.model, args.direction, args.styles,
                              args.style_from, args.seed)  # fmt: skip
    storage.check_reachable(args.input)
    storage.check_reachable(args.output)
    storage.remove_abandoned_temp_files(args.output)  # left by a killed earlier run
    listing = list_images(args.input)
    if listing.ignored:
        log.info("ignoring %d non-image file(s) in %s: %s", len(listing.ignored), args.input,
                 ", ".join(listing.ignored[:10]) + (" …" if len(listing.ignored) > 10 else ""))  # fmt: skip
    names, clashes = _unique_outputs(listing.images)
    model = cfg.model
    job = TranslationJob(
        source=args.input,
        destination=args.output,
        names=names,
        direction=args.direction,
        channels=model.channels_a if args.direction == "a2b" else model.channels_b,
        image_size=model.image_size,
        downsampling=downsampling_factor(model),
        variants=variants,
        batch_size=args.batch_size,
        progress=not args.no_progress and sys.stderr.isatty(),
        native_size=args.size == "native",
    )
    size = "their own size" if job.native_size else f"{model.image_size}x{model.image_size}"
    log.info("translating %d image(s) %s at %s on %s, batch %d, %d output(s) each", len(names),
             args.direction, size, device, args.batch_size, len(variants))  # fmt: skip
    loop_started = time.perf_counter()
    outcome = translate_all(translator.to(device), job, device)
    loop_seconds = time.perf_counter() - loop_started
    if outcome.resized:
        log.info(
            "resized %d image(s) to %dx%d", outcome.resized, model.image_size, model.image_size
        )
    bad = {**clashes, **outcome.bad}
    return {
        "model": args.model,
        "family": model.family,
        "direction": args.direction,
        "device": str(device),
        "size": args.size,
        "inputs": len(listing.images),
        "translated": outcome.translated,
        "outputs_written": len(outcome.written),
        "resized": outcome.resized,
        "bad_files": [{"file": name, "problem": bad[name]} for name in sorted(bad)],
        "seconds": round(time.perf_counter() - started, 3),  # model loading included
        "translate_seconds": round(loop_seconds, 3),
        "images_per_s": round(outcome.translated / loop_seconds, 2) if loop_seconds > 0 else None,
        "output": args.output,
    }


def _unique_outputs(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Inputs whose output name is theirs alone, and the rest (`a.jpg` beside `a.png`).

    Of inputs sharing an output name, the one already named so (`a.png`) wins, else the first.
    """
    owner: dict[str, str] = {}
    for name in names:
        out = output_name(name)
        if out not in owner or name == out:
            owner[out] = name
    keep = [n for n in names if owner[output_name(n)] == n]
    clashes = {
        n: f"output name {output_name(n)} is already taken by {owner[output_name(n)]}"
        for n in names
        if owner[output_name(n)] != n
    }
    return keep, clashes


def _same_location(a: str, b: str) -> bool:
    if storage.is_s3(a) or storage.is_s3(b):
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=stage_prog("pipeline.translate"), description=__doc__.split("\n")[0].strip("`")
    )
    parser.add_argument("--model", required=True,
                        help="models:/NAME@ALIAS | models:/NAME/VERSION|latest | runs:/… | weights "
                        "file | checkpoint folder | trainer_state.pt")  # fmt: skip
    parser.add_argument("--input", required=True, help="folder or s3:// prefix of images")
    parser.add_argument("--output", required=True, help="folder or s3:// prefix for the PNGs")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b")
    styles = parser.add_mutually_exclusive_group()
    styles.add_argument("--styles", type=int, metavar="K",
                        help="MUNIT: K outputs per input, styles ~ N(0, I) from --seed")  # fmt: skip
    styles.add_argument("--style-from", metavar="IMAGE",
                        help="MUNIT: use the style of this target-domain image for every input")  # fmt: skip
    parser.add_argument("--size", choices=("native", "train"), default="native",
                        help="native: outputs at each input's own size and aspect; train: "
                        "resized to the model's training size S x S")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=16,
                        help="images per forward pass (at native size: at most this many "
                        "S x S images' worth of pixels)")  # fmt: skip
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --styles codes")
    parser.add_argument("--tracking-uri", help="MLflow store of a registry model "
                        "(default: $MLFLOW_TRACKING_URI, else tracking.tracking_uri of --params)")  # fmt: skip
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


@names_storage_faults(log)
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        summary = translate_folder(args)
    except (ValueError, RuntimeError) as err:  # DataError and ConfigError are ValueErrors
        log.error("%s", err)
        return 2
    if summary["bad_files"]:
        log.error("%d bad input file(s), not translated: %s", len(summary["bad_files"]),
                  ", ".join(b["file"] for b in summary["bad_files"]))  # fmt: skip
    print(json.dumps(summary, indent=1))
    return 1 if summary["bad_files"] else 0


if __name__ == "__main__":
    sys.exit(main())
