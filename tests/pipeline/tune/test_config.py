"""`tune:` settings, the search space they build, and how trial results are read (no Ray run)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from PIL import Image

from pipeline.tune.ablation_report import ablation_rows, draw_ablation
from pipeline.tune.config import TuneSettings, needed_cpus
from pipeline.tune.outcomes import best_trial, trial_outcomes
from pipeline.tune.space import (
    ablation_cells,
    param_space,
    trial_count,
    trial_overrides,
    with_overrides,
)
from unit_core.typed_config import ConfigError

REPO = Path(__file__).resolve().parents[3]


def _params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def _settings(**tune) -> TuneSettings:
    return TuneSettings.from_dict({**_params()["tune"], **tune})


def test_project_params_hold_a_valid_sweep():
    params = _params()
    settings = TuneSettings.from_dict(params["tune"])
    settings.check_keys(params)
    assert needed_cpus(settings) == settings.max_concurrent_trials * settings.trial.cpus
    assert settings.asha.grace_period <= settings.steps


@pytest.mark.parametrize(
    ("tune", "key"),
    [
        ({"bogus": 1}, "tune.bogus"),
        (
            {"space": {"unit.model.n_shared": {"grid": [0], "choice": [1]}}},
            "tune.space.unit.model.n_shared",
        ),
        (
            {"space": {"unit.optimizer.lr": {"loguniform": [0.0, 1e-3]}}},
            "tune.space.unit.optimizer.lr.loguniform",
        ),
        (
            {"space": {"unit.optimizer.lr": {"uniform": [1e-3, 1e-4]}}},
            "tune.space.unit.optimizer.lr.uniform",
        ),
        (
            {"space": {"unit.model.n_shared": {"grids": [0]}}},
            "tune.space.unit.model.n_shared.grids",
        ),
        ({"space": {}}, "tune.space"),
        ({"steps": 10, "asha": {"grace_period": 20}}, "tune.asha.grace_period"),
        ({"asha": {"reduction_factor": 1}}, "tune.asha.reduction_factor"),
        ({"ablation": {"variants": ["no_gan"]}}, "tune.ablation.variants"),
        ({"max_concurrent_trials": 0}, "tune.max_concurrent_trials"),
        ({"trial": {"num_workers": 0}}, "tune.trial.num_workers"),
        ({"preset": "paper"}, "tune.preset"),
    ],
)
def test_bad_settings_name_their_key(tune, key):
    with pytest.raises(ConfigError) as err:
        _settings(**tune)
    assert err.value.key == key


@pytest.mark.parametrize(
    "key", ["unit.model.n_sharde", "train.steps", "unit.model", "unit.loss.gan.x"]
)
def test_space_keys_must_be_values_of_the_model_section(key):
    settings = _settings(space={key: {"grid": [1]}})
    with pytest.raises(ConfigError) as err:
        settings.check_keys(_params())
    assert err.value.key == f"tune.space.{key}"


def test_param_space_maps_kinds_to_tune_domains():
    from ray.tune.search.sample import Categorical, Float

    space = param_space(_settings(), {})
    assert space["unit.model.n_shared"] == {"grid_search": [0, 1]}
    assert isinstance(space["unit.model.dis_layers"], Categorical)
    assert isinstance(space["unit.optimizer.lr"], Float)
    low = _params()["tune"]["space"]["unit.optimizer.lr"]["loguniform"][0]
    assert space["unit.optimizer.lr"].lower == pytest.approx(float(low))


def test_ablation_preset_is_the_papers_grid_plus_loss_variants():
    settings = _settings(preset="ablation", space={})
    cells = ablation_cells(settings, "unit")
    assert len(cells) == 5 * 4 + 3
    assert cells["n_shared=0,dis_layers=3"] == {
        "unit.model.n_shared": 0,
        "unit.model.dis_layers": 3,
    }
    assert cells["no_cycle"]["unit.loss.cycle_recon"] == 0.0
    assert cells["no_kl"]["unit.loss.kl"] == 0.0 and cells["no_kl"]["unit.model.n_shared"] == 1
    assert param_space(settings, cells) == {"cell": {"grid_search": list(cells)}}
    assert trial_overrides({"cell": "no_kl"}, cells) == cells["no_kl"]
    assert cells["cyclegan"]["unit.model.n_shared"] == 0
    assert cells["cyclegan"]["unit.model.latent_noise"] is False
    assert trial_count(settings, cells) == 23 * settings.num_samples


def test_cyclegan_preset_is_the_ablations_cyclegan_cell():
    """presets/cyclegan.yaml and the ablation's cyclegan cell must describe one model."""
    preset = yaml.safe_load((REPO / "presets" / "cyclegan.yaml").read_text())
    cell = ablation_cells(_settings(preset="ablation", space={}), "unit")["cyclegan"]
    for key, value in cell.items():
        if key.endswith("dis_layers"):  # the ablation's fixed cell; the preset keeps params'
            continue
        section = preset
        for part in key.split("."):
            section = section[part]
        assert section == value, key


