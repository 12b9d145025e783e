"""A training run resolved on the driver: params parsed once and checked before Ray starts.

`PreparedRun` turns a params dict into typed configs (the run section, the task's model with
the data's shape, tracking), resolves and probes every location (manifest, checkpoints, MLflow)
and names the run: `run_name` plus a hash of everything that shapes training, the training
code included, so the same params resume the same Ray run and changed ones start afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline.data.config import dataset_output
from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import TwoDomainBatches, load_manifest
from pipeline.io.storage import check_reachable
from pipeline.tasks import TASKS
from pipeline.tasks.digit_translation_eval import UnlabelledData
from pipeline.tracking import TrackingConfig, check_tracking_reachable
from pipeline.train.config import TrainConfig
from pipeline.train.fingerprint import training_code_fingerprint
from unit_core.speed_options import resolve_speed
from unit_core.typed_config import ConfigError


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
        "speed": train.speed.to_dict(),  # bf16 / compile change the numbers: never resume across
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
        manifest_uri = self.train.manifest or dataset_output(params, self.train.dataset)
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
        try:
            self.task.preflight(self.model, self.manifest)
        except UnlabelledData as err:  # a label-based score on unlabelled data: the key is wrong
            raise ConfigError(f"{section}.task", str(err)) from None
        self._check_selection()
        self._check_data_fits()
        self._check_speed()
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

    def _check_speed(self) -> None:
        """An explicit bf16 that the workers' device cannot run fails here, naming the key.
        Checked on this machine: CPU workers, or GPU workers when this machine has the GPU; a
        GPU only the cluster has is checked by each worker (`train_loop_per_worker`)."""
        gpu = self.train.scaling.use_gpu
        if gpu == "false" or not torch.cuda.is_available():
            device = None if gpu == "true" else "cpu"
        else:
            device = "cuda"
        if device is not None:
            resolve_speed(self.train.speed, device, prefix=f"{self.section}.speed.")

    def _check_data_fits(self) -> None:
        """Every rank must get at least one full batch of each domain."""
        world = self.train.scaling.num_workers
        try:
            TwoDomainBatches(self.manifest, "train", self.train.batch_size, world - 1, world)
        except ValueError as err:
            key = f"{self.section}.batch_size"
            raise ConfigError(key, f"{err} ({self.section}.scaling.num_workers={world})") from err

    def worker_settings(self, mlflow_run_id: str) -> WorkerSettings:
        """What every Ray Train worker needs, typed (parsed here once, never again)."""
        return WorkerSettings(
            train=self.train,
            model=self.model,
            tracking=self.tracking,
            manifest=self.manifest,
            tracking_uri=self.tracking_uri,
            run_name=self.run_name,
            mlflow_run_id=mlflow_run_id,
            records_beside=str(Path(self.train.output).absolute()),
            section=self.section,
        )


@dataclass(frozen=True)
class WorkerSettings:
    """The settings `train_loop_per_worker` runs with: typed configs and the loaded manifest,
    resolved on the driver. Frozen dataclasses pickle through Ray to every worker, so no worker
    parses params or reloads the manifest."""

    train: TrainConfig
    model: Any  # the task's typed model config (UnitConfig, MunitConfig or DaConfig)
    tracking: TrackingConfig
    manifest: Manifest  # loaded once, on the driver
    tracking_uri: str  # absolute (resolved on the driver: workers run in other directories)
    run_name: str
    mlflow_run_id: str
    # The output (absolute, from the driver): MLflow records rank 0 could not deliver are
    # written beside it (pipeline/tracking/missing_records.py).
    records_beside: str = ""
    section: str = "train"  # the params section, for config errors a worker raises
