"""Which ops make bf16 autocast copy: every `aten::copy_` of a profiled UNIT step, charged to the
op that asked for it (its nearest ancestor in the profiler's call tree that is not itself a cast
or an allocation), with calls and milliseconds per step, fp32 beside bf16.

Backs docs/measurements.md, "Where bf16's casts come from". E.g.

    .venv/bin/python scripts/studies/bf16_casts.py --threads 1 --steps 3

The step is `pipeline.bench`'s: UNIT at the paper's width, 64 px, batch 1, seeded inputs.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO)]

from pipeline.bench.steps import build_bench_step  # noqa: E402
from unit_core.speed_options import ResolvedSpeed  # noqa: E402

CAST_OPS = {"aten::copy_", "aten::_to_copy", "aten::to", "aten::empty_strided", "aten::empty",
            "aten::clone", "aten::contiguous", "aten::_copy_from"}  # fmt: skip


def caller(event) -> str:
    """The nearest ancestor of a profiler event that is not a cast or allocation op."""
    node = event.cpu_parent
    while node is not None and node.name in CAST_OPS:
        node = node.cpu_parent
    return node.name if node is not None else "(top level)"


def cast_table(precision: str, steps: int) -> tuple[dict[str, list[float]], float]:
    """{caller: [copy_ calls per step, copy_ ms per step]} and the step's total ms."""
    bench = build_bench_step("unit", 64, 1, 64, "cpu", ResolvedSpeed(precision, "contiguous", False,
                                                                     fused_adam=True))  # fmt: skip
    for _ in range(3):
        bench.step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            bench.step()
    table: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    events = prof.events()
    for event in events:
        if event.name == "aten::copy_":
            row = table[caller(event)]
            row[0] += 1 / steps
            row[1] += event.self_cpu_time_total / 1000 / steps
    total_ms = sum(e.self_cpu_time_total for e in events) / 1000 / steps
    return table, total_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for precision in ("fp32", "bf16"):
        table, total_ms = cast_table(precision, args.steps)
        calls = sum(r[0] for r in table.values())
        ms = sum(r[1] for r in table.values())
        print(f"\n{precision}: {total_ms:.0f} ms of ops per step; copy_ {calls:.0f} calls, "
              f"{ms:.1f} ms ({ms / total_ms:.1%})")  # fmt: skip
        print(f"  {'charged to':60s} {'calls':>7s} {'ms':>7s}")
        for name, (n, t) in sorted(table.items(), key=lambda kv: -kv[1][1])[: args.top]:
            print(f"  {name[:60]:60s} {n:7.0f} {t:7.1f}")


if __name__ == "__main__":
    main()
