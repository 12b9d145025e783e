"""A Ray Tune sweep whose trials are Ray Train runs of our loop, tracked in MLflow: the library
behind `python -m pipeline.tune` (see its docstring for the commands, concurrency and resume).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.train.run import PreparedRun, resolve_location
from pipeline.tune.config import TuneSettings, needed_cpus
from pipeline.tune.outcomes import best_trial, trial_outcomes
from pipeline.tune.outputs import best_params_document, write_outputs
from pipeline.tune.space import param_space, trial_cells, trial_count
from pipeline.tune.tracking import (
    log_sweep_summary,
    settle_trial_runs,
    start_or_resume_parent_run,
)
from pipeline.tune.trial import SweepContext, run_trial
from unit_core.typed_config import ConfigError

log = logging.getLogger("pipeline.tune")

TRIAL_SLOT = "trial_slot"


def trial_base_params(params: dict[str, Any], settings: TuneSettings) -> dict[str, Any]:
    """The params every trial starts from: the sweep's budget and resources, absolute paths."""
    base = copy.deepcopy(params)
    section = base[settings.section]
    section["steps"] = settings.steps
    trial = settings.trial
    section.setdefault("scaling", {}).update(
        num_workers=trial.num_workers, cpus_per_worker=trial.cpus_per_worker, use_gpu=trial.use_gpu
    )
    return base


def sweep_name_for(settings: TuneSettings, prepared: PreparedRun) -> str:
    """`tune.name-<hash>` over what shapes the sweep's results (not where they are written)."""
    shaping = {
        "tune": {
            k: v
            for k, v in prepared.params["tune"].items()
            if k not in ("storage_path", "output", "max_concurrent_trials")
        },
        "train": prepared.params[settings.section],
        "model": prepared.model.to_dict(),
        "manifest": prepared.manifest_sha,
    }
    blob = json.dumps(shaping, sort_keys=True, default=str).encode()
    return f"{settings.name}-{hashlib.sha256(blob).hexdigest()[:10]}"


def start_ray(settings: TuneSettings) -> int:
    """Attach to $RAY_ADDRESS or start a local Ray with trial slots; returns usable slots."""
    import ray

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address)
        else:
            cpus = max(os.cpu_count() or 1, math.ceil(needed_cpus(settings)))
            ray.init(
                address="local",  # never a `ray start` cluster found on this machine
                num_cpus=cpus,
                resources={TRIAL_SLOT: settings.max_concurrent_trials},
                include_dashboard=True,
            )
    available = ray.cluster_resources()
    slots = int(available.get(TRIAL_SLOT, 0))
    if slots < 1:
        raise ConfigError(
            "tune.max_concurrent_trials",
            f"the Ray cluster has no {TRIAL_SLOT!r} resource; start its nodes with "
            f"--resources='{{\"{TRIAL_SLOT}\": N}}'",
        )
    if available.get("CPU", 0) < settings.trial.cpus:
        raise ConfigError("tune.trial", f"a trial needs {settings.trial.cpus} CPUs: {available}")
    return min(slots, settings.max_concurrent_trials)


