"""Typed `train:` section of params.yaml: what to train on, for how long, on how many workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from unit_core.speed_options import SpeedSettings
from unit_core.typed_config import TypedConfig, require


@dataclass(frozen=True)
class ScalingSettings(TypedConfig):
    """Ray Train `ScalingConfig`: DDP over `num_workers` processes (gloo on CPU, nccl on GPU)."""

    num_workers: int = 2
    cpus_per_worker: float = 1.0
    # auto: GPUs when the Ray cluster has any; true: require them; false: CPU only.
    use_gpu: Literal["auto", "true", "false"] = "auto"

    def validate(self, prefix: str = "") -> None:
        require(
            self.num_workers >= 1, prefix + "num_workers", f"must be >= 1, got {self.num_workers}"
        )
        require(
            self.cpus_per_worker > 0,
            prefix + "cpus_per_worker",
            f"must be > 0, got {self.cpus_per_worker}",
        )


@dataclass(frozen=True)
class CheckpointSettings(TypedConfig):
    """Where and how often the trainer state is checkpointed (Ray `storage_path`)."""

    every: int = 100  # steps
    keep: int = 2  # most recent checkpoints kept
    # Local folder (made absolute against the working directory) or s3://bucket/prefix.
    storage_path: str = "ray_results"
    max_failures: int = 1  # worker-group restarts from the latest checkpoint before giving up

    def validate(self, prefix: str = "") -> None:
        require(self.every >= 1, prefix + "every", f"must be >= 1, got {self.every}")
        require(self.keep >= 1, prefix + "keep", f"must be >= 1, got {self.keep}")
        require(
            self.max_failures >= -1,
            prefix + "max_failures",
            f"must be >= -1 (-1: unlimited), got {self.max_failures}",
        )
        require(bool(self.storage_path), prefix + "storage_path", "must not be empty")


@dataclass(frozen=True)
class TrainConfig(TypedConfig):
    """One training run of the translation experiment."""

    default_prefix: ClassVar[str] = "train."

    task: Literal["translation", "digit_translation", "adaptation"] = "translation"  # see pipeline/tasks
    model_params: str = "unit"  # the params.yaml section holding the task's model config
    dataset: str = "aerial_maps"  # a key of prepare.datasets
    manifest: str = ""  # default: that dataset's prepare output
    run_name: str = "unit"  # Ray run name prefix; a hash of the config is appended
    output: str = "outputs/translation"  # model, run info and curves for DVC and evaluate
    steps: int = 300  # optimiser steps (each worker does all of them, on its share)
    batch_size: int = 4  # per worker and per domain
    seed: int = 0
    # Which weights the run exports: `last` (the fixed step budget's) or `best_val` (those with
    # the best val pixel accuracy at a logging step; translation with a paired val split only).
    select: Literal["last", "best_val"] = "last"
    # Registry name of the model this run exports (empty: tracking.registered_model), so each
    # experiment's model is found under its own name.
    registered_model: str = ""
    scaling: ScalingSettings = field(default_factory=ScalingSettings)
    checkpoint: CheckpointSettings = field(default_factory=CheckpointSettings)
    # precision / memory_format / compile, each `auto` (per device: unit_core/speed_options.py)
    speed: SpeedSettings = field(default_factory=SpeedSettings)

    def validate(self, prefix: str = "") -> None:
        require(self.steps >= 1, prefix + "steps", f"must be >= 1, got {self.steps}")
        require(self.batch_size >= 1, prefix + "batch_size", f"must be >= 1, got {self.batch_size}")
        require(bool(self.output), prefix + "output", "must not be empty")
