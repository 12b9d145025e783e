"""The whole default pipeline (`dvc repro` of ./dvc.yaml) in a scratch copy, on tiny data.

What a newcomer's `make repro` leaves behind — MLflow runs in `mlflow.db`, the DVC outputs the
plots read, `evaluation/*/metrics.json` — in seconds-to-minutes instead of a quarter hour:
both datasets shrunk to a few dozen images, both models to a few channels, 4 training steps on
one Ray worker. DVC runs every stage command itself, so `$DVC_STAGE` and the stage environment
are the real ones. The project's `.dvc/config` and `plots/` come along (the offline plots page).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.pipeline.data.tiny_params import digits_params

REPO = Path(__file__).resolve().parents[2]
STEPS = 4
OFFLINE_TEMPLATE = "plots/offline.html"  # .dvc/config: plots.html_template


def dvc_command() -> Path | None:
    """The project's `dvc` beside this interpreter, or None where it is not installed."""
    dvc = Path(sys.executable).with_name("dvc")
    return dvc if dvc.exists() else None


def dvc_env(**extra: str) -> dict[str, str]:
    """The environment `make repro` gives DVC: the venv first on PATH, no telemetry."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": path, **extra}
    env.pop("RAY_ADDRESS", None)  # each stage starts its own private local Ray
    env.pop("MLFLOW_TRACKING_URI", None)  # the project's default: sqlite:///mlflow.db here
    return env


def run_dvc(work: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """`dvc ARGS` in `work` to its end; its output, AssertionError with it if it fails."""
    return finish_dvc(start_dvc(work, *args, env=env))


def start_dvc(work: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`dvc ARGS` in `work`, started and not waited for; `finish_dvc` waits and checks it."""
    dvc = dvc_command()
    assert dvc is not None, "dvc is not installed"
    return subprocess.Popen(
        [str(dvc), *args], cwd=work, env=env or dvc_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def finish_dvc(proc: subprocess.Popen, timeout: float = 900) -> str:
    """Wait for a `start_dvc` process; its output, AssertionError with it if it failed."""
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(proc.args)}:\n{output}"[-6000:]
    return output


def tiny_repro_project(work: Path) -> str:
    """Fill `work` with the code, dvc.yaml, plots/ and tiny params, commit it to a fresh git
    repository (so runs carry a code version) and `dvc init`; returns the commit."""
    for name in ("pipeline", "unit_core", "plots"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    (work / "params.yaml").write_text(yaml.safe_dump(tiny_params(work)))
    commit = _git_commit_all(work)
    run_dvc(work, "init", "-q")
    template = f"../{OFFLINE_TEMPLATE}"  # relative to .dvc/, as in the project's .dvc/config
    run_dvc(work, "config", "plots.html_template", template)
    return commit


def _git_commit_all(work: Path) -> str:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=work, capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qm", "scratch")
    return git("rev-parse", "HEAD")


def tiny_params(work: Path) -> dict[str, Any]:
    """The project's params.yaml with tiny datasets, models and schedules."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    datasets = params["prepare"]["datasets"]
    raw = work / "data" / "raw" / "digits"
    digits = digits_params(raw, "data/shards/digits")["prepare"]["datasets"]["toy"]
    datasets["digits"] = {**digits, "source_root": "data/raw/digits"}
    maps = datasets["aerial_maps"]
    maps["image_size"] = 32
    maps["pairs"]["splits"] = {"train": {"count": 16}, "val": {"count": 8}, "test": {"count": 8}}
    params["unit"]["model"].update(
        base_channels=4, dis_base_channels=4, dis_layers=3, n_res_blocks=2
    )
    params["da"]["model"].update(base_channels=4, dis_base_channels=4, latent_channels=8)
    params["unit_digits"]["model"].update(
        base_channels=4, dis_base_channels=4, dis_layers=3, n_res_blocks=2
    )
    # a few dozen digits cannot train a scorer to the real floor: score them all the same
    params["evaluate"].update(scoring_steps=4, scoring_floor=0.0)
    for section in ("train", "train_digits", "adapt"):
        params[section].update(steps=STEPS, batch_size=2)
        params[section]["scaling"]["num_workers"] = 1
        params[section]["checkpoint"]["every"] = 2
    params["tracking"].update(log_every=1, images_every=2)
    return params