def test_trial_count_is_samples_times_grid():
    settings = _settings(num_samples=3)  # project space: grid n_shared [0, 1], the rest random
    assert trial_count(settings, {}) == 3 * 2


def test_overrides_change_a_copy_only():
    params = _params()
    changed = with_overrides(params, {"unit.model.n_shared": 3, "unit.loss.gan": 1.0})
    assert changed["unit"]["model"]["n_shared"] == 3 and changed["unit"]["loss"]["gan"] == 1.0
    assert params["unit"]["model"]["n_shared"] == 1


def _result(trial_id, step, value, config, error=None):
    metrics = {"trial_id": trial_id, "step": step, "val_pixel_accuracy": value} if step else {}
    return SimpleNamespace(metrics=metrics, config=config, error=error, path=f"/x/run_{trial_id}")


def test_outcomes_and_best_prefer_completed_trials():
    results = [
        _result("t0", 6, 0.4, {"unit.model.n_shared": 0}),
        _result("t1", 2, 0.9, {"unit.model.n_shared": 1}),  # stopped by ASHA at step 2
        _result("t2", 6, 0.5, {"unit.model.n_shared": 2}),
        _result(
            "t3", 0, None, {"unit.model.n_shared": 9}, error=RuntimeError("boom\nbad n_shared")
        ),
    ]
    identities = {"/x/run_t3": ("t3", {"unit.model.n_shared": 9})}
    outcomes = trial_outcomes(results, identities, "val_pixel_accuracy", 6, {})
    by_id = {o.trial_id: o for o in outcomes}
    assert {k: o.outcome for k, o in by_id.items()} == {
        "t0": "completed", "t1": "stopped_early", "t2": "completed", "t3": "failed"
    }  # fmt: skip
    assert by_id["t3"].error == "bad n_shared"
    assert by_id["t3"].overrides == {"unit.model.n_shared": 9}
    assert by_id["t1"].overrides == {"unit.model.n_shared": 1}
    assert best_trial(outcomes, "max").trial_id == "t2"
    assert best_trial(outcomes, "min").trial_id == "t0"
    assert best_trial([by_id["t3"]], "max") is None


def test_ablation_plot_has_a_cell_per_grid_point(tmp_path):
    settings = _settings(
        preset="ablation", space={}, ablation={"n_shared": [0, 1], "dis_layers": [3, 5]}
    )
    cells = ablation_cells(settings, "unit")
    results = [_result(f"t{i}", 6, 0.1 * i, {"cell": c}) for i, c in enumerate(cells)]
    rows = ablation_rows(
        trial_outcomes(results, {}, "val_pixel_accuracy", 6, cells), "val_pixel_accuracy"
    )
    assert [r["variant"] for r in rows].count("full") == 4
    assert {(r["n_shared"], r["dis_layers"]) for r in rows if r["variant"] == "full"} == {
        (0, 3), (0, 5), (1, 3), (1, 5)
    }  # fmt: skip
    draw_ablation(rows, settings.ablation, "val_pixel_accuracy", tmp_path / "a.png")
    assert Image.open(tmp_path / "a.png").size[0] > 200
