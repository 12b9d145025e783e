"""`python -m pipeline.bench --contended`: steps/s quiet and beside a busy process, old vs new threads.

Each measurement is a fresh `python -m pipeline.bench` child (OpenMP settings only take
effect when torch loads), timed for at most `--max-seconds` (default 15 s). The rounds
interleave: for each thread policy, quiet then contended, with the competing process (one
core-bound Python loop) started just before the contended child and always stopped after it.

- before: `torch_default` threads (torch's count, OpenMP's default spin-then-sleep waiting);
- after: `given` (threads = the CPUs this process was given, passive OpenMP waiting).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from statistics import median
from typing import Any

from unit_core.cpu_threads import cpus_given, prepare_thread_env

POLICIES = {"before": "torch_default", "after": "given"}
THREAD_ENV = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_SECONDS = "15"


@contextlib.contextmanager
def busy_process() -> Iterator[subprocess.Popen]:
    """A core-bound competing process, killed and reaped on exit whatever happens."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def child_env(policy: str) -> dict[str, str]:
    """The environment of a child: thread variables cleared (before) or set by the policy."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    if policy == "given":
        prepare_thread_env(cpus_given(), env)
    return env


def child_args(argv: list[str]) -> list[str]:
    """The user's benchmark arguments minus the --contended ones."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--contended":
            continue
        if item == "--rounds":
            skip = True
            continue
        if item.startswith("--rounds=") or item.startswith("--thread-policy"):
            continue
        out.append(item)
    if not any(a.startswith("--max-seconds") for a in out):
        out += ["--max-seconds", DEFAULT_SECONDS]
    if not any(a.startswith("--warmup") for a in out):
        out += ["--warmup", "1"]  # a collapsed step takes ~20 s: keep warm-up to one
    return out + ["--no-efficiency"]


def measure(args: list[str], policy: str) -> dict[str, Any]:
    """Run one benchmark child; its JSON result."""
    command = [sys.executable, "-m", "pipeline.bench", *args, "--thread-policy", policy]
    done = subprocess.run(command, env=child_env(policy), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def contended_report(argv: list[str], rounds: int = 1) -> dict[str, Any]:
    """steps/s per policy and condition (median over rounds) and the ratios that matter."""
    args = child_args(argv)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"quiet": [], "contended": []} for name in POLICIES
    }
    for _ in range(rounds):
        for name, policy in POLICIES.items():
            runs[name]["quiet"].append(measure(args, policy))
            with busy_process():
                runs[name]["contended"].append(measure(args, policy))
    report: dict[str, Any] = {"rounds": rounds, "cpus_given": cpus_given(), "policies": {}}
    for name, conditions in runs.items():
        rates = {cond: median(r["steps_per_s"] for r in rs) for cond, rs in conditions.items()}
        report["policies"][name] = {
            "thread_policy": POLICIES[name],
            "threads": conditions["quiet"][0]["threads"],
            "omp_wait_policy": conditions["quiet"][0]["omp_wait_policy"],
            "quiet_steps_per_s": rates["quiet"],
            "contended_steps_per_s": rates["contended"],
            "contended_over_quiet": rates["contended"] / rates["quiet"],
            "load_average": conditions["quiet"][0]["load_average"],
        }
    before, after = report["policies"]["before"], report["policies"]["after"]
    report["after_over_before_contended"] = (
        after["contended_steps_per_s"] / before["contended_steps_per_s"]
    )
    report["after_over_before_quiet"] = after["quiet_steps_per_s"] / before["quiet_steps_per_s"]
    return report


def format_contended(report: dict[str, Any]) -> str:
    """A small table: per policy, quiet and contended steps/s and their ratio."""
    lines = [f"{'policy':<8}{'threads':>8}{'omp wait':>10}{'quiet':>9}{'contended':>11}{'ratio':>8}"]
    for name, row in report["policies"].items():
        lines.append(
            f"{name:<8}{row['threads']:>8}{row['omp_wait_policy']:>10}"
            f"{row['quiet_steps_per_s']:>9.3f}{row['contended_steps_per_s']:>11.3f}"
            f"{row['contended_over_quiet']:>8.2f}"
        )
    lines.append(
        f"after/before: contended {report['after_over_before_contended']:.2f}x, "
        f"quiet {report['after_over_before_quiet']:.2f}x (steps/s; median of "
        f"{report['rounds']} round(s))"
    )
    return "\n".join(lines)
