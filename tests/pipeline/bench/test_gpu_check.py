"""pipeline.bench.gpu_check: the CPU smoke of the device check (what a machine without CUDA runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.bench import gpu_check
from tests.pipeline.train_fixtures import REPO

POLL_INTERVAL = "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S"


def _run_script(*args: str) -> subprocess.CompletedProcess:
    """The script in a fresh process: OpenMP's wait policy only applies where torch loads.

    Only the test session's Ray Train poll interval (tests/conftest.py) comes along: the
    script sets the rest of its environment itself.
    """
    env = {"PYTHON": sys.executable, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    env |= {k: os.environ[k] for k in [POLL_INTERVAL] if k in os.environ}
    return subprocess.run(
        [str(REPO / "scripts" / "gpu_check.sh"), *args],
        env=env,
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def test_a_failing_section_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(check: gpu_check.Check) -> dict:
        raise RuntimeError("boom")

    monkeypatch.setitem(gpu_check.SECTIONS, "ray_train", broken)
    monkeypatch.setattr(gpu_check, "apply_cpu_threads", lambda: 1)  # keep this process's threads
    assert gpu_check.main(["--smoke", "--only", "ray_train"]) == 1


@pytest.mark.e2e
def test_the_script_runs_every_section_green_on_cpu(tmp_path: Path) -> None:
    """One smoke of every section (a pytest, two stage runs on one Ray: one run checks all)."""
    out = tmp_path / "check.json"
    done = _run_script("--smoke", "--json", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "no CUDA device" in done.stderr or "cuda" in done.stdout
    report = json.loads(out.read_text())
    assert report["ok"] and not report["cuda"]
    sections = report["sections"]
    assert list(sections) == list(gpu_check.SECTIONS)
    families = sections["cuda_vs_cpu"]["families"]
    assert set(families) == {"unit", "munit", "da"}
    assert all(f["worst_relative_difference"] == 0.0 for f in families.values())  # cpu vs cpu
    assert sections["bf16_stability"]["unit"]["finite"]
    table = sections["throughput"]["translation_unit"]["variants"]
    assert table["fp32"]["steps_per_s"] > 0 and "skipped" in table["bf16_channels_last_compile"]
    assert sections["ray_train"]["steps"] == 2
    assert sections["da_paper_preset"]["curve"]
