"""pipeline.bench.time_to_quality: the first logged step where the method beats its baseline,
timed from the run record's throughput windows (written here by hand: no training)."""

from __future__ import annotations

import json

import pytest
import yaml

from pipeline.bench.time_to_quality import main, time_to_quality

HISTORY = [
    {"step": 25, "display_target_accuracy": 0.50, "display_baseline_target_accuracy": 0.60},
    {"step": 50, "display_target_accuracy": 0.70, "display_baseline_target_accuracy": 0.65},
    {"step": 75, "display_target_accuracy": 0.60, "display_baseline_target_accuracy": 0.66},
]
RECORD = {
    "loop_seconds": {"worker_setup": 3.0, "train_steps": 15.0},
    # batch 4, both domains: 25 steps x 8 images ÷ 40 img/s = 5 s; ÷ 20 img/s = 10 s
    "throughput": [{"step": 25, "images_per_s_per_worker": 40.0},
                   {"step": 50, "images_per_s_per_worker": 20.0},
                   {"step": 75, "images_per_s_per_worker": 40.0}],
}  # fmt: skip


def test_seconds_until_the_first_logged_crossing() -> None:
    got = time_to_quality(HISTORY, RECORD, 4, "display_target_accuracy",
                          "display_baseline_target_accuracy")  # fmt: skip
    assert got["crossing_step"] == 50
    assert got["seconds_to_quality"] == pytest.approx(3.0 + 5.0 + 10.0)
    assert got["steps_per_s"] == pytest.approx(75 / 15.0)


def test_a_method_never_above_its_baseline_has_no_time() -> None:
    behind = [{**row, "display_target_accuracy": 0.0} for row in HISTORY]
    got = time_to_quality(behind, RECORD, 4, "display_target_accuracy",
                          "display_baseline_target_accuracy")  # fmt: skip
    assert got["crossing_step"] is None and got["seconds_to_quality"] is None


def test_command_prints_each_default_experiment(tmp_path, capsys) -> None:
    out = tmp_path / "outputs" / "adaptation"
    out.mkdir(parents=True)
    (out / "train_history.json").write_text(json.dumps(HISTORY))
    (tmp_path / "outputs" / "adaptation.run.json").write_text(json.dumps(RECORD))
    params = {"adapt": {"output": str(out), "batch_size": 4},
              "train_digits": {"output": str(tmp_path / "digits"), "batch_size": 4}}  # fmt: skip
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main(["--params", str(tmp_path / "params.yaml")]) == 0
    text = capsys.readouterr().out
    assert "adapt: display_target_accuracy first above" in text and "at step 50, 18.0 s" in text
    assert "train_digits: no display curve" in text