def build_tuner(settings: TuneSettings, sweep: SweepContext, storage: str, concurrency: int):
    """A new Tuner, or the restored one when this sweep has run (or was interrupted) before."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    trainable = tune.with_resources(
        tune.with_parameters(run_trial, sweep=sweep), {TRIAL_SLOT: 1, "CPU": 0}
    )
    path = f"{storage.rstrip('/')}/{sweep.name}"
    if tune.Tuner.can_restore(path):
        log.info("restoring sweep %s from %s (finished trials are kept)", sweep.name, path)
        return tune.Tuner.restore(path, trainable=trainable, resume_errored=False)
    scheduler = None
    if settings.asha.enabled:
        scheduler = ASHAScheduler(
            time_attr="step",
            # past the budget: a trial that reaches it must end by itself (an ASHA stop at
            # the last report would kill its TorchTrainer while fit() is returning)
            max_t=settings.steps + 1,
            grace_period=settings.asha.grace_period,
            reduction_factor=settings.asha.reduction_factor,
        )
    return tune.Tuner(
        trainable,
        param_space=param_space(settings, sweep.cells),
        tune_config=tune.TuneConfig(
            metric=settings.metric,
            mode=settings.mode,
            scheduler=scheduler,
            num_samples=settings.num_samples,
            max_concurrent_trials=concurrency,
        ),
        run_config=tune.RunConfig(
            name=sweep.name,
            storage_path=storage,
            # a crashing config fails the same way again: record it, do not retry it
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )


class SweepInterrupted(RuntimeError):
    """Tune stopped on SIGINT with trials unfinished; rerunning the same params resumes."""


def trial_identities(results: Any, expected: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Trial path -> (trial id, config), read back from the experiment's saved state.

    Raises SweepInterrupted when a trial has not ended or not all `expected` trials exist:
    Tune returns normally on Ctrl+C (and creates trials lazily under a concurrency limit).
    """
    from ray import tune

    analysis = tune.ExperimentAnalysis(
        results.experiment_path, storage_filesystem=results.filesystem
    )
    unfinished = [t.trial_id for t in analysis.trials if t.status not in ("TERMINATED", "ERROR")]
    if unfinished or len(analysis.trials) < expected:
        raise SweepInterrupted(
            f"sweep interrupted: {len(analysis.trials)} of {expected} trials made, "
            f"{unfinished} unfinished; rerun with the same params to resume it"
        )
    return {str(t.path): (t.trial_id, dict(t.config or {})) for t in analysis.trials}


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep reads from params, checked before Ray starts."""

    settings: TuneSettings
    prepared: PreparedRun  # the base config, resolved: it must train at all
    base: dict[str, Any]  # the params every trial starts from (absolute paths)
    name: str  # the Tune experiment: tune.name plus a hash of the sweep's inputs
    storage: str
    model_section: str
    cells: dict[str, dict[str, Any]]


def plan_sweep(params: dict[str, Any]) -> SweepPlan:
    """Parse and check the sweep's params (no Ray, no MLflow writes)."""
    settings = TuneSettings.from_dict(params.get("tune"))
    settings.check_keys(params)
    base = trial_base_params(params, settings)
    prepared = PreparedRun(base, settings.section)  # the base config must train at all
    section = base[settings.section]
    section["manifest"] = prepared.manifest_uri
    base["tracking"]["tracking_uri"] = prepared.tracking_uri
    name = sweep_name_for(settings, prepared)
    storage = resolve_location(settings.storage_path)
    section.setdefault("checkpoint", {})["storage_path"] = f"{storage.rstrip('/')}/{name}-trials"
    model_section = prepared.train.model_params
    cells = trial_cells(settings, model_section)
    return SweepPlan(settings, prepared, base, name, storage, model_section, cells)


def run_sweep(params: dict[str, Any]) -> dict[str, Any]:
    """Check, run (or restore) the sweep, settle MLflow and write the outputs; a summary."""
    plan = plan_sweep(params)
    settings, prepared, base, name = plan.settings, plan.prepared, plan.base, plan.name
    storage, model_section, cells = plan.storage, plan.model_section, plan.cells
    section = base[settings.section]

    concurrency = start_ray(settings)
    parent = start_or_resume_parent_run(
        prepared.tracking,
        prepared.tracking_uri,
        name,
        {"tune": params["tune"], settings.section: section, model_section: base[model_section]},
    )
    sweep = SweepContext(name, parent.run_id, settings.section, base, cells)
    try:
        results = build_tuner(settings, sweep, storage, concurrency).fit()
        outcomes = trial_outcomes(
            results,
            trial_identities(results, trial_count(settings, cells)),
            settings.metric,
            settings.steps,
            cells,
        )
        settle_trial_runs(parent, outcomes)
        best = best_trial(outcomes, settings.mode)
        document = None
        if best is not None:
            document = best_params_document(name, best, settings, base, model_section)
        output = Path(settings.output)
        write_outputs(output, settings, outcomes, document)
        log_sweep_summary(parent, outcomes, best, settings.metric, output)
    except SweepInterrupted:
        parent.end("KILLED")  # continued (RUNNING again) when the sweep is restored
        raise
    except BaseException:
        parent.end("FAILED")
        raise
    parent.end("FINISHED")
    return {
        "sweep": name,
        "mlflow_parent_run_id": parent.run_id,
        "trials": {o.trial_id: o.outcome for o in outcomes},
        "best": None if best is None else {"trial_id": best.trial_id, settings.metric: best.value},
        "output": str(output),
    }
