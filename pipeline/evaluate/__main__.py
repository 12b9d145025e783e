"""Stage `evaluate`: score what `unit-pipeline train --section S` trained, by its task.

    python -m pipeline.evaluate [--section train|train_digits|adapt] [--params params.yaml] [--set k=v]
    dvc repro evaluate_digits evaluate_adaptation      # the default job's evaluations
    dvc repro experiments/dvc.yaml:evaluate_maps      # the maps

- translation (UNIT or MUNIT): the paper's map protocol — translate every paired split (`val`,
  `test`) a -> b (aerial -> map) deterministically (UNIT z = mu, MUNIT the prior's mean style)
  and count pixels within `threshold` of the true map, next to the constant-colour baseline;
  and the diversity of `diversity_samples` sampled translations per image (0 for UNIT, which
  is unimodal). The model is registered and `@champion` is decided on the **validation** split
  only: choosing by the test split would bias the reported test number.
- digit_translation: pixel-level adaptation, content kept and looks-like-target in both
  directions (`pipeline.tasks.digit_translation_eval`); registered under the section's
  `registered_model`, newest version @champion (a fixed budget: nothing to select on).
- adaptation: target and source test accuracy of the adapted classifier and of the
  source-only baseline trained in the same run (`pipeline.tasks.adaptation_eval`).

Writes `<output_root>/<name of the train output folder>/metrics.json` (DVC metrics:
`evaluation/digit_translation`, `evaluation/adaptation`, `evaluation/translation`, …) and logs the same
numbers to the training's MLflow run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pipeline.data.shard_reader import load_manifest
from pipeline.io.atomic import write_atomic
from pipeline.io.os_faults import names_storage_faults
from pipeline.io.params_file import load_run_params, stage_prog
from pipeline.io.run_outputs import load_trained
from pipeline.tasks import TASKS
from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.train.config import TrainConfig
from unit_core.typed_config import TypedConfig, require

log = logging.getLogger("pipeline.evaluate")


@dataclass(frozen=True)
class EvaluateConfig(TypedConfig):
    """Typed `evaluate:` section."""

    default_prefix: ClassVar[str] = "evaluate."

    output_root: str = "evaluation"  # metrics land in <output_root>/<train output name>/
    direction: Literal["a2b", "b2a"] = "a2b"  # a2b on aerial_maps: aerial -> map, as the paper
    threshold: int = 16  # colour difference counted as correct (0..255 levels, every channel)
    diversity_samples: int = 4  # sampled translations per image for the diversity metric
    register: bool = True  # register the model and move @champion when val improves
    # Steps of each scoring classifier of the digit protocols (pipeline/tasks/digit_translation_eval.py)
    scoring_steps: int = 500
    # Accuracy each of those classifiers must reach on its own test split, else evaluate stops
    scoring_floor: float = 0.85

    def validate(self, prefix: str = "") -> None:
        require(
            self.scoring_steps >= 1,
            prefix + "scoring_steps",
            f"must be >= 1, got {self.scoring_steps}",
        )
        require(
            0 <= self.scoring_floor <= 1,
            prefix + "scoring_floor",
            f"must be in 0..1, got {self.scoring_floor}",
        )
        require(
            0 <= self.threshold <= 255,
            prefix + "threshold",
            f"must be in 0..255, got {self.threshold}",
        )
        require(
            self.diversity_samples >= 2,
            prefix + "diversity_samples",
            f"must be >= 2 (distances between pairs), got {self.diversity_samples}",
        )


@dataclass(frozen=True)
class EvaluateSettings:
    """Every params value `evaluate` reads, parsed once (DVC lists these sections as params)."""

    evaluate: EvaluateConfig
    train: TrainConfig  # the `--section` of the trained run: where its output is, its task
    tracking: TrackingConfig

    @classmethod
    def from_params(cls, params: dict[str, Any], section: str = "train") -> EvaluateSettings:
        return cls(
            evaluate=EvaluateConfig.from_dict(params.get("evaluate")),
            train=TrainConfig.from_dict(params.get(section), prefix=f"{section}."),
            tracking=TrackingConfig.from_dict(params.get("tracking")),
        )


def evaluate(params: dict[str, Any], section: str = "train") -> dict[str, Any]:
    """Score the model `unit-pipeline train --section` wrote; return the metrics in metrics.json."""
    settings = EvaluateSettings.from_params(params, section)
    cfg, train = settings.evaluate, settings.train
    try:  # the output's train_run.json and the run record beside it (MLflow run id, manifest)
        trained = load_trained(train.output)
    except ValueError as err:
        raise ValueError(f"{err}; run `python -m pipeline.train --section {section}`") from None
    manifest = load_manifest(trained["manifest"])
    metrics = TASKS[train.task].evaluate(Path(train.output), manifest, cfg)
    metrics["step"] = trained["step"]
    output = Path(cfg.output_root) / Path(train.output).name
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(
        output / "metrics.json", lambda tmp: tmp.write_text(json.dumps(metrics, indent=1) + "\n")
    )
    _track(settings.tracking, trained, metrics, cfg, train.registered_model or None)
    return metrics


def _track(
    tracking: TrackingConfig,
    trained: dict[str, Any],
    metrics: dict[str, Any],
    cfg: EvaluateConfig,
    registered_name: str | None = None,
) -> None:
    """Log eval numbers to the training's MLflow run; register and maybe crown the model.

    `tracking.champion_metric` (a `val_*` metric of metrics.json) decides `@champion`.
    """
    run = TrainingRun.start(tracking, trained["run_name"], run_id=trained["mlflow_run_id"])
    try:
        numeric = {
            k: v
            for k, v in metrics.items()
            if k.endswith(("_accuracy", "_baseline", "_gain", "_diversity", "_rate", "_iou"))
        }
        run.log_evaluation(numeric, trained["step"], trained.get("mlflow_model_uri"))
        # None: the run has no validation metric (fixed budget), its newest version serves
        champion_value = metrics.get(tracking.champion_metric)
        if cfg.register and trained.get("mlflow_model_uri"):
            reg = run.register(trained["mlflow_model_uri"], champion_value, registered_name)
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


@names_storage_faults(log)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=stage_prog("pipeline.evaluate"),
        description="Evaluate a trained model (DVC stages `evaluate`, `evaluate_adaptation`)."
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--preset", action="append", default=[], metavar="FILE",
                        help="partial params file merged over --params (repeatable), e.g. presets/da_paper.yaml")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--section", default="train", help="params section of the trained run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        metrics = evaluate(load_run_params(args.params, args.preset, args.set), args.section)
    except (ValueError, RuntimeError) as err:
        log.error("%s", err)
        return 2
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
