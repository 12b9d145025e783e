"""Time to quality: for each default experiment, the seconds of training until the method first
beats its baseline on its display curve, beside its steps/s. This is the figure a user feels.

    python -m pipeline.bench.time_to_quality            # after `make repro`, from its outputs

It reads what a training run already wrote: the curves of `<output>/train_history.json` and the
per-window throughput of the run record beside it (`<output>.run.json`, `pipeline.io.run_outputs`).
Seconds are rank 0's training loop: its worker set-up plus every logged window up to the first
crossing (a window's time is its steps x 2 domains x batch ÷ its images/s per worker). Ray's and
MLflow's start before the loop are not in it (`python -m pipeline.bench.train` splits those).

A curve is only as fine as `tracking.log_every`: the crossing is the first *logged* step where
the method is above the baseline. An experiment without a display curve during training
(digit translation: scored once, by `evaluate`) says so instead of inventing a time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.io.params_file import load_params
from pipeline.io.run_outputs import HISTORY_FILE, run_record_path

# section -> (method curve, baseline curve): the display curves each default experiment logs
CURVES = {
    "adapt": ("display_target_accuracy", "display_baseline_target_accuracy"),
    "train_digits": None,  # no labelled curve during training; evaluate scores the final model
}


def time_to_quality(
    history: list[dict[str, Any]], record: dict[str, Any], batch_size: int,
    method: str, baseline: str,
) -> dict[str, Any]:  # fmt: skip
    """{crossing_step, seconds_to_quality, steps_per_s, final_step}; crossing None if never."""
    windows = {row["step"]: row for row in record.get("throughput", [])}
    elapsed = float(record.get("loop_seconds", {}).get("worker_setup", 0.0))
    seconds_at: dict[int, float] = {}
    previous = 0
    for step in sorted(windows):
        rate = windows[step].get("images_per_s_per_worker") or 0.0
        elapsed += (step - previous) * 2 * batch_size / rate if rate > 0 else 0.0
        seconds_at[step], previous = elapsed, step
    loop = record.get("loop_seconds", {})
    steps_per_s = previous / loop["train_steps"] if loop.get("train_steps") else None
    crossing = next(
        (row["step"] for row in history
         if method in row and baseline in row and row[method] > row[baseline]),
        None,
    )  # fmt: skip
    return {
        "crossing_step": crossing,
        "seconds_to_quality": None if crossing is None else round(seconds_at.get(crossing, 0.0), 1),
        "steps_per_s": None if steps_per_s is None else round(steps_per_s, 2),
        "final_step": history[-1]["step"] if history else 0,
    }


def report(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One entry per default experiment (its params section)."""
    out: dict[str, dict[str, Any]] = {}
    for section, curves in CURVES.items():
        output = Path(params[section]["output"])
        history_file, record_file = output / HISTORY_FILE, run_record_path(output)
        if curves is None:
            out[section] = {"note": "no display curve during training (scored once by evaluate)"}
        elif not history_file.is_file() or not record_file.is_file():
            out[section] = {"note": f"no trained output: {history_file} or {record_file} missing "
                                    "(run `make repro` first)"}  # fmt: skip
        else:
            history = json.loads(history_file.read_text())
            record = json.loads(record_file.read_text())
            batch = int(params[section]["batch_size"])
            out[section] = {"method": curves[0], "baseline": curves[1],
                            **time_to_quality(history, record, batch, *curves)}  # fmt: skip
    return out


def format_report(rows: dict[str, dict[str, Any]]) -> str:
    lines = []
    for section, row in rows.items():
        if "note" in row:
            lines.append(f"{section}: {row['note']}")
        elif row["crossing_step"] is None:
            lines.append(f"{section}: never above its baseline in {row['final_step']} steps "
                         f"({row['steps_per_s']} steps/s)")  # fmt: skip
        else:
            lines.append(
                f"{section}: {row['method']} first above {row['baseline']} at step "
                f"{row['crossing_step']}, {row['seconds_to_quality']} s of training "
                f"({row['steps_per_s']} steps/s; {row['final_step']} steps in all)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    args = parser.parse_args(argv)
    rows = report(load_params(args.params))
    print(format_report(rows))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
