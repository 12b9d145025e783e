"""Stage `evaluate`: the paper's pixel-accuracy protocol on the trained translator.

    python -m pipeline.evaluate [--params params.yaml] [--set evaluate.threshold=16]
    dvc repro evaluate

Translates every paired split (`val`, `test`) of the training dataset a -> b (aerial -> map) with
z = mu and counts the pixels within `threshold` of the true map (`unit_core.metrics`).
Writes `<output>/metrics.json` (DVC metrics), logs the same numbers to the training's MLflow
run, and registers the model. The `@champion` alias is decided on the **validation** split only:
choosing models by the test split would report an optimistically biased test number.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.checkpoint_files import write_atomic
from pipeline.data.shard_reader import load_manifest
from pipeline.params_file import apply_overrides, load_params
from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.tracking.translator_weights import load_translator_weights
from pipeline.train_config import TrainConfig
from pipeline.train_outputs import MODEL_FILE, RUN_FILE
from pipeline.translation_eval import (
    constant_colour_baseline,
    paired_split,
    pixel_accuracy_on_pairs,
)
from unit_core.typed_config import build, require

log = logging.getLogger("pipeline.evaluate")


@dataclass(frozen=True)
class EvaluateConfig:
    """Typed `evaluate:` section."""

    output: str = "evaluation/translation"
    direction: Literal["a2b", "b2a"] = "a2b"  # a2b on aerial_maps: aerial -> map, as the paper
    threshold: int = 16  # colour difference counted as correct (0..255 levels, every channel)
    register: bool = True  # register the model and move @champion when val improves

    def validate(self, prefix: str = "") -> None:
        require(
            0 <= self.threshold <= 255,
            prefix + "threshold",
            f"must be in 0..255, got {self.threshold}",
        )


def evaluate(params: dict[str, Any]) -> dict[str, Any]:
    """Score the model `pipeline train` wrote; return the metrics written to metrics.json."""
    cfg = build(EvaluateConfig, params.get("evaluate"), "evaluate.")
    train = TrainConfig.from_dict(params.get("train"))
    run_file, model_file = Path(train.output) / RUN_FILE, Path(train.output) / MODEL_FILE
    if not run_file.is_file() or not model_file.is_file():
        raise ValueError(
            f"{train.output}: no trained model (missing {RUN_FILE} or {MODEL_FILE}); run `dvc repro train`"
        )
    trained = json.loads(run_file.read_text())
    translator, _ = load_translator_weights(model_file)
    manifest = load_manifest(trained["manifest"])
    splits = [s for s in ("val", "test") if s in manifest.paired_splits]
    if not splits:
        raise ValueError(f"{trained['manifest']}: dataset has no paired val/test split to score")
    metrics: dict[str, Any] = {}
    for split in splits:
        pairs = paired_split(manifest, split)
        metrics[f"{split}_pixel_accuracy"] = pixel_accuracy_on_pairs(
            translator, pairs, cfg.direction, cfg.threshold
        )
        target = pairs[1] if cfg.direction == "a2b" else pairs[0]
        target_domain = "b" if cfg.direction == "a2b" else "a"
        metrics[f"{split}_constant_colour_baseline"] = constant_colour_baseline(
            manifest, target, target_domain, cfg.threshold
        )
        metrics[f"{split}_images"] = len(pairs[0])
        log.info("%s pixel accuracy (%s, threshold %d): %.4f", split, cfg.direction, cfg.threshold,
                 metrics[f"{split}_pixel_accuracy"])  # fmt: skip
    metrics.update(direction=cfg.direction, threshold=cfg.threshold, step=trained["step"])
    output = Path(cfg.output)
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(
        output / "metrics.json", lambda tmp: tmp.write_text(json.dumps(metrics, indent=1) + "\n")
    )
    _track(params, trained, metrics, cfg)
    return metrics


def _track(
    params: dict[str, Any], trained: dict[str, Any], metrics: dict[str, Any], cfg: EvaluateConfig
) -> None:
    """Log eval numbers to the training's MLflow run; register and maybe crown the model."""
    tracking = TrackingConfig.from_dict(params.get("tracking"))
    run = TrainingRun.start(tracking, trained["run_name"], run_id=trained["mlflow_run_id"])
    try:
        numeric = {k: v for k, v in metrics.items() if k.endswith(("_pixel_accuracy", "_baseline"))}
        run.log_metrics(numeric, trained["step"])
        if cfg.register and "val_pixel_accuracy" in metrics:
            reg = run.register(trained["mlflow_model_uri"], metrics["val_pixel_accuracy"])
            metrics["registered_version"] = reg.version
            metrics["champion"] = reg.is_champion
            log.info(
                "registered %s version %s%s",
                reg.name,
                reg.version,
                " (@champion)" if reg.is_champion else "",
            )
    finally:
        run.end("FINISHED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Evaluate the trained translator (DVC stage `evaluate`)."
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        metrics = evaluate(apply_overrides(load_params(args.params), args.set))
    except (ValueError, RuntimeError) as err:
        log.error("%s", err)
        return 2
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
