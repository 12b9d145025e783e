"""The adaptation experiment through the real train and evaluate stages (Ray Train, MLflow)."""

import json

import pytest
import yaml

from pipeline.evaluate import __main__ as evaluate
from pipeline.train import __main__ as train
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
    # target accuracy appears only as display curves, never as a val_* signal Tune could use
    target_keys = {key for record in history for key in record if "target" in key}
    assert target_keys == {"display_target_accuracy", "display_baseline_target_accuracy"}

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
    shown = [r["display_target_accuracy"] for r in history if "display_target_accuracy" in r]
    assert metrics["oracle_target_accuracy"] == max(shown)
    assert metrics["oracle_evaluations"] == len(shown)


def test_same_seed_same_metrics_other_seed_differs(ray_local, tmp_path):
    """Two runs of the real stages with one seed give identical metrics.json; seed 1 differs."""

    def run(folder: str, seed: int) -> dict:
        root = tmp_path / folder
        params = tiny_adaptation_params(root, steps=4)
        params["da"]["seed"] = params["adapt"]["seed"] = seed
        params["da"]["optimizer"]["ema_decay"] = 0.9
        params["da"]["model"]["mirror_private_init"] = True
        params_file = root / "params.yaml"
        params_file.write_text(yaml.safe_dump(params))
        assert train.main(["--params", str(params_file), "--section", "adapt"]) == 0
        assert evaluate.main(["--params", str(params_file), "--section", "adapt"]) == 0
        metrics = json.loads((root / "eval" / "adapt_out" / "metrics.json").read_text())
        history = json.loads((root / "adapt_out" / "train_history.json").read_text())
        # tiny models may score alike by chance; their losses tell seeds apart for sure
        return {k: v for k, v in metrics.items() if "accuracy" in k} | {
            "losses": [(r["gen_total"], r["dis_total"]) for r in history]
        }

    first = run("one", seed=0)
    assert run("two", seed=0) == first
    assert run("three", seed=1) != first
