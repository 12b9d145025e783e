"""Stage `tune`: a Ray Tune sweep whose trials are Ray Train runs of our loop, tracked in MLflow.

    python -m pipeline.tune [--params params.yaml] [--set tune.steps=100 ...]
    python -m pipeline.tune --set tune.preset=ablation --set tune.output=outputs/ablation
    dvc repro sweeps/dvc.yaml:tune        # (or :ablation) — kept out of the default `dvc repro`
    ray job submit --working-dir . -- python -m pipeline.tune   # cluster needs `trial_slot`s

Concurrency: every trial holds one `trial_slot` custom resource (and no CPU), its Train
workers hold real CPUs. A local Ray gets `max_concurrent_trials` slots and enough logical CPUs
for that many trials' workers, so a started trial can always place its workers — CPU
fractions for the trial actor itself deadlock Tune-over-Train (docs/architecture.md).
The dashboard stays on: without it a finished trial's placement group is never freed.

The Tune experiment is named `tune.name` plus a hash of the sweep's inputs. Rerunning the same
params restores it (`Tuner.restore`): finished and failed trials are kept, interrupted ones
resume from their Train checkpoint; changed params start a new sweep. Ctrl+C (SIGINT) makes
Tune save its state: the command then exits with 3 and the same command resumes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from pipeline.io.os_faults import names_storage_faults
from pipeline.io.params_file import load_run_params, stage_prog
from pipeline.tune.sweep import SweepInterrupted, run_sweep

log = logging.getLogger("pipeline.tune")

EXIT_INTERRUPTED = 3  # Ctrl+C: state saved, the same command resumes


@names_storage_faults(log)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=stage_prog("pipeline.tune"), description="Ray Tune sweep over UNIT (DVC stage `tune`).")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params value, e.g. --set tune.steps=50 (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        summary = run_sweep(load_run_params(args.params, overrides=args.set))
    except SweepInterrupted as err:
        log.warning("%s", err)
        return EXIT_INTERRUPTED
    except (ValueError, RuntimeError) as err:  # ConfigError, DataError, TrackingError
        log.error("%s", err)
        return 2
    print(json.dumps(summary, indent=1))
    return 0 if summary["best"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
