"""The adaptation experiment through the real train and evaluate stages (Ray Train, MLflow)."""

import json

import pytest
import yaml

from pipeline import evaluate, train
from tests.pipeline.train_fixtures import tiny_adaptation_params

pytestmark = pytest.mark.e2e


def test_adapt_then_evaluate_reports_accuracy_beside_the_baseline(ray_local, tmp_path):
    params = tiny_adaptation_params(tmp_path, steps=4)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    assert train.main(["--params", str(params_file), "--section", "adapt"]) == 0
    trained = json.loads((tmp_path / "adapt_out" / "train_run.json").read_text())
    assert trained["task"] == "adaptation" and trained["step"] == 4
    history = json.loads((tmp_path / "adapt_out" / "train_history.json").read_text())
    assert {"source_class", "baseline_source_class", "gen_total"} <= set(history[-1])
    assert not any("target" in key for record in history for key in record)  # no target signal

    assert evaluate.main(["--params", str(params_file), "--section", "adapt"]) == 0
    metrics = json.loads((tmp_path / "eval" / "adapt_out" / "metrics.json").read_text())
    for key in (
        "target_accuracy",
        "baseline_target_accuracy",
        "source_accuracy",
        "baseline_source_accuracy",
    ):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["adaptation_gain"] == pytest.approx(
        metrics["target_accuracy"] - metrics["baseline_target_accuracy"]
    )
    assert (metrics["source_domain"], metrics["target_domain"]) == ("a", "b")
