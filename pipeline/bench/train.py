"""Benchmark of the train stage: throughput, data wait and memory for 1..N Ray Train workers.

    python -m pipeline.bench.train                          # 1 and 2 workers, 60 steps, params.yaml
    python -m pipeline.bench.train --workers 1 2 --steps 60 --set tracking.log_every=10 \
        --json bench_train.json
    RAY_ADDRESS=<head:port> python -m pipeline.bench.train ...   # on a running cluster

Each worker count runs the real stage (`python -m pipeline.train`, i.e. `pipeline.train.__main__.main`)
in a fresh process, so the wall time includes Python, Ray and MLflow start-up and nothing
carries over between counts. Outputs, Ray storage and a sqlite MLflow store go to a scratch
folder, under a unique run name, so a benchmark never resumes or pollutes a real run
(`--set` values given here win: e.g. a shared `train.checkpoint.storage_path` on a multi-node
cluster). Without RAY_ADDRESS the stage starts a private local Ray (`RAY_ADDRESS=local`), never
one found on the machine. With `train.scaling.use_gpu: auto` it trains on GPUs when present;
a worker count larger than the local GPU count is skipped (one GPU per worker).

Each run's wall time is also split (Ray start, per-fit overhead, training, evaluation,
tracking, checkpoints; `time_split`) from the stage's logged timings and rank 0's
`loop_seconds` in the run record (`<train.output>.run.json`, `pipeline.io.run_outputs`).

Figures come from the run record's `throughput` (rank 0 logs every `tracking.log_every`
steps). The first logged window is dropped as warm-up (first-step allocations, DDP set-up,
cold caches); the remaining windows are pooled weighted by their time. Caveats: per-worker
figures are rank 0's (ranks run in lock-step under DDP); peak RSS is rank 0's host memory;
a window's time also holds rank 0's logging and validation of the previous log step.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pipeline.io.params_file import apply_overrides, load_params
from pipeline.io.run_outputs import load_trained
from pipeline.train.config import TrainConfig

log = logging.getLogger("pipeline.bench.train")

COLUMNS = (  # (key, header, format)
    ("workers", "workers", "{:d}"),
    ("steps_per_s", "steps/s", "{:.2f}"),
    ("images_per_s_per_worker", "img/s/worker", "{:.1f}"),
    ("images_per_s", "img/s total", "{:.1f}"),
    ("data_wait_fraction", "data wait", "{:.1%}"),
    ("peak_rss_mb", "peak RSS MB/worker", "{:.0f}"),
    ("wall_s", "wall s", "{:.1f}"),
    ("speedup", "speed-up", "{:.2f}"),
    ("efficiency", "efficiency", "{:.0%}"),
)


def summarize(history: list[dict[str, Any]], batch_size: int, workers: int) -> dict[str, Any]:
    """Pool the logged windows after the first (warm-up) into one row, weighted by time.

    Each record holds the window's throughput since the previous record; a step is
    `2 * batch_size` images per worker (a batch of each domain).
    """
    if not history:
        raise ValueError("the run logged no history (is tracking.log_every > train.steps?)")
    dropped = len(history) > 1
    windows = history[1:] if dropped else history
    previous = history[0]["step"] if dropped else 0
    steps = seconds = waited = 0.0
    for record in windows:
        n = record["step"] - previous
        previous = record["step"]
        window_s = 2 * batch_size * n / record["images_per_s_per_worker"]
        steps += n
        seconds += window_s
        waited += record["data_wait_fraction"] * window_s
    per_worker = 2 * batch_size * steps / seconds
    return {
        "workers": workers,
        "warmup_steps": history[0]["step"] if dropped else 0,
        "measured_steps": int(steps),
        "steps_per_s": steps / seconds,
        "images_per_s_per_worker": per_worker,
        "images_per_s": per_worker * workers,
        "data_wait_fraction": waited / seconds,
        "peak_rss_mb": max(record["peak_rss_mb"] for record in history),
    }


def add_scaling(rows: list[dict[str, Any]]) -> None:
    """speed-up = total img/s ÷ the 1-worker img/s; efficiency = speed-up ÷ workers."""
    base = next((row for row in rows if row["workers"] == 1), None)
    for row in rows:
        if base is not None:
            row["speedup"] = row["images_per_s"] / base["images_per_s"]
            row["efficiency"] = row["speedup"] / row["workers"]


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table, one row per worker count; a missing figure shows as '-'."""
    cells = [[header for _, header, _ in COLUMNS]]
    for row in rows:
        cells.append([fmt.format(row[key]) if key in row else "-" for key, _, fmt in COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


SPLIT = (  # (key, header) of the wall-time split, in the order a run spends it
    ("start_and_imports", "python+imports"),
    ("preflight", "preflight"),
    ("ray_start", "Ray import+start"),
    ("fit_overhead", "per-fit overhead"),
    ("training", "training"),
    ("evaluation", "evaluation"),
    ("tracking", "tracking"),
    ("checkpoint", "checkpoints"),
    ("other", "other"),
)


def time_split(wall: float, driver: dict[str, float], loop: dict[str, float]) -> dict[str, float]:
    """Where a stage's wall time went, in seconds (the keys of SPLIT; they add up to `wall`).

    driver: `pipeline.train`'s logged timings; loop: rank 0's `loop_seconds` (the run record).
    per-fit overhead = Ray Train's fit minus what rank 0's loop accounts for: worker start-up,
    process group, model build and data load (`worker_setup`, also reported alone), the final
    checkpoint's upload and teardown. tracking = MLflow run start and end, metric and image
    logging in the loop, and the model export + registry logging after fit.
    """
    in_loop = sum(loop.get(k, 0.0) for k in ("train_steps", "data_wait", "evaluation",
                                             "tracking", "checkpoint"))  # fmt: skip
    tracking = (driver.get("tracking_start", 0.0) + loop.get("tracking", 0.0)
                + driver.get("export_and_model_logging", 0.0) + driver.get("tracking_end", 0.0))  # fmt: skip
    split = {
        "start_and_imports": wall - driver.get("main_total", wall),
        "preflight": driver.get("preflight", 0.0),
        "ray_start": driver.get("ray_start", 0.0),
        "fit_overhead": driver.get("fit", 0.0) - in_loop,
        "training": loop.get("train_steps", 0.0) + loop.get("data_wait", 0.0),
        "evaluation": loop.get("evaluation", 0.0),
        "tracking": tracking,
        "checkpoint": loop.get("checkpoint", 0.0),
    }
    split["other"] = wall - sum(split.values())  # trainer set-up, GPU query, rounding
    return split | {"worker_setup": loop.get("worker_setup", 0.0)}


def read_driver_timings(log_text: str) -> dict[str, float]:
    """The `stage timings (s): {...}` line `pipeline.train` logs at the end ({} if absent)."""
    from pipeline.train.__main__ import TIMINGS_LOG_PREFIX

    for line in reversed(log_text.splitlines()):
        if TIMINGS_LOG_PREFIX in line:
            return json.loads(line.split(TIMINGS_LOG_PREFIX, 1)[1])
    return {}


def format_split(rows: list[dict[str, Any]]) -> str:
    """One line per worker count: seconds per part of the wall time, and training's share."""
    lines = []
    for row in rows:
        split = row.get("split")
        if not split:
            continue
        parts = ", ".join(f"{header} {split[key]:.1f}" for key, header in SPLIT)
        share = split["training"] / row["wall_s"] if row["wall_s"] else 0.0
        lines.append(f"{row['workers']}w wall {row['wall_s']:.1f} s = {parts} "
                     f"(worker set-up {split['worker_setup']:.1f} of the overhead); "
                     f"training is {share:.0%}")  # fmt: skip
    return "\n".join(lines)


def bench_overrides(workers: int, steps: int, scratch: Path) -> list[str]:
    """Where one benchmark run writes, and a run name no earlier run can share."""
    return [
        f"train.scaling.num_workers={workers}",
        f"train.steps={steps}",
        f"train.run_name=bench-w{workers}-{uuid.uuid4().hex[:8]}",
        f"train.output={scratch / 'out'}",
        f"train.checkpoint.storage_path={scratch / 'ray_results'}",
        f"tracking.tracking_uri=sqlite:///{scratch / 'mlflow.db'}",
    ]


def gpus_short_for(train: TrainConfig) -> int | None:
    """Local GPU count when this run would want more GPUs than there are, else None."""
    if os.environ.get("RAY_ADDRESS", "local") != "local" or train.scaling.use_gpu == "false":
        return None  # a cluster's GPUs are not ours to count
    import torch

    gpus = torch.cuda.device_count()
    wants_gpu = train.scaling.use_gpu == "true" or gpus > 0
    return gpus if wants_gpu and train.scaling.num_workers > gpus else None


def stage_args(
    params_file: Path, overrides: list[str], extra_args: tuple[str, ...] = ()
) -> list[str]:
    """The train stage's command-line arguments: `--params FILE`, then `extra_args` (e.g.
    ("--section", "adapt", "--preset", FILE)), then a `--set` per override."""
    args = ["--params", str(params_file), *extra_args]
    for item in overrides:
        args += ["--set", item]
    return args


def run_stage(params_file: Path, overrides: list[str], scratch: Path) -> float:
    """`python -m pipeline.train` in a fresh process; returns its wall time in seconds."""
    env = dict(os.environ)
    env.setdefault("RAY_ADDRESS", "local")  # start a private Ray, never attach to a found one
    env.pop("MLFLOW_TRACKING_URI", None)  # it would override the scratch store
    command = [sys.executable, "-m", "pipeline.train", *stage_args(params_file, overrides)]
    log_path = scratch / "train.log"
    start = time.perf_counter()
    with log_path.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-40:])
        raise RuntimeError(f"train stage failed (exit {done.returncode}):\n{tail}")
    return wall


