"""Stage `train`: UNIT on Ray Train (DDP over 1..N workers), tracked in MLflow.

    python -m pipeline.train [--params params.yaml] [--set train.steps=50 ...]
    unit-pipeline train --section adapt              # the same command, installed
    dvc repro train                                  # the same, as the DVC stage
    ray job submit --working-dir . -- python -m pipeline.train --set train.manifest=s3://…

Without RAY_ADDRESS a local Ray starts in-process; with it (or under `ray job submit`) the run
goes to that cluster. Everything that can be checked before the workers start is checked here
(params, manifest, data size, S3 buckets, MLflow reachability), so bad input fails in seconds.
A run's name is `run_name` plus a hash of everything that shapes training: the same params
resume the same Ray run from its latest checkpoint; changed params start a fresh one.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from pipeline.io.os_faults import names_storage_faults
from pipeline.io.params_file import load_run_params, stage_prog
from pipeline.train.launch import fit, start_or_resume_mlflow_run
from pipeline.train.outputs import export_outputs
from pipeline.train.run import PreparedRun
from unit_core.typed_config import ConfigError

log = logging.getLogger("pipeline.train")
TIMINGS_LOG_PREFIX = "stage timings (s):"


# Sections only some runs read: a --set into one this run ignores would silently do nothing.
RUN_SECTIONS = ("train", "train_digits", "adapt")
MODEL_SECTIONS = ("unit", "unit_digits", "munit", "da")


def check_overrides_used(overrides: list[str], prepared: PreparedRun) -> None:
    """ConfigError naming a `--set` key whose section this run does not read."""
    used = {prepared.section, prepared.train.model_params}
    for item in overrides:
        key = item.partition("=")[0]
        top = key.split(".")[0]
        if top in (*RUN_SECTIONS, *MODEL_SECTIONS) and top not in used:
            raise ConfigError(
                key,
                f"this run does not read section '{top}' (--section {prepared.section}, "
                f"{prepared.section}.model_params: {prepared.train.model_params}), so the "
                "value would have no effect",
            )


@names_storage_faults(log)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=stage_prog("pipeline.train"), description="Train UNIT on Ray Train (DVC stage `train`)."
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--preset", action="append", default=[], metavar="FILE",
                        help="partial params file merged over --params (repeatable), e.g. presets/da_paper.yaml")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params value, e.g. --set train.steps=20 (repeatable)")  # fmt: skip
    parser.add_argument("--section", default="train",
                        help="params section of the run: train (translation) or adapt")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        prepared = PreparedRun(load_run_params(args.params, args.preset, args.set), args.section)
        check_overrides_used(args.set, prepared)
    except (ValueError, RuntimeError) as err:  # ConfigError, DataError, TrackingError
        log.error("%s", err)
        return 2
    timings["preflight"] = time.perf_counter() - clock
    run = start_or_resume_mlflow_run(prepared)
    timings["tracking_start"] = time.perf_counter() - clock - timings["preflight"]
    try:
        result = fit(prepared, run, timings=timings)
        exported = time.perf_counter()
        summary = export_outputs(prepared, result, run)
        timings["export_and_model_logging"] = time.perf_counter() - exported
    except BaseException:
        run.end("FAILED")
        raise
    ended = time.perf_counter()
    run.end("FINISHED")
    timings["tracking_end"] = time.perf_counter() - ended
    timings["main_total"] = time.perf_counter() - clock
    log.info("%s %s", TIMINGS_LOG_PREFIX, json.dumps(timings))  # read by pipeline.bench.train
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
