"""`python -m pipeline.bench --compare`: fp32 and `auto` side by side, each against its own
precision's reference conv (tiny step, one timed step per round: this checks the report, not
the speed)."""

from __future__ import annotations

import json

from pipeline.bench.__main__ import main
from unit_core.speed_options import SpeedSettings, resolve_speed


def test_compare_prints_fp32_and_auto_with_efficiencies(capsys) -> None:
    code = main(["--compare", "--image-size", "16", "--base-channels", "4", "--steps", "1",
                 "--warmup", "0", "--threads", "1"])  # fmt: skip
    assert code == 0
    table, report = capsys.readouterr().out.strip().rsplit("\n", 1)
    report = json.loads(report)
    rows = {row["setting"]: row for row in report["settings"]}
    assert set(rows) == {"fp32", "auto"}
    assert rows["fp32"]["precision"] == "fp32"
    assert rows["auto"]["precision"] == resolve_speed(SpeedSettings(), "cpu").precision
    for row in rows.values():
        assert row["ms_per_step"] > 0 and row["efficiency"] > 0
        # efficiency is the step's FLOP/s over its own precision's reference (table rounding)
        ratio = row["gflop_per_s"] / row["reference_gflop_per_s"]
        assert abs(row["efficiency"] - ratio) <= 0.01 + 0.05 * ratio
    assert report["auto_over_fp32"] > 0 and "auto / fp32 step speed" in table
