"""The sweep's MLflow parent run, and settling the trial runs Tune stopped from outside.

Why settle: ASHA stops a trial by ending its actor, so that trial's nested run never gets to
say how it ended (or says FAILED when its trainer is torn down under it); the driver marks it
KILLED with outcome `stopped_early` after the sweep.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.tracking.training_run import find_run_id
from pipeline.tune.outcomes import TrialOutcome
from pipeline.tune.trial import OUTCOME_TAG, PARENT_RUN_TAG, SWEEP_TAG, TRIAL_TAG

ROLE_TAG = "unit.tune_role"  # sweep (parent) | trial
BEST_TRIAL_TAG = "unit.tune_best_trial"
BEST_OVERRIDES_TAG = "unit.tune_best_overrides"


def start_or_resume_parent_run(
    tracking: TrackingConfig, uri: str, sweep_name: str, params: dict[str, Any]
) -> TrainingRun:
    """The sweep's parent run; a restored sweep continues the one it started before."""
    tags = {SWEEP_TAG: sweep_name, ROLE_TAG: "sweep"}
    run_id = find_run_id(uri, tracking.experiment, tags)
    return TrainingRun.start(
        tracking,
        sweep_name,
        params=params,
        tags=tags,
        run_id=run_id,
        tracking_uri=uri,
    )


def trial_runs(parent: TrainingRun) -> list[Any]:
    """The nested runs of the sweep (MLflow `Run` objects)."""
    run = parent.client.get_run(parent.run_id)
    return parent.client.search_runs(
        [run.info.experiment_id],
        filter_string=f"tags.`{PARENT_RUN_TAG}` = '{parent.run_id}'",
        max_results=10_000,
    )


def settle_trial_runs(parent: TrainingRun, outcomes: list[TrialOutcome]) -> None:
    """Make every trial run say what Tune recorded (Tune's view wins: a trial stopped by ASHA
    may have marked itself FAILED when its trainer was torn down, or not at all)."""
    by_trial = {o.trial_id: o for o in outcomes}
    for run in trial_runs(parent):
        outcome = by_trial.get(run.data.tags.get(TRIAL_TAG, ""))
        if outcome is None:
            label = "stopped_early" if run.info.status == "RUNNING" else None
        else:
            label = outcome.outcome
        status = {"completed": "FINISHED", "failed": "FAILED"}.get(label or "", "KILLED")
        if label is None or (run.data.tags.get(OUTCOME_TAG) == label and run.info.status == status):
            continue
        parent.client.set_tag(run.info.run_id, OUTCOME_TAG, label)
        parent.client.set_terminated(run.info.run_id, status)


def log_sweep_summary(
    parent: TrainingRun,
    outcomes: list[TrialOutcome],
    best: TrialOutcome | None,
    metric: str,
    output: Path,
) -> None:
    """Counts, the best value and trial (as tags), and the output files as artifacts."""
    counts = {
        f"trials_{label}": sum(o.outcome == label for o in outcomes)
        for label in ("completed", "stopped_early", "failed")
    }
    if best is not None and best.value is not None:
        counts[f"best_{metric}"] = best.value
        parent.set_tags(
            {
                BEST_TRIAL_TAG: best.trial_id,
                BEST_OVERRIDES_TAG: json.dumps(best.overrides, sort_keys=True),
            }
        )
    parent.log_metrics(counts, step=0)
    for path in sorted(output.iterdir()):
        if path.is_file():
            parent.client.log_artifact(parent.run_id, str(path), artifact_path="sweep")
