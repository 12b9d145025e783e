"""pipeline.bench.train: pooling of logged windows (fast) and the whole command on tiny data (e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.bench import train as bench_train
from tests.pipeline.train_fixtures import tiny_training_params


def _record(step: int, images_per_s: float, wait: float, rss: float) -> dict:
    return {
        "step": step,
        "images_per_s_per_worker": images_per_s,
        "data_wait_fraction": wait,
        "peak_rss_mb": rss,
    }


def test_summarize_drops_warmup_and_weights_windows_by_time() -> None:
    # batch 2 -> 4 images per step. Warm-up window: 10 steps, slow. Then 10 steps at 40 img/s
    # (1 s, 10% wait) and 10 steps at 10 img/s (4 s, 50% wait): 20 steps in 5 s.
    history = [_record(10, 1.0, 0.9, 500), _record(20, 40.0, 0.1, 600), _record(30, 10.0, 0.5, 650)]
    row = bench_train.summarize(history, batch_size=2, workers=2)
    assert row["warmup_steps"] == 10 and row["measured_steps"] == 20
    assert row["steps_per_s"] == pytest.approx(4.0)
    assert row["images_per_s_per_worker"] == pytest.approx(16.0)
    assert row["images_per_s"] == pytest.approx(32.0)
    assert row["data_wait_fraction"] == pytest.approx((0.1 * 1 + 0.5 * 4) / 5)
    assert row["peak_rss_mb"] == 650


def test_summarize_keeps_a_lone_window_and_scaling_is_relative_to_one_worker() -> None:
    row = bench_train.summarize([_record(4, 8.0, 0.0, 100)], batch_size=1, workers=1)
    assert row["warmup_steps"] == 0 and row["measured_steps"] == 4
    rows = [row, {**row, "workers": 2, "images_per_s": 12.0}]
    bench_train.add_scaling(rows)
    assert rows[1]["speedup"] == pytest.approx(1.5) and rows[1]["efficiency"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="no history"):
        bench_train.summarize([], batch_size=1, workers=1)


@pytest.mark.e2e
def test_bench_command_on_tiny_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(tiny_training_params(tmp_path, steps=4, workers=1)))
    out = tmp_path / "bench.json"
    argv = ["--params", str(params_file), "--workers", "1", "--steps", "4", "--json", str(out)]
    assert bench_train.main(argv) == 0

    report = json.loads(out.read_text())
    (row,) = report["results"]
    assert row["workers"] == 1 and row["warmup_steps"] == 2 and row["measured_steps"] == 2
    assert row["images_per_s_per_worker"] > 0
    assert row["images_per_s"] == pytest.approx(row["images_per_s_per_worker"])
    assert 0.0 <= row["data_wait_fraction"] < 1.0 and row["peak_rss_mb"] > 0
    assert row["speedup"] == pytest.approx(1.0) and row["wall_s"] > 0
    assert row["split"]["training"] > 0 and row["split"]["ray_start"] > 0
    assert len(report["load_average_before"]) == 3
    printed = capsys.readouterr().out
    assert "img/s/worker" in printed and "warm-up dropped" in printed
    # Nothing of the benchmark is left in the configured locations: it ran in a scratch folder.
    assert not (tmp_path / "out").exists() and not (tmp_path / "ray_results").exists()


def test_time_split_adds_up_to_the_wall_time() -> None:
    driver = {"preflight": 2.0, "tracking_start": 1.0, "ray_start": 10.0, "fit": 40.0,
              "export_and_model_logging": 3.0, "tracking_end": 0.5, "main_total": 57.0}  # fmt: skip
    loop = {"worker_setup": 4.0, "train_steps": 20.0, "data_wait": 1.0, "evaluation": 5.0,
            "tracking": 2.0, "checkpoint": 3.0}  # fmt: skip
    split = bench_train.time_split(60.0, driver, loop)
    assert split["start_and_imports"] == pytest.approx(3.0)
    assert split["fit_overhead"] == pytest.approx(40.0 - 31.0)
    assert split["training"] == pytest.approx(21.0)
    assert split["tracking"] == pytest.approx(1.0 + 2.0 + 3.0 + 0.5)
    parts = sum(split[key] for key, _ in bench_train.SPLIT)
    assert parts == pytest.approx(60.0) and split["other"] == pytest.approx(0.5)
    log_text = 'INFO x\nINFO pipeline.train: stage timings (s): {"fit": 1.5}\n{"step": 3}'
    assert bench_train.read_driver_timings(log_text) == {"fit": 1.5}
