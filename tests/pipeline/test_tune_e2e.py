"""A real sweep on tiny data: Ray Tune over Ray Train trials, nested MLflow runs, faults.

One sweep serves every assertion (each trial costs a TorchTrainer start, 10-40 s here): two
good trials plus two whose `n_shared` exceeds the tiny model's blocks and so crash inside the
trial, on a two-parameter grid (the fewest trials that still show nesting, crashes survived,
an interrupted trial list resumed and a best trial picked per parameter). It starts as `python -m pipeline.tune` in a subprocess (its own Ray) that gets Ctrl+C
once a trial has completed; the same command in-process (the session Ray) must then resume it
without retraining the completed trial; a third run restores the finished sweep as it is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from pipeline.tune import __main__ as tune
from pipeline.tune.trial import OUTCOME_TAG, PARENT_RUN_TAG, TRIAL_TAG
from tests.pipeline.train_fixtures import REPO, tiny_training_params

pytestmark = pytest.mark.e2e


def _sweep_params(root: Path) -> dict:
    params = tiny_training_params(root, steps=6, workers=1, checkpoint={"every": 2})
    params["tune"].update(
        name="tiny-sweep",
        space={
            # n_shared 3 > the tiny model's 2 residual blocks: those trials raise ConfigError
            "unit.model.n_shared": {"grid": [3, 1]},
            "unit.model.dis_layers": {"grid": [3, 4]},
        },
        num_samples=1,
        steps=6,
        asha={"enabled": True, "grace_period": 2, "reduction_factor": 2},
        trial={"num_workers": 1, "cpus_per_worker": 1},
        # One trial at a time: after the first completed trial the second good one still has
        # to run, so the Ctrl+C lands mid-sweep (at 2, the two good trials ended together on
        # a CI runner and the sweep had finished, exit 0, before the signal).
        max_concurrent_trials=1,
        storage_path=str(root / "tune_results"),
        output=str(root / "tune_out"),
    )
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return params


def _runs(params: dict) -> list:
    client = MlflowClient(params["tracking"]["tracking_uri"])
    experiment = client.get_experiment_by_name(params["tracking"]["experiment"])
    return client.search_runs([experiment.experiment_id], max_results=1000)


def _outcomes(root: Path) -> dict[str, str]:
    trials = json.loads((root / "tune_out" / "trials.json").read_text())
    return {row["trial_id"]: row["outcome"] for row in trials}


def _completed_trial_runs(params: dict) -> list:
    try:
        return [r for r in _runs(params) if r.data.tags.get(OUTCOME_TAG) == "completed"]
    except Exception:  # the database or experiment does not exist yet
        return []


def _interrupt_after_first_completed_trial(params: dict, params_file: Path) -> list:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "pipeline.tune", "--params", str(params_file)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 420  # bounds a hang; alone here the test takes ~65 s
        while not _completed_trial_runs(params) and sweep.poll() is None:
            assert time.monotonic() < deadline, "no trial completed in time"
            time.sleep(0.25)
        sweep.send_signal(signal.SIGINT)  # Ctrl+C: Tune saves its state and returns
        assert sweep.wait(timeout=120) == tune.EXIT_INTERRUPTED
    finally:
        if sweep.poll() is None:
            sweep.kill()
    return _completed_trial_runs(params)


def _history(params: dict, run_id: str) -> list[int]:
    client = MlflowClient(params["tracking"]["tracking_uri"])
    return [m.step for m in client.get_metric_history(run_id, "recon")]


def test_sweep_nests_trials_survives_crashes_and_resumes(ray_local, tmp_path):
    params = _sweep_params(tmp_path)
    params_file = tmp_path / "params.yaml"
    done_before = _interrupt_after_first_completed_trial(params, params_file)
    assert done_before
    assert tune.main(["--params", str(params_file)]) == 0
    outcomes = _outcomes(tmp_path)
    for run in done_before:  # kept as it was, not trained again
        assert outcomes[run.data.tags[TRIAL_TAG]] == "completed"
        assert _history(params, run.info.run_id) == [2, 4, 6]
    assert len(outcomes) == 4
    assert sorted(outcomes.values()).count("failed") == 2
    assert set(outcomes.values()) <= {"completed", "stopped_early", "failed"}
    assert "completed" in outcomes.values()

    runs = _runs(params)
    parents = [r for r in runs if PARENT_RUN_TAG not in r.data.tags]
    assert len(parents) == 1  # the resumed sweep continued its parent run
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    trials = [r for r in runs if r.data.tags.get(PARENT_RUN_TAG) == parent.info.run_id]
    assert sorted(r.data.tags[TRIAL_TAG] for r in trials) == sorted(outcomes)
    for run in trials:
        outcome = outcomes[run.data.tags[TRIAL_TAG]]
        assert run.data.tags[OUTCOME_TAG] == outcome
        expected = {"completed": "FINISHED", "failed": "FAILED", "stopped_early": "KILLED"}
        assert run.info.status == expected[outcome]
        if outcome != "failed":
            assert "val_pixel_accuracy" in run.data.metrics
            assert run.data.params["unit.model.n_shared"] == "1"

    best = yaml.safe_load((tmp_path / "tune_out" / "best_params.yaml").read_text())
    assert best["sweep"] == parent.info.run_name
    assert best["overrides"]["unit.model.n_shared"] == 1
    assert best["overrides"]["unit.model.dis_layers"] in (3, 4)
    assert best["unit"]["model"]["n_shared"] == best["overrides"]["unit.model.n_shared"]
    assert outcomes[best["trial_id"]] == "completed"
    assert parent.data.tags["unit.tune_best_trial"] == best["trial_id"]
    assert parent.data.metrics["trials_failed"] == 2

    # The same sweep again: Tune restores the finished experiment; nothing is retrained.
    assert tune.main(["--params", str(params_file)]) == 0
    assert _outcomes(tmp_path) == outcomes
    after = _runs(params)
    assert sorted(r.info.run_id for r in after) == sorted(r.info.run_id for r in runs)
    for run in after:  # no trial was retrained: metric histories are unchanged
        before = next(r for r in runs if r.info.run_id == run.info.run_id)
        assert run.data.metrics == before.data.metrics
