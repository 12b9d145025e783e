"""One sweep trial: the params with the trial's values, trained as a normal Ray Train run.

Tune calls `run_trial` in a trial actor that holds one `trial_slot` resource (no CPU); the
TorchTrainer it builds places its own workers, and `TuneReportCallback` forwards rank 0's
checkpoint-step metrics (incl. `val_pixel_accuracy`) to Tune for ASHA. Each trial is its own
MLflow run, nested under the sweep's parent run by the `mlflow.parentRunId` tag.

A trial's Ray Train run is named after the sweep and the trial id, so a restored sweep resumes
an interrupted trial from its last checkpoint and continues its MLflow run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.tracking.run_tags import source_tags
from pipeline.train.launch import fit, start_or_resume_mlflow_run
from pipeline.train.run import PreparedRun
from pipeline.tune.space import trial_overrides, with_overrides

log = logging.getLogger("pipeline.tune")

PARENT_RUN_TAG = "mlflow.parentRunId"  # MLflow's own key: the UI nests runs by it
SWEEP_TAG = "unit.tune_sweep"
TRIAL_TAG = "unit.tune_trial_id"
OVERRIDES_TAG = "unit.tune_overrides"
OUTCOME_TAG = "unit.tune_outcome"  # completed | stopped_early | failed
ERROR_TAG = "unit.tune_error"


class TrialSetupError(RuntimeError):
    """The trial's params did not build (e.g. a searched value out of range)."""


@dataclass(frozen=True)
class SweepContext:
    """What every trial shares (passed once through Ray's object store)."""

    name: str
    parent_run_id: str
    section: str  # params section of the trials (train)
    base_params: dict[str, Any]  # paths already absolute: trials run in other directories
    cells: dict[str, dict[str, Any]]


def run_trial(config: dict[str, Any], sweep: SweepContext) -> None:
    """Tune function trainable (Train V2 pattern: it builds and fits the TorchTrainer)."""
    from ray import tune
    from ray.tune.integration.ray_train import TuneReportCallback

    trial_id = tune.get_context().get_trial_id()
    overrides = trial_overrides(config, sweep.cells)
    params = with_overrides(sweep.base_params, overrides)
    params[sweep.section]["run_name"] = f"{sweep.name}-{trial_id}"
    tags = {
        PARENT_RUN_TAG: sweep.parent_run_id,
        SWEEP_TAG: sweep.name,
        TRIAL_TAG: trial_id,
        OVERRIDES_TAG: json.dumps(overrides, sort_keys=True),
        **source_tags("python -m pipeline.tune", "tune trial"),
    }
    try:
        prepared = PreparedRun(params, sweep.section)
    except Exception as err:  # a bad value of the space: record it, let the sweep go on
        _record_unstartable(params, f"{sweep.name}-{trial_id}", tags, overrides, err)
        # Tune copies a trial's exception with its message only; ConfigError needs two args
        raise TrialSetupError(_short(err)) from None
    run = start_or_resume_mlflow_run(prepared, extra_tags=tags)
    try:
        result = fit(prepared, run, callbacks=[TuneReportCallback()])
    except BaseException as err:
        run.set_tags({OUTCOME_TAG: "failed", ERROR_TAG: _short(err)})
        run.end("FAILED")
        raise
    final = {k: v for k, v in (result.metrics or {}).items() if isinstance(v, int | float)}
    run.log_metrics(
        {f"final_{k}": v for k, v in final.items() if k != "step"}, final.get("step", 0)
    )
    run.set_tags({OUTCOME_TAG: "completed"})
    run.end("FINISHED")


def _record_unstartable(
    params: dict[str, Any],
    run_name: str,
    tags: dict[str, str],
    overrides: dict[str, Any],
    err: Exception,
) -> None:
    """A FAILED nested run for a trial whose params did not even build."""
    tracking = TrackingConfig.from_dict(params.get("tracking"))
    run = TrainingRun.start(
        tracking,
        run_name,
        params={"trial": overrides},
        tags={**tags, OUTCOME_TAG: "failed", ERROR_TAG: _short(err)},
    )
    run.end("FAILED")


def _short(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:500]
