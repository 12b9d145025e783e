"""Launching a resolved run: its MLflow run (new or resumed) and the Ray Train `fit`."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from pipeline.tracking import TrainingRun, training_tags
from pipeline.tracking.dataset_input import log_training_data
from pipeline.tracking.run_tags import RAY_RUN_NAME_TAG
from pipeline.tracking.training_run import find_run_id
from pipeline.train.run import PreparedRun
from unit_core.cpu_threads import prepare_thread_env

STORAGE_MARKER = ".validate_storage_marker"  # Ray Train's probe file in the run's folder
LOCAL_POLL_S = "0.5"  # Ray Train's worker poll interval on a private local Ray (Ray: 2 s)

log = logging.getLogger("pipeline.train")


def start_or_resume_mlflow_run(
    prepared: PreparedRun, extra_tags: dict[str, str] | None = None
) -> TrainingRun:
    """One MLflow run per Ray run: a resumed Ray run continues its MLflow run.

    extra_tags: e.g. `mlflow.parentRunId` when the run is a trial of a `unit-pipeline tune` sweep.
    """
    run_id = find_run_id(
        prepared.tracking_uri, prepared.tracking.experiment, {RAY_RUN_NAME_TAG: prepared.run_name}
    )
    tags = training_tags(
        prepared.manifest_sha,
        prepared.storage_path,
        ray_run_name=prepared.run_name,
        section=prepared.section,
    )
    tags.update(extra_tags or {})
    run = TrainingRun.start(
        prepared.tracking,
        prepared.run_name,
        params=prepared.params,
        tags=tags,
        run_id=run_id,
        tracking_uri=prepared.tracking_uri,
        records_beside=Path(prepared.train.output).absolute(),
    )
    if run_id is None:  # a resumed run already has its dataset
        log_training_data(
            prepared.train.dataset, prepared.manifest_uri, prepared.manifest_sha,
            prepared.manifest.counts,
        )
    return run


def fit(
    prepared: PreparedRun,
    run: TrainingRun,
    callbacks: list | None = None,
    timings: dict[str, float] | None = None,
):  # -> Result
    """Build and run the TorchTrainer (imports Ray lazily: `--help` stays fast).

    callbacks: Ray Train callbacks, e.g. Tune's `TuneReportCallback` inside a sweep trial.
    timings: filled with `ray_start` (importing Ray and starting or joining it) and `fit` seconds.
    """
    timings = {} if timings is None else timings
    started = time.perf_counter()
    import ray
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from pipeline.train.loop import train_loop_per_worker

    if not ray.is_initialized():
        # Workers of a local Ray inherit this environment: OpenMP threads that sleep, not spin,
        # at barriers (unit_core/cpu_threads.py); a cluster's workers keep their own settings.
        prepare_thread_env()
        if not os.environ.get("RAY_ADDRESS"):
            # A private local Ray: its Train controller polls the workers every 0.5 s instead of
            # Ray's 2 s, so a fit does not idle up to 2 s at each state change (start, report,
            # finish): ~5 s of a stage's fixed cost here. A cluster keeps its own setting.
            os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", LOCAL_POLL_S)
        # RAY_ADDRESS (set by `ray job submit` or by the user) selects a cluster; else a private
        # local Ray ("local", not None: None joins any cluster a bare `ray start` left behind).
        ray.init(address=os.environ.get("RAY_ADDRESS") or "local", log_to_driver=True)
    timings["ray_start"] = time.perf_counter() - started
    scaling = prepared.train.scaling
    if scaling.use_gpu == "auto":
        use_gpu = ray.cluster_resources().get("GPU", 0) > 0
    else:
        use_gpu = scaling.use_gpu == "true"
    ckpt = prepared.train.checkpoint
    check_storage_writable(prepared.storage_path, prepared.run_name)
    trainer = TorchTrainer(
        train_loop_per_worker,
        train_loop_config={"settings": prepared.worker_settings(run.run_id)},
        scaling_config=ScalingConfig(
            num_workers=scaling.num_workers,
            use_gpu=use_gpu,
            resources_per_worker={
                "CPU": scaling.cpus_per_worker,
                **({"GPU": 1} if use_gpu else {}),
            },
        ),
        run_config=RunConfig(
            name=prepared.run_name,
            storage_path=prepared.storage_path,
            failure_config=FailureConfig(max_failures=ckpt.max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=ckpt.keep),
            callbacks=callbacks,
        ),
    )
    log.info(
        "training %s: %d steps on %d worker(s) (%s), checkpoints in %s",
        prepared.run_name, prepared.train.steps, scaling.num_workers,
        "GPU" if use_gpu else "CPU", prepared.storage_path,
    )  # fmt: skip
    fitted = time.perf_counter()
    result = trainer.fit()
    timings["fit"] = time.perf_counter() - fitted
    return result


def check_storage_writable(storage_path: str, run_name: str) -> None:
    """Create the run's folder and Ray's marker file in a local `storage_path` first.

    Why: Ray Train creates both inside its controller actor, whose failure reaches the driver
    as an `ActorDiedError` that keeps only the OSError's text: a read-only (or full) storage
    path ended in a traceback instead of `PATH: read-only file system`. Python's own OSError
    names the path. A URI (s3://) is left to Ray's own check.
    """
    if "://" in storage_path:
        return
    folder = Path(storage_path, run_name)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / STORAGE_MARKER, "ab"):  # the empty file Ray writes there anyway
        pass
