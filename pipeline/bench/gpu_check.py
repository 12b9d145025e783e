"""One-command device check for the first GPU: `scripts/gpu_check.sh` (or `make gpu-check`).

    python -m pipeline.bench.gpu_check                 # CUDA: full check (<= 10 min); else CPU smoke
    python -m pipeline.bench.gpu_check --smoke         # the tiny CPU smoke, also on a GPU machine
    python -m pipeline.bench.gpu_check --json out.json --budget-s 540

Sections, in order (each reported with `ok` and its figures; any failure -> exit code 1):

1. `cuda_tests`: the unit tests that have a CUDA variant (`pytest -m cuda`) on CUDA;
2. `cuda_vs_cpu`: one UNIT, MUNIT and DA step (fp32, TF32 off, no random draws) on CUDA and
   on CPU from the same seed: every loss term within `LOSS_RTOL`;
3. `bf16_stability`: 200 bf16 autocast steps of UNIT and DA, all losses finite;
4. `throughput`: steps/s and peak memory at paper width, 256x256 batch 1 (UNIT) and 32x32
   batch 64 (DA), for fp32 / bf16 / bf16+channels_last / +torch.compile;
5. `ray_train`: the real `pipeline.train` stage, 1 Ray Train worker, `use_gpu: true` (nccl),
   50 steps, in a scratch folder;
6. `da_paper_preset`: `presets/da_paper_mnist_usps.yaml` for as many steps as the budget has
   left, printing the target-accuracy curve (display-only test accuracy).

Without CUDA it says so and runs the smoke: the same sections at tiny sizes, a few steps
each, Ray on CPU, and exits 0 when they pass. The two stage sections run the stage's `main` in
this process, so they share one private local Ray (the first starts it): a second Ray start and
two interpreter start-ups tested nothing the first did not (the CPU smoke alone: 65 -> 54 s,
74 -> 64 CPU-seconds on a 2-core VM). Nothing is written outside a scratch folder:
the stages' datasets are prepared there from the embedded sources (a few seconds), since a
copied working tree (the device machine's) has no `data/shards`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from pipeline.bench.gpu_check_steps import (
    GPU_SIZES,
    SMOKE_SIZES,
    Sizes,
    bf16_stability,
    compare_devices,
    throughput,
)
from pipeline.bench.train import stage_args
from unit_core.cpu_threads import apply_cpu_threads

log = logging.getLogger("pipeline.bench.gpu_check")
REPO = Path(__file__).resolve().parents[2]
DA_PRESET = REPO / "presets" / "da_paper_mnist_usps.yaml"


class Check:
    """The run's settings, clock and scratch folder."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.cuda = torch.cuda.is_available() and not args.smoke
        self.device = torch.device("cuda" if self.cuda else "cpu")
        self.sizes: Sizes = GPU_SIZES if self.cuda else SMOKE_SIZES
        self.params = args.params
        self.budget_s = args.budget_s
        self.start = time.monotonic()
        self.scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
        self.ray_steps = 50 if self.cuda else 2
        self.da_steps_per_s: float | None = None

    def left_s(self) -> float:
        return self.budget_s - (time.monotonic() - self.start)


def cuda_tests(check: Check) -> dict[str, Any]:
    """`pytest -m cuda` on CUDA; on the smoke, the same tests' CPU variants (`-m cuda_variant`)."""
    marker = "cuda" if check.cuda else "cuda_variant and not cuda"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker,
               str(REPO / "tests")]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    return {"ok": done.returncode == 0, "marker": marker, "summary": summary,
            **({} if done.returncode == 0 else {"tail": done.stdout[-3000:]})}  # fmt: skip


def stage_overrides(section: str, steps: int, scratch: Path, use_gpu: bool) -> list[str]:
    """A private scratch run of a `pipeline.train` section: 1 worker, unique name, own stores."""
    return [
        f"{section}.scaling.num_workers=1",
        f"{section}.scaling.use_gpu='{'true' if use_gpu else 'false'}'",  # a string, not a bool
        f"{section}.steps={steps}",
        f"{section}.run_name=gpu-check-{uuid.uuid4().hex[:8]}",
        f"{section}.output={scratch / 'out'}",
        f"{section}.checkpoint.storage_path={scratch / 'ray_results'}",
        f"{section}.checkpoint.every={steps}",
        f"tracking.tracking_uri=sqlite:///{scratch / 'mlflow.db'}",
    ]


def prepared_shards(check: Check, section: str, preset: Path | None) -> Path:
    """The section's dataset prepared into the scratch folder (once per dataset)."""
    from pipeline.data.write_dataset import prepare_dataset
    from pipeline.io.params_file import load_run_params

    params = load_run_params(check.params, [preset] if preset else [])
    dataset = params[section]["dataset"]
    output = check.scratch / "shards" / dataset
    if not (output / "manifest.json").exists():
        prepare_dataset(params, dataset, str(output), progress=False)
    return output