def bench_one(params_file: Path, sets: list[str], workers: int, steps: int, scratch: Path):
    """One worker count: run the stage and summarise its history (None when skipped)."""
    scratch.mkdir(parents=True)
    overrides = bench_overrides(workers, steps, scratch) + sets
    params = apply_overrides(load_params(params_file), overrides)
    train = TrainConfig.from_dict(params.get("train"))
    gpus = gpus_short_for(train)
    if gpus is not None:
        log.warning("skipping %d workers: %d GPU(s) here, one per worker", workers, gpus)
        return None
    log.info("%d worker(s), %d steps (log: %s)", workers, steps, scratch / "train.log")
    wall = run_stage(params_file, overrides, scratch)
    summary = load_trained(train.output)  # train_run.json and the run record beside it
    history = summary["throughput"]
    if summary["num_workers"] != workers or summary["step"] != steps:
        raise RuntimeError(f"run did {summary['step']} steps on {summary['num_workers']} workers")
    split = time_split(
        wall, read_driver_timings((scratch / "train.log").read_text()),
        summary.get("loop_seconds", {}),
    )  # fmt: skip
    return {**summarize(history, train.batch_size, workers), "wall_s": wall, "split": split}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the train stage per worker count.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params value (repeatable), e.g. tracking.log_every=10")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="bench-train-"))
    rows = []
    try:
        for workers in args.workers:
            row = bench_one(args.params, args.set, workers, args.steps, root / f"w{workers}")
            if row is not None:
                rows.append(row)
    finally:
        if args.keep:
            log.info("scratch kept in %s", root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    add_scaling(rows)
    report = {
        "params": str(args.params),
        "overrides": args.set,
        "steps": args.steps,
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "results": rows,
    }
    warmup = ", ".join(f"{r['workers']}w: {r['warmup_steps']}" for r in rows)
    print(format_table(rows))
    print(f"warm-up dropped (first logged window, steps per run): {warmup}")
    print("wall-time split (s; installing .venv is apart: ~2.5 min once, README):")
    print(format_split(rows))
    print("load average before/after: {:.2f} {:.2f} {:.2f} / {:.2f} {:.2f} {:.2f}".format(
        *load_before, *report["load_average_after"]))  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
