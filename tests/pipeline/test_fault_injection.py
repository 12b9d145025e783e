"""SIGKILL `pipeline.prepare`, `pipeline.translate` and `pipeline.train` at random moments:
nothing half-written is ever visible under a final name, and the next run succeeds.

Prepare and translate run once in full (timing it), then, per seed, are killed after a seeded
random delay between 0.2 and 1.0 times that duration, checked, and rerun to completion. The
training job (driver, its private Ray and workers: one process group) is killed at a seeded
random moment after its first checkpoint; the rerun resumes from a checkpoint step. A single
killed worker is `test_train_e2e.py::test_killed_worker_run_still_completes_at_the_final_step`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from PIL import Image

from pipeline.data.manifest import load_manifest
from pipeline.data.shard_reader import load_split
from pipeline.io.run_outputs import load_trained
from tests.pipeline.data.tiny_params import aerial_params
from tests.pipeline.train_fixtures import tiny_training_params
from tests.pipeline.translate.fixtures import save_model, unit_trainer, write_images  # noqa: F401

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
SEEDS = (0, 1)
COUNTS = {"train": 120, "val": 30, "test": 30}  # 92 shards: a kill lands mid-write often


def _env() -> dict[str, str]:
    """The stage's environment, with the stage's own Ray Train worker poll (0.5 s on a private
    Ray, pipeline/train/launch.py), not the session's 0.2 s (tests/conftest.py)."""
    quiet = {"OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1", "MLFLOW_DISABLE_TELEMETRY": "true",
             "AWS_EC2_METADATA_DISABLED": "true", "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
    env = {**os.environ, **quiet}
    env.pop("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", None)
    return env


def _run(args: list[str]) -> tuple[int, float]:
    """(exit code, seconds) of `python -m ARGS` run to completion."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=_env(),
                          capture_output=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    return done.returncode, time.monotonic() - started


def _kill_after(args: list[str], delay_s: float) -> bool:
    """Start `python -m ARGS`, SIGKILL it after `delay_s` unless it ended; True if killed."""
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=REPO, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        proc.wait(timeout=delay_s)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return True


def _assert_complete_dataset(out: Path) -> None:
    """`out` holds a whole dataset: its manifest, every shard it names and nothing else."""
    manifest = load_manifest(str(out))
    assert {d: dict(s) for d, s in manifest.counts.items()} == {"a": COUNTS, "b": COUNTS}
    for domain in ("a", "b"):
        for split, count in COUNTS.items():
            assert len(load_split(manifest, domain, split).images) == count
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert visible == {"manifest.json"} | {s.file for s in manifest.shards}


def test_killed_prepare_leaves_the_old_output_or_none(tmp_path: Path) -> None:
    out = tmp_path / "shards"
    params = tmp_path / "params.yaml"
    dataset = aerial_params(str(out), size=32, counts=tuple(COUNTS.values()))
    params.write_text(yaml.safe_dump(dataset))
    args = ["pipeline.prepare", "--dataset", "maps", "--params", str(params), "--no-progress"]
    _, full_s = _run(args)
    killed: list[bool] = []
    for seed in SEEDS:
        if seed == SEEDS[0]:
            shutil.rmtree(out)  # first kill: no earlier output, so none or a whole new one
        killed.append(_kill_after(args, random.Random(seed).uniform(0.2, 1.0) * full_s))
        if out.exists() or seed != SEEDS[0]:
            _assert_complete_dataset(out)
        assert _run(args)[0] == 0
        _assert_complete_dataset(out)
        assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]  # staging cleaned
    assert any(killed), "every run ended before its kill: nothing was tested"


def _assert_complete_pngs(out: Path) -> set[str]:
    """Every visible file in `out` decodes as a whole 16x16 RGB PNG; returns their names."""
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")} if out.exists() else set()
    for name in names:
        with Image.open(out / name) as image:
            image.load()  # a truncated file fails here
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (16, 16)), name
    return names


def test_killed_translate_leaves_only_whole_pngs(unit_trainer, tmp_path: Path) -> None:  # noqa: F811
    model = save_model(unit_trainer, tmp_path / "translator.pt")
    expected = {f"img{i}.png" for i in range(150)}
    write_images(tmp_path / "in", channels=1, count=len(expected))
    out = tmp_path / "out"
    args = ["pipeline.translate", "--model", str(model), "--input", str(tmp_path / "in"),
            "--output", str(out), "--batch-size", "8", "--device", "cpu", "--no-progress"]  # fmt: skip
    _, full_s = _run(args)
    killed: list[bool] = []
    for seed in SEEDS:
        shutil.rmtree(out)
        killed.append(_kill_after(args, random.Random(seed).uniform(0.2, 1.0) * full_s))
        assert _assert_complete_pngs(out) <= expected
        assert _run(args)[0] == 0
        assert _assert_complete_pngs(out) == expected
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # temp cleaned
    assert any(killed), "every run ended before its kill: nothing was tested"


def test_killed_training_job_resumes_from_a_checkpoint(tmp_path: Path) -> None:
    # 40 steps: at the stage's 0.5 s poll a 12-step job had written its final checkpoint
    # within the 0-2 s after its first one, so the kill came after training and the rerun
    # restored a finished run (nothing to resume); 40 keeps the kill mid-training.
    params = tiny_training_params(tmp_path, steps=40, workers=1, checkpoint={"every": 2})
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    args = ["pipeline.train", "--params", str(params_file)]
    job = subprocess.Popen([sys.executable, "-m", *args], cwd=REPO, env=_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not list((tmp_path / "ray_results").glob("*/checkpoint_0*")):
            assert job.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.2)
        time.sleep(random.Random(0).uniform(0.0, 2.0))
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the driver, its Ray processes and workers
        job.wait(timeout=30)
    out = tmp_path / "out"
    assert not out.exists() or (out / "train_run.json").exists()  # never a half export
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=_env(),
                          capture_output=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    trained = load_trained(out)
    assert trained["step"] == 40
    assert trained["resumed_from_steps"] and 2 <= trained["resumed_from_steps"][0] < 40