def run_section_stage(
    check: Check, name: str, section: str, steps: int, extra: list[str], preset: Path | None = None
) -> tuple[float, list[dict[str, Any]], dict[str, Any]]:
    """Run the stage on `section`; (wall s, train_history.json, train_run.json + run record)."""
    from pipeline.io.run_outputs import HISTORY_FILE, load_trained
    from pipeline.train.__main__ import main as train_main

    scratch = check.scratch / name
    scratch.mkdir()
    overrides = stage_overrides(section, steps, scratch, check.cuda) + extra
    overrides.append(f"{section}.manifest={prepared_shards(check, section, preset)}")
    args = ("--section", section, *(("--preset", str(preset)) if preset else ()))
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # it would override the scratch store
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only this check's report
        code = train_main(stage_args(check.params, overrides, args))
    wall = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"train stage failed (exit {code}); its log is above")
    history = json.loads((scratch / "out" / HISTORY_FILE).read_text())
    summary = load_trained(scratch / "out")
    return wall, history, summary


def ray_train(check: Check) -> dict[str, Any]:
    """The translation stage on 1 Ray Train worker (GPU when CUDA), `ray_steps` steps."""
    steps = check.ray_steps
    every = max(1, steps // 5)
    wall, _, summary = run_section_stage(
        check, "ray_train", "train", steps, [f"tracking.log_every={every}"]
    )
    rates = [r["images_per_s_per_worker"] for r in summary["throughput"][1:]] or [0.0]
    return {"ok": summary["step"] == steps, "steps": summary["step"], "wall_s": wall,
            "use_gpu": check.cuda, "images_per_s_after_first_window": max(rates)}  # fmt: skip


def da_paper_preset(check: Check) -> dict[str, Any]:
    """The paper DA preset for the steps the budget has left; the target-accuracy curve."""
    steps = 2
    if check.cuda:
        rate = check.da_steps_per_s or 5.0
        # Leave ~90 s for Ray/MLflow start-up, the display evaluations and the export.
        steps = int(max(0.0, check.left_s() - 90) * rate * 0.7)
        if steps < 100:
            return {"ok": True, "skipped": f"{check.left_s():.0f} s left: too little time"}
    extra = [f"tracking.log_every={max(1, steps // 10)}"]
    if not check.cuda:  # the smoke: the preset's schedule and layout at the tiny width
        extra += ["adapt.batch_size=4", "da.model.base_channels=4",
                  "da.model.dis_base_channels=4", "da.model.latent_channels=8"]  # fmt: skip
    wall, history, summary = run_section_stage(check, "da_paper", "adapt", steps, extra, DA_PRESET)
    curve = [{"step": r["step"], "target_accuracy": r.get("display_target_accuracy"),
              "baseline_target_accuracy": r.get("display_baseline_target_accuracy")}
             for r in history]  # fmt: skip
    return {"ok": summary["step"] == steps, "steps": steps, "wall_s": wall, "curve": curve}


def run_throughput(check: Check) -> dict[str, Any]:
    result = throughput(check.device, check.sizes)
    da = result["adaptation_da"]["variants"]["fp32"]
    check.da_steps_per_s = da.get("steps_per_s")  # the DA preset runs fp32 at batch 64
    return result


SECTIONS: dict[str, Callable[[Check], dict[str, Any]]] = {
    "cuda_tests": cuda_tests,
    "cuda_vs_cpu": lambda c: compare_devices(c.device, c.sizes),
    "bf16_stability": lambda c: bf16_stability(c.device, c.sizes),
    "throughput": run_throughput,
    "ray_train": ray_train,
    "da_paper_preset": da_paper_preset,
}


def run_check(check: Check, only: list[str] | None = None) -> dict[str, Any]:
    """Every section (or `only`), each timed; a section that raises is a failure, not a stop."""
    report: dict[str, Any] = {
        "cuda": check.cuda,
        "device": torch.cuda.get_device_name(0) if check.cuda else "cpu (smoke: tiny sizes)",
        "torch": torch.__version__,
        "budget_s": check.budget_s,
        "sections": {},
    }
    if not torch.cuda.is_available():
        log.warning("no CUDA device: running the CPU smoke of every section (tiny sizes)")
    for name, section in SECTIONS.items():
        if only and name not in only:
            continue
        log.info("section %s (%.0f s left)", name, check.left_s())
        start = time.monotonic()
        try:
            result = section(check)
        except Exception as err:  # report it and go on: one broken section must not hide others
            result = {"ok": False, "error": f"{type(err).__name__}: {err}",
                      "traceback": traceback.format_exc()[-3000:]}  # fmt: skip
        result["seconds"] = round(time.monotonic() - start, 1)
        report["sections"][name] = result
        log.info("section %s: %s in %.1f s", name, "ok" if result["ok"] else "FAILED",
                 result["seconds"])  # fmt: skip
    report["ok"] = all(s["ok"] for s in report["sections"].values())
    report["seconds"] = round(time.monotonic() - check.start, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="tiny CPU sizes even with CUDA")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--budget-s", type=float, default=540.0,
                        help="the DA preset stops in time to finish within this")  # fmt: skip
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run these sections")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)  # fmt: skip
    check = Check(args)
    apply_cpu_threads()  # the CPU side (the smoke, the CPU reference steps): the CPUs given
    try:
        report = run_check(check, args.only)
    finally:
        if args.keep:
            log.info("scratch kept in %s", check.scratch)
        else:
            shutil.rmtree(check.scratch, ignore_errors=True)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    os.environ.setdefault("RAY_ADDRESS", "local")
    sys.exit(main())
