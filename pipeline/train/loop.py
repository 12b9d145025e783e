"""The per-worker training loop that Ray Train runs on every DDP rank.

Every rank builds the same seeded task (`pipeline.tasks`), resumes from Ray's latest
checkpoint when there is one, reads its own share of the training shards (equal step counts on
every rank), and calls `ray.train.report` at exactly the same steps — DDP and Ray hang if ranks
disagree. Only rank 0 writes checkpoints and talks to MLflow.
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.fs
import ray.train
import ray.train.torch
from torch.nn.parallel import DistributedDataParallel

from pipeline.data.shard_reader import TwoDomainBatches
from pipeline.io.checkpoints import load_checkpoint, save_checkpoint
from pipeline.io.os_faults import storage_fault
from pipeline.tasks import TASKS
from pipeline.tracking import TrainingRun
from unit_core.cpu_threads import apply_cpu_threads
from unit_core.speed_options import ResolvedSpeed, apply_speed, autocast_for, resolve_speed

if TYPE_CHECKING:
    from pipeline.train.run import WorkerSettings

log = logging.getLogger("pipeline.train")
# Where rank 0's time inside the Ray worker goes (summed over resumes): the run record's
# `loop_seconds` (`pipeline.io.run_outputs`), read by `pipeline.bench.train`.
SECONDS = ("worker_setup", "train_steps", "data_wait", "evaluation", "tracking", "checkpoint")


def train_loop_per_worker(config: dict[str, Any]) -> None:
    """Ray Train entry point; `config["settings"]` is `PreparedRun.worker_settings(...)`."""
    entered = time.perf_counter()
    settings: WorkerSettings = config["settings"]
    train = settings.train
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    device = ray.train.torch.get_device()
    apply_cpu_threads(float(train.scaling.cpus_per_worker))  # threads = the CPUs Ray gave us
    task = TASKS[train.task](settings.model, device)
    task.select = train.select
    progress: dict[str, Any] = {"step": 0, "history": [], "mlflow_run_id": settings.mlflow_run_id}
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        state, progress = read_checkpoint(checkpoint, rank)
        task.load_state_dict(state)
        progress.setdefault("resumed_from", []).append(task.step)  # restarts, for the run record
        log.info("rank %d resumed at step %d", rank, task.step)
    # Ranks draw different latent noise; seeded from the step so a resume is reproducible.
    task.reseed_noise(train.seed * 1_000_003 + rank * 7919 + task.step)
    speed = resolve_speed(train.speed, device, prefix=f"{settings.section}.speed.")
    ddp = None
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        ddp = lambda module: DistributedDataParallel(module, device_ids=ids)  # noqa: E731
    apply_speed(task, task.trained_modules(), speed, ddp)

    manifest = settings.manifest
    batches = TwoDomainBatches(manifest, "train", train.batch_size, rank, world, train.seed)
    run = None
    if rank == 0:
        run = _attach_mlflow(settings)
        task.prepare_validation(manifest)
    seconds = progress.setdefault("seconds", dict.fromkeys(SECONDS, 0.0))
    seconds["worker_setup"] += time.perf_counter() - entered
    _run_steps(task, batches, settings, progress, run, world, speed)
    if run is not None:
        run.drain()  # waits for a down server up to tracking.outage_grace_s, then writes a file


def read_checkpoint(checkpoint: ray.train.Checkpoint, rank: int) -> tuple[dict, dict[str, Any]]:
    """(trainer state, progress) of Ray's checkpoint; a remote one is downloaded per rank.

    Why not `checkpoint.as_directory()`: for a remote (S3) checkpoint it shares one temporary
    folder per node, and a rank that takes the download lock after another rank's download
    has finished downloads again into the same folder while that rank is reading it. Seen on
    a loaded 2-core machine: rank 0 failed to resume ("unreadable checkpoint ... file read
    failed") on both attempts while rank 1 resumed. A private folder per rank costs one more
    download of a few MB.
    """
    if isinstance(checkpoint.filesystem, pyarrow.fs.LocalFileSystem):
        return load_checkpoint(Path(checkpoint.path))  # read in place, as `as_directory` does
    with tempfile.TemporaryDirectory(prefix=f"unit-resume-rank{rank}-") as folder:
        checkpoint.to_directory(folder)
        return load_checkpoint(Path(folder))


def _attach_mlflow(settings: WorkerSettings) -> TrainingRun:
    """The driver's MLflow run, continued on rank 0; a server that is down now (a worker restart
    during a tracking outage) costs the system metrics, not the training: records are buffered."""
    beside = settings.records_beside or None
    try:
        return TrainingRun.start(
            settings.tracking,
            settings.run_name,
            run_id=settings.mlflow_run_id,
            tracking_uri=settings.tracking_uri,
            system_metrics=True,  # MLflow samples every 10 s: far below 1 % of step time
            records_beside=beside,
        )
    except Exception as err:  # noqa: BLE001 — tracking must never fail the training
        log.warning("MLflow run %s not reachable at start (%s); training goes on, its records "
                    "are buffered", settings.mlflow_run_id, err)  # fmt: skip
        return TrainingRun(settings.tracking, settings.tracking_uri, settings.mlflow_run_id, beside)


def _run_steps(
    task: Any,
    batches: TwoDomainBatches,
    settings: WorkerSettings,
    progress: dict[str, Any],
    run: TrainingRun | None,
    world: int,
    speed: ResolvedSpeed,
) -> None:
    total, every = settings.train.steps, settings.train.checkpoint.every
    log_every, images_every = settings.tracking.log_every, settings.tracking.images_every
    batch_size = settings.train.batch_size
    window = {"steps": 0, "wait": 0.0, "busy": 0.0}
    seconds = progress["seconds"]
    tick = time.perf_counter()
    while task.step < total:
        epoch, offset = divmod(task.step, len(batches))
        batches.set_epoch(epoch)
        for batch in islice(batches, offset, None):
            fetched = time.perf_counter()
            with autocast_for(speed, task.trainer.device):
                losses = task.train_step(batch)
            done = time.perf_counter()
            window["steps"] += 1
            window["wait"] += fetched - tick
            window["busy"] += done - fetched
            seconds["data_wait"] += fetched - tick
            seconds["train_steps"] += done - fetched
            tick = done
            step = task.step
            if run is not None and (step % log_every == 0 or step == total):
                metrics = {**losses, **_throughput(window, batch_size, world)}
                metrics["lr"] = task.learning_rate
                evaluated = time.perf_counter()
                metrics.update(task.validation_metrics())
                logged = time.perf_counter()
                seconds["evaluation"] += logged - evaluated
                run.log_metrics(metrics, step)
                progress["history"].append({"step": step, **metrics})
                window = {"steps": 0, "wait": 0.0, "busy": 0.0}
                seconds["tracking"] += time.perf_counter() - logged
            if run is not None and (step % images_every == 0 or step == total):
                logged = time.perf_counter()
                run.log_image_grid("translations", task.image_rows(batch), step)
                seconds["tracking"] += time.perf_counter() - logged
            if step % every == 0 or step == total:
                saved = time.perf_counter()
                _report(task, progress, losses)
                seconds["checkpoint"] += time.perf_counter() - saved
            # Logging, validation and checkpoint I/O since `done` are not data wait.
            tick = time.perf_counter()
            if step >= total:
                break


def _throughput(window: dict[str, float], batch_size: int, world: int) -> dict[str, float]:
    """Images/s per worker and for the whole job (both domains), data-wait fraction, memory."""
    elapsed = window["wait"] + window["busy"]
    per_worker = 2 * batch_size * window["steps"] / elapsed if elapsed > 0 else 0.0
    return {
        "images_per_s_per_worker": per_worker,
        "images_per_s": per_worker * world,
        "data_wait_fraction": window["wait"] / elapsed if elapsed > 0 else 0.0,
        # rank 0's peak resident memory (ru_maxrss is KiB on Linux), a proxy for each worker's
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _report(task: Any, progress: dict[str, Any], losses: dict[str, float]) -> None:
    """Every rank reports (same count); rank 0 attaches the checkpoint.

    Rank 0 also reports the validation metrics at this step (Tune's ASHA scheduler stops
    trials on them; `TuneReportCallback` forwards rank 0's metrics).
    """
    progress["step"] = task.step
    metrics = {"step": task.step, **losses}
    if ray.train.get_context().get_world_rank() != 0:
        ray.train.report(metrics)
        return
    metrics.update(_validation_at_step(task, progress))
    name = f"checkpoint_{task.step:08d}"
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(Path(folder), task.state_dict(), progress)
        try:
            ray.train.report(
                metrics, checkpoint=ray.train.Checkpoint.from_directory(folder),
                checkpoint_dir_name=name,
            )  # fmt: skip
        except Exception as err:
            _raise_naming_checkpoint(err, name)
            raise


def _raise_naming_checkpoint(err: Exception, name: str) -> None:
    """Re-raise a storage fault of Ray's checkpoint upload naming its destination.

    Why: Ray copies into `storage_path` with pyarrow, whose OSError(ENOSPC) names no file. The
    half-copied folder is removed (best effort), so storage keeps only whole checkpoints.
    """
    fault = storage_fault(err)
    if fault is None or fault.filename is not None:
        return
    storage = ray.train.get_context().get_storage()
    where = storage.build_checkpoint_path_from_name(name)
    try:
        storage.storage_filesystem.delete_dir(where)
    except Exception:  # noqa: BLE001, S110 — nothing copied, or the store refuses deletes too
        pass
    raise OSError(fault.errno, fault.strerror, where) from err


def _validation_at_step(task: Any, progress: dict[str, Any]) -> dict[str, float]:
    """The `val_*` metrics of the current step: reused when just logged, else computed."""
    history = progress["history"]
    if history and history[-1]["step"] == task.step:
        return {k: v for k, v in history[-1].items() if k.startswith("val_")}
    return task.validation_metrics()
