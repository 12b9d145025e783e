"""The per-worker training loop that Ray Train runs on every DDP rank.

Every rank builds the same seeded `UnitTrainer`, resumes from Ray's latest checkpoint when
there is one, reads its own share of the training shards (equal step counts on every rank),
and calls `ray.train.report` at exactly the same steps — DDP and Ray hang if ranks disagree.
Only rank 0 writes checkpoints and talks to MLflow.
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

import ray.train
import ray.train.torch
import torch
from torch.nn.parallel import DistributedDataParallel

from pipeline.checkpoint_files import load_checkpoint, save_checkpoint
from pipeline.data.shard_reader import TwoDomainBatches, load_manifest
from pipeline.tracking import TrackingConfig, TrainingRun
from pipeline.translation_eval import paired_split, pixel_accuracy_on_pairs
from unit_core.config import UnitConfig
from unit_core.inputs import to_model_range, to_uint8
from unit_core.trainer import UnitTrainer

log = logging.getLogger("pipeline.train")
GRID_IMAGES = 4


def train_loop_per_worker(config: dict[str, Any]) -> None:
    """Ray Train entry point; `config` is built by `pipeline.train.loop_config`."""
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    device = ray.train.torch.get_device()
    torch.set_num_threads(max(1, int(config["cpus_per_worker"])))
    trainer = UnitTrainer(UnitConfig.from_dict(config["unit"]), device)
    progress: dict[str, Any] = {"step": 0, "history": [], "mlflow_run_id": config["mlflow_run_id"]}
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            state, progress = load_checkpoint(Path(folder))
        trainer.load_state_dict(state)
        log.info("rank %d resumed at step %d", rank, trainer.step)
    # Ranks draw different latent noise; seeded from the step so a resume is reproducible.
    trainer.noise.manual_seed(config["seed"] * 1_000_003 + rank * 7919 + trainer.step)
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        trainer.wrap(lambda module: DistributedDataParallel(module, device_ids=ids))

    manifest = load_manifest(config["manifest"])
    batches = TwoDomainBatches(manifest, "train", config["batch_size"], rank, world, config["seed"])
    run = _attach_mlflow(config) if rank == 0 else None
    # The validation curve (the map protocol on the paired val split) when the data has one.
    has_val = rank == 0 and "val" in manifest.paired_splits
    val_pairs = paired_split(manifest, "val") if has_val else None
    _run_steps(trainer, batches, config, progress, run, world, val_pairs)


def _attach_mlflow(config: dict[str, Any]) -> TrainingRun:
    tracking = TrackingConfig.from_dict(config["tracking"])
    return TrainingRun.start(
        tracking,
        config["run_name"],
        run_id=config["mlflow_run_id"],
        tracking_uri=config["tracking_uri"],
    )


def _run_steps(
    trainer: UnitTrainer,
    batches: TwoDomainBatches,
    config: dict[str, Any],
    progress: dict[str, Any],
    run: TrainingRun | None,
    world: int,
    val_pairs: tuple[torch.Tensor, torch.Tensor] | None,
) -> None:
    total, every = config["steps"], config["checkpoint_every"]
    log_every, images_every = config["log_every"], config["images_every"]
    window = {"steps": 0, "wait": 0.0, "busy": 0.0}
    tick = time.perf_counter()
    while trainer.step < total:
        epoch, offset = divmod(trainer.step, len(batches))
        batches.set_epoch(epoch)
        for batch in islice(batches, offset, None):
            fetched = time.perf_counter()
            x_a, x_b = to_model_range(batch.a), to_model_range(batch.b)
            losses = trainer.train_step(x_a, x_b)
            done = time.perf_counter()
            window["steps"] += 1
            window["wait"] += fetched - tick
            window["busy"] += done - fetched
            tick = done
            step = trainer.step
            if run is not None and (step % log_every == 0 or step == total):
                metrics = {**losses, **_throughput(window, config["batch_size"], world)}
                metrics["lr"] = trainer.gen_optimizer.param_groups[0]["lr"]
                if val_pairs is not None:
                    metrics["val_pixel_accuracy"] = pixel_accuracy_on_pairs(
                        trainer.translator, val_pairs
                    )
                run.log_metrics(metrics, step)
                progress["history"].append({"step": step, **metrics})
                window = {"steps": 0, "wait": 0.0, "busy": 0.0}
            if run is not None and (step % images_every == 0 or step == total):
                run.log_image_grid("translations", _grid_rows(trainer, x_a, x_b), step)
            if step % every == 0 or step == total:
                _report(trainer, progress, losses)
                tick = time.perf_counter()  # checkpoint I/O is not data wait
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


@torch.no_grad()
def _grid_rows(
    trainer: UnitTrainer, x_a: torch.Tensor, x_b: torch.Tensor
) -> dict[str, torch.Tensor]:
    """a, a→b, recon, cycle (and the same from b) for the first images of the batch, z = mu."""
    net = trainer.translator
    net.eval()
    try:
        out = net(x_a[:GRID_IMAGES].to(trainer.device), x_b[:GRID_IMAGES].to(trainer.device))
    finally:
        net.train()
    rows = {
        "a": x_a[:GRID_IMAGES], "a2b": out.a2b, "recon_a": out.recon_a, "cycle_a": out.cycle_a,
        "b": x_b[:GRID_IMAGES], "b2a": out.b2a, "recon_b": out.recon_b, "cycle_b": out.cycle_b,
    }  # fmt: skip
    return {name: to_uint8(images.cpu()) for name, images in rows.items()}


def _report(trainer: UnitTrainer, progress: dict[str, Any], losses: dict[str, float]) -> None:
    """Every rank reports (same count); rank 0 attaches the checkpoint."""
    progress["step"] = trainer.step
    metrics = {"step": trainer.step, **losses}
    if ray.train.get_context().get_world_rank() != 0:
        ray.train.report(metrics)
        return
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(Path(folder), trainer.state_dict(), progress)
        ray.train.report(
            metrics,
            checkpoint=ray.train.Checkpoint.from_directory(folder),
            checkpoint_dir_name=f"checkpoint_{trainer.step:08d}",
        )
