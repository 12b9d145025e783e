"""Stage `train`: UNIT on Ray Train (DDP over 1..N workers), tracked in MLflow.

    python -m pipeline.train [--params params.yaml] [--set train.steps=50 ...]
    dvc repro train                                  # the same, as the DVC stage
    ray job submit --working-dir . -- python -m pipeline.train --set train.manifest=s3://…

Without RAY_ADDRESS a local Ray starts in-process; with it (or under `ray job submit`) the run
goes to that cluster. Everything that can be checked before the workers start is checked here
(params, manifest, data size, S3 buckets, MLflow reachability), so bad input fails in seconds.
A run's name is `run_name` plus a hash of everything that shapes training: the same params
resume the same Ray run from its latest checkpoint; changed params start a fresh one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.code_fingerprint import training_code_fingerprint
from pipeline.data.config import dataset_config
from pipeline.data.shard_reader import TwoDomainBatches, load_manifest
from pipeline.params_file import load_run_params
from pipeline.storage import check_reachable
from pipeline.tasks import TASKS
from pipeline.tracking import TrackingConfig, TrainingRun, check_tracking_reachable, training_tags
from pipeline.tracking.dataset_input import log_training_data
from pipeline.tracking.run_tags import RAY_RUN_NAME_TAG
from pipeline.tracking.training_run import find_run_id
from pipeline.train_config import TrainConfig
from pipeline.train_outputs import export_outputs
from unit_core.cpu_threads import prepare_thread_env
from unit_core.typed_config import ConfigError, to_dict

log = logging.getLogger("pipeline.train")
TIMINGS_LOG_PREFIX = "stage timings (s):"


def resolve_location(path_or_uri: str) -> str:
    """Absolute local path (Ray workers do not share our cwd) or an unchanged URI."""
    return path_or_uri if "://" in path_or_uri else str(Path(path_or_uri).resolve())


def run_name_for(train: TrainConfig, model: Any, manifest_sha: str) -> str:
    """`run_name-<hash>` over what shapes the training, code included (not where checkpoints go)."""
    shaping = {
        "task": train.task,
        "model": model.to_dict(),
        "manifest": manifest_sha,
        "steps": train.steps,
        "batch_size": train.batch_size,
        "seed": train.seed,
        "select": train.select,  # best_val keeps extra state: never resume a `last` run with it
        "num_workers": train.scaling.num_workers,
        "speed": to_dict(train.speed),  # bf16 / compile change the numbers: never resume across
        "code": training_code_fingerprint(),  # changed code trains afresh, never resumes
    }
    digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:10]
    return f"{train.run_name}-{digest}"


class PreparedRun:
    """Everything checked and resolved before Ray starts."""

    def __init__(self, params: dict[str, Any], section: str = "train") -> None:
        self.params = params
        self.section = section
        if not isinstance(params.get(section), dict):
            raise ConfigError(section, "missing section in params")
        self.train = TrainConfig.from_dict(params[section], prefix=f"{section}.")
        self.task = TASKS[self.train.task]
        self.tracking = TrackingConfig.from_dict(params.get("tracking"))
        manifest_uri = (
            self.train.manifest or dataset_config(params, self.train.dataset).config.output
        )
        self.manifest_uri = resolve_location(manifest_uri)
        self.storage_path = resolve_location(self.train.checkpoint.storage_path)
        for uri in (self.manifest_uri, self.storage_path):
            check_reachable(uri)  # a missing bucket fails here, not inside a Ray worker
        self.manifest = load_manifest(self.manifest_uri)
        check_reachable(self.manifest.shards_root or "")  # a local pointer to shards on S3
        self.manifest_sha = hashlib.sha256(self.manifest.to_json()).hexdigest()
        model_section = self.train.model_params
        self.model = self.task.build_config(
            params.get(model_section), self.manifest.image, f"{model_section}."
        )
        self.task.preflight(self.model, self.manifest)
        self._check_selection()
        self._check_data_fits()
        self.tracking_uri = self.tracking.resolved_uri()
        check_tracking_reachable(self.tracking_uri)
        self.run_name = run_name_for(self.train, self.model, self.manifest_sha)

    def _check_selection(self) -> None:
        """`best_val` needs a validation signal: the translation task and a paired val split."""
        if self.train.select != "best_val":
            return
        if self.train.task != "translation" or "val" not in self.manifest.paired_splits:
            raise ConfigError(
                f"{self.section}.select",
                f"best_val needs the translation task and a paired val split; task "
                f"{self.train.task} on {self.train.dataset} has none (use select: last)",
            )

    def _check_data_fits(self) -> None:
        """Every rank must get at least one full batch of each domain."""
        world = self.train.scaling.num_workers
        try:
            TwoDomainBatches(self.manifest, "train", self.train.batch_size, world - 1, world)
        except ValueError as err:
            key = f"{self.section}.batch_size"
            raise ConfigError(key, f"{err} ({self.section}.scaling.num_workers={world})") from err

    def loop_config(self, mlflow_run_id: str) -> dict[str, Any]:
        """Plain-dict config for `train_loop_per_worker` (it crosses process boundaries)."""
        t = self.train
        return {
            "task": t.task,
            "model": self.model.to_dict(),
            "manifest": self.manifest_uri,
            "steps": t.steps,
            "batch_size": t.batch_size,
            "seed": t.seed,
            "select": t.select,
            "cpus_per_worker": t.scaling.cpus_per_worker,
            "speed": to_dict(t.speed),
            "checkpoint_every": t.checkpoint.every,
            "log_every": self.tracking.log_every,
            "images_every": self.tracking.images_every,
            "tracking": self.params.get("tracking") or {},
            "tracking_uri": self.tracking_uri,
            "run_name": self.run_name,
            "mlflow_run_id": mlflow_run_id,
        }


def start_or_resume_mlflow_run(
    prepared: PreparedRun, extra_tags: dict[str, str] | None = None
) -> TrainingRun:
    """One MLflow run per Ray run: a resumed Ray run continues its MLflow run.

    extra_tags: e.g. `mlflow.parentRunId` when the run is a trial of a `pipeline tune` sweep.
    """
    run_id = find_run_id(
        prepared.tracking_uri, prepared.tracking.experiment, {RAY_RUN_NAME_TAG: prepared.run_name}
    )
    tags = training_tags(
        prepared.manifest_sha, prepared.storage_path, ray_run_name=prepared.run_name
    )
    tags.update(extra_tags or {})
    run = TrainingRun.start(
        prepared.tracking,
        prepared.run_name,
        params=prepared.params,
        tags=tags,
        run_id=run_id,
        tracking_uri=prepared.tracking_uri,
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

    from pipeline.train_loop import train_loop_per_worker

    if not ray.is_initialized():
        # Workers of a local Ray inherit this environment: OpenMP threads that sleep, not spin,
        # at barriers (unit_core/cpu_threads.py); a cluster's workers keep their own settings.
        prepare_thread_env()
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
    trainer = TorchTrainer(
        train_loop_per_worker,
        train_loop_config=prepared.loop_config(run.run_id),
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


# Sections only some runs read: a --set into one this run ignores would silently do nothing.
RUN_SECTIONS = ("train", "adapt")
MODEL_SECTIONS = ("unit", "munit", "da")


def check_overrides_used(overrides: list[str], prepared: PreparedRun) -> None:
    """ConfigError naming a `--set` key whose section this run does not read."""
    used = {prepared.section, prepared.train.model_params}
    for item in overrides:
        key = item.partition("=")[0]
        top = key.split(".")[0]
        if top in (*RUN_SECTIONS, *MODEL_SECTIONS) and top not in used:
            raise ConfigError(
                key,
                f"this run does not read section '{top}' (--section {prepared.section}, "
                f"{prepared.section}.model_params: {prepared.train.model_params}), so the "
                "value would have no effect",
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train UNIT on Ray Train (DVC stage `train`).")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--preset", action="append", default=[], metavar="FILE",
                        help="partial params file merged over --params (repeatable), e.g. presets/da_paper.yaml")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params value, e.g. --set train.steps=20 (repeatable)")  # fmt: skip
    parser.add_argument("--section", default="train",
                        help="params section of the run: train (translation) or adapt")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        prepared = PreparedRun(load_run_params(args.params, args.preset, args.set), args.section)
        check_overrides_used(args.set, prepared)
    except (ValueError, RuntimeError) as err:  # ConfigError, DataError, TrackingError
        log.error("%s", err)
        return 2
    timings["preflight"] = time.perf_counter() - clock
    run = start_or_resume_mlflow_run(prepared)
    timings["tracking_start"] = time.perf_counter() - clock - timings["preflight"]
    try:
        result = fit(prepared, run, timings=timings)
        exported = time.perf_counter()
        summary = export_outputs(prepared, result, run)
        timings["export_and_model_logging"] = time.perf_counter() - exported
    except BaseException:
        run.end("FAILED")
        raise
    ended = time.perf_counter()
    run.end("FINISHED")
    timings["tracking_end"] = time.perf_counter() - ended
    timings["main_total"] = time.perf_counter() - clock
    log.info("%s %s", TIMINGS_LOG_PREFIX, json.dumps(timings))  # read by pipeline.bench_train
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
