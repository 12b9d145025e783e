"""MUNIT and the CycleGAN-like preset through the same train and evaluate stages as UNIT.

Real Ray Train DDP (2 workers), real MLflow (sqlite): the family is picked by params alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from pipeline.evaluate import __main__ as evaluate
from pipeline.io.params_file import merge_preset
from pipeline.io.run_outputs import load_trained
from pipeline.io.translator_weights import load_translator_weights
from pipeline.train import __main__ as train
from tests.pipeline.train_fixtures import REPO, tiny_training_params

pytestmark = pytest.mark.e2e


def _preset(name: str) -> dict:
    return yaml.safe_load((REPO / "presets" / f"{name}.yaml").read_text())


def _tiny_munit(params: dict) -> None:
    params["munit"]["model"].update(
        base_channels=4, dis_base_channels=4, dis_layers=3, n_res_blocks=2, mlp_dim=8,
        style_downsample=2,
    )  # fmt: skip


def _train_and_evaluate(params: dict, root: Path) -> tuple[dict, dict]:
    params_file = root / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    assert train.main(["--params", str(params_file)]) == 0
    assert evaluate.main(["--params", str(params_file)]) == 0
    out = Path(params["train"]["output"])
    trained = load_trained(out)
    metrics = json.loads((root / "eval" / out.name / "metrics.json").read_text())
    return trained, metrics


def test_munit_trains_and_evaluates_through_the_pipeline(ray_local, tmp_path):
    params = tiny_training_params(tmp_path, steps=4)
    params = merge_preset(params, _preset("munit"), "munit.yaml")
    _tiny_munit(params)
    params["train"]["output"] = str(tmp_path / "munit")
    trained, metrics = _train_and_evaluate(params, tmp_path)

    assert trained["step"] == 4
    translator, cfg = load_translator_weights(tmp_path / "munit" / "translator.pt")
    assert cfg.model.family == "munit" and translator.style_dim == cfg.model.style_dim
    assert metrics["family"] == "munit"
    assert 0.0 <= metrics["val_pixel_accuracy"] <= 1.0
    assert metrics["val_diversity"] > 0.0  # sampled styles give different outputs
    client = MlflowClient(params["tracking"]["tracking_uri"])
    run = client.get_run(trained["mlflow_run_id"])
    assert run.data.params["munit.model.family"] == "munit"
    assert run.data.metrics["val_diversity"] == pytest.approx(metrics["val_diversity"])
    assert {"style_recon", "content_recon", "recon", "gen_adv", "dis_adv"} <= set(run.data.metrics)
    champion = client.get_model_version_by_alias("munit-translator", "champion")
    assert champion.run_id == trained["mlflow_run_id"]


def test_cyclegan_preset_trains_without_sharing_or_vae_streams_and_exports_its_best_val_weights(
    ray_local, tmp_path
):
    """The CycleGAN-like preset, run with `train.select: best_val` (one fit checks both): the
    exported model is the one with the best val pixel accuracy of the logged steps."""
    params = tiny_training_params(tmp_path, steps=6, select="best_val")
    params = merge_preset(params, _preset("cyclegan"), "cyclegan.yaml")
    params["train"]["output"] = str(tmp_path / "cyclegan")
    trained, metrics = _train_and_evaluate(params, tmp_path)

    translator, cfg = load_translator_weights(tmp_path / "cyclegan" / "translator.pt")
    assert cfg.model.n_shared == 0 and cfg.model.latent_noise is False
    assert not any(p.numel() for p in translator.shared_encoder_tail.parameters())
    assert metrics["family"] == "unit" and metrics["val_diversity"] == 0.0
    run = MlflowClient(params["tracking"]["tracking_uri"]).get_run(trained["mlflow_run_id"])
    # Only the adversarial and cycle terms are trained: no KL, no within-domain reconstruction.
    assert {"gen_adv", "dis_adv", "cycle_recon"} <= set(run.data.metrics)
    assert not {"kl", "recon", "cycle_kl"} & set(run.data.metrics)

    history = json.loads((tmp_path / "cyclegan" / "train_history.json").read_text())
    scores = [h["val_pixel_accuracy"] for h in history]
    best = history[scores.index(max(scores))]
    assert len(history) == 3 and trained["select"] == "best_val"
    assert trained["selected_step"] == best["step"]
    assert trained["selected_val_pixel_accuracy"] == best["val_pixel_accuracy"]
    assert metrics["val_pixel_accuracy"] == pytest.approx(best["val_pixel_accuracy"], abs=1e-6)
