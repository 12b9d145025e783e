"""The MLflow run of one training: params, metrics by step, image grids, the model. Rank 0 only.

Why a handle rather than bare `mlflow.*` calls: the handle carries the run id, so a restarted
worker (Ray `FailureConfig` retry, or a resumed `unit-pipeline train`) continues the *same* run by
passing `run_id=`; and it is the one place where params and tags are flattened and redacted.
Metrics, tags and images go through an `MlflowClient` bound to the resolved URI; the fluent
active run is also set, because `mlflow.pyfunc.log_model` logs to the active run only.

A tracking outage never fails training: metrics, tags and images wait in a `RecordBuffer`
(pipeline/tracking/record_buffer.py) and are sent, in order and once, when the server answers
again. `drain()` (end of training) and `end()` wait for it up to `tracking.outage_grace_s`
from the outage's start; what is still unsent then is written to a missing-records file beside
the output, named in a warning with the command that re-logs it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import mlflow
import torch
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT
from torch import nn

from pipeline.tracking.classifier_model import log_classifier_model
from pipeline.tracking.config import TrackingConfig, sqlite_path
from pipeline.tracking.errors import TrackingError
from pipeline.tracking.image_grid import compose_image_grid
from pipeline.tracking.missing_records import (
    RELOG_COMMAND,
    missing_records_path,
    write_missing_records,
)
from pipeline.tracking.params import flatten_params
from pipeline.tracking.reachability import check_tracking_reachable
from pipeline.tracking.record_buffer import FinalStatus, PendingImage, RecordBuffer, quick_http
from pipeline.tracking.redaction import redact, redact_uri
from pipeline.tracking.registry import (
    DATASET_DIGEST_TAG,
    DATASET_NAME_TAG,
    SOURCE_RUN_TAG,
    Registration,
    logged_model_id,
    register_model,
)
from pipeline.tracking.retry import retry_tracking_write
from pipeline.tracking.translator_model import log_translator_model

log = logging.getLogger(__name__)

_PARAMS_PER_BATCH = 100  # MLflow's per-request limit for log_batch params


class TrainingRun:
    """A started (or resumed) MLflow run. Create with `TrainingRun.start`; end with `end()`."""

    def __init__(
        self,
        config: TrackingConfig,
        tracking_uri: str,
        run_id: str,
        records_beside: str | Path | None = None,
    ) -> None:
        """records_beside: the run's output; unsent records go to a file next to it (default:
        `mlflow-missing-<run_id>.json` in the current directory). Contacts no server, so a
        worker can build it for a known `run_id` while the server is down."""
        self.config = config
        self.tracking_uri = tracking_uri
        self.run_id = run_id
        self.client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
        self.buffer = RecordBuffer(self.client, run_id, max_delay_s=config.retry_max_delay_s)
        self.missing_records = missing_records_path(records_beside or "mlflow", run_id)

    @classmethod
    def start(
        cls,
        config: TrackingConfig,
        run_name: str,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        system_metrics: bool = False,
        records_beside: str | Path | None = None,
    ) -> TrainingRun:
        """Create a run in `config.experiment` — or continue `run_id` — and make it active.

        params: nested (params.yaml as loaded) — flattened and redacted here. tracking_uri:
        the already-resolved URI from the driver (default: `config.resolved_uri()`).
        system_metrics: sample CPU, memory (and GPU where present) into the run's System
        metrics tab while this process keeps the run active (the training worker does).
        records_beside: see `__init__`.
        Raises TrackingError if the store is unreachable or `run_id` is unknown.
        """
        uri = tracking_uri or config.resolved_uri()
        check_tracking_reachable(uri)
        mlflow.set_tracking_uri(uri)  # for log_model, which only knows the global URI
        client = MlflowClient(uri, registry_uri=uri)
        safe_tags = redact(dict(tags or {}))
        if run_id is None:
            experiment_id = _experiment_id(client, config.experiment, uri)
            run_id = client.create_run(experiment_id, run_name=run_name, tags=safe_tags).info.run_id
            log.info("MLflow run %s (%s) at %s", run_id, run_name, redact_uri(uri))
        else:
            _require_run(client, run_id, uri)
            if safe_tags:
                client.log_batch(run_id, tags=_tag_entities(safe_tags))
            log.info("continuing MLflow run %s at %s", run_id, redact_uri(uri))
        run = cls(config, uri, run_id, records_beside)
        run._activate(system_metrics)
        run._log_params(flatten_params(params or {}))
        return run

    def log_metrics(
        self,
        metrics: Mapping[str, float],
        step: int,
        model_id: str | None = None,
        dataset: tuple[str, str] | None = None,
    ) -> None:
        """Log scalar metrics (loss terms, lr, images/s, eval numbers) at training `step`.

        model_id: also attach them to that MLflow 3 LoggedModel (its page lists them).
        dataset: (name, digest) of the dataset they were measured on, shown beside them.
        Never raises for the server: points wait in the buffer until it answers (see module).
        """
        now = int(time.time() * 1000)  # fixed here: a resent point is the same point
        name, digest = dataset or (None, None)
        entities = [
            Metric(k, float(v), now, int(step), model_id, dataset_name=name, dataset_digest=digest)
            for k, v in metrics.items()
        ]
        if entities:
            self.buffer.add(entities)

    def log_evaluation(
        self, metrics: Mapping[str, float], step: int, model_uri: str | None = None
    ) -> None:
        """Log evaluation numbers to the run and, for a `models:/m-…` URI, to that logged model,
        each tied to the run's training dataset (the val/test splits are splits of it)."""
        self.log_metrics(
            metrics, step, model_id=logged_model_id(model_uri), dataset=self.training_dataset()
        )

    def training_dataset(self) -> tuple[str, str] | None:
        """(name, digest) of the dataset logged as this run's training input, if any."""
        inputs = self.client.get_run(self.run_id).inputs
        for dataset_input in inputs.dataset_inputs if inputs else []:
            context = {t.key: t.value for t in dataset_input.tags}.get(MLFLOW_DATASET_CONTEXT)
            if context == "training":
                return dataset_input.dataset.name, dataset_input.dataset.digest
        return None

    def log_image_grid(self, name: str, rows: Mapping[str, torch.Tensor], step: int) -> None:
        """Log one PNG grid (rows of uint8 (N, C, H, W) images, see `compose_image_grid`).

        Logged with MLflow's image key + step, so the run page shows it with a step slider
        and runs can be compared image-by-image (a plain `images/step_…png` artifact would not).
        """
        image = compose_image_grid(rows)
        self.buffer.add([PendingImage(name, int(step), int(time.time() * 1000), image)])

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Set tags (credentials redacted); buffered like metrics."""
        if tags:
            self.buffer.add(_tag_entities(redact(dict(tags))))

    def drain(self) -> Path | None:
        """Deliver every buffered record, waiting for a down server up to `outage_grace_s` from
        the outage's start (at least one try). What is left goes to `self.missing_records`,
        named in a warning with the command that re-logs it; that path is returned (None when
        nothing is missing). Never raises for the server."""
        if self.buffer.pending:
            started = self.buffer.down_since or self.buffer.clock()
            self.buffer.drain(started + self.config.outage_grace_s)
        missing = [*self.buffer.refused, *self.buffer.pending]
        if not missing:
            return None
        why = (
            f"MLflow at {redact_uri(self.tracking_uri)} did not take them "
            f"(down {self.buffer.down_for():.0f} s, tracking.outage_grace_s "
            f"{self.config.outage_grace_s:g}; last error: {self.buffer.last_error})"
        )
        counts = write_missing_records(
            self.missing_records, self.run_id, self.tracking_uri, missing, why
        )
        self.buffer.refused.clear()
        self.buffer.pending.clear()
        log.warning(
            "MLflow run %s is missing %d metric point(s), %d tag(s), %d image(s)%s: %s. "
            "Written to %s; once the server is back, re-log them with: %s %s",
            self.run_id, counts["metrics"], counts["tags"], counts["images"],
            " and its final status" if counts["status"] else "", why,
            self.missing_records, RELOG_COMMAND, self.missing_records,
        )  # fmt: skip
        return self.missing_records

    def log_translator(self, translator: nn.Module, cfg: Any, name: str = "translator") -> str:
        """Log the translator as a pyfunc model of this run; returns its model URI."""
        self._activate()
        return log_translator_model(translator, cfg, name)

    def log_classifier(self, model_file: Path, name: str = "classifier") -> str:
        """Log an exported `adaptation.pt` as the adapted classifier's pyfunc model of this run;
        returns its model URI."""
        self._activate()
        return log_classifier_model(model_file, name)

    def register(
        self, model_uri: str, metric_value: float | None, name: str | None = None
    ) -> Registration:
        """Register under `name` or `config.registered_model` (newest version; @champion if it
        wins; metric_value None: no validation metric, the newest is @champion).

        The version links back to this run (MLflow's "Source run") and carries the training
        dataset's name and digest as tags, so the registry page names the data version.
        """
        tags = {SOURCE_RUN_TAG: self.run_id}
        dataset = self.training_dataset()
        if dataset is not None:
            tags.update({DATASET_NAME_TAG: dataset[0], DATASET_DIGEST_TAG: dataset[1]})
        return register_model(
            model_uri,
            name or self.config.registered_model,
            metric_name=self.config.champion_metric,
            metric_value=metric_value,
            higher_is_better=self.config.champion_higher_is_better,
            tracking_uri=self.tracking_uri,
            tags=redact(tags),
        )

    def end(self, status: str = "FINISHED") -> Path | None:
        """Mark the run FINISHED, FAILED or KILLED after every buffered record, and release the
        active run. Never raises for the server: what it did not take, the status included,
        goes to the missing-records file, whose path is returned (see `drain`)."""
        RunStatus.from_string(status)  # raises on a typo before anything changes
        _release_active_run(self.run_id)
        self.buffer.pending.append(FinalStatus(status))
        return self.drain()

    def __enter__(self) -> TrainingRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end("FINISHED" if exc_type is None else "FAILED")

    def _activate(self, system_metrics: bool = False) -> None:
        active = mlflow.active_run()
        if active is not None and active.info.run_id == self.run_id:
            return
        if active is not None:
            raise TrackingError(
                f"MLflow run {active.info.run_id} is already active in this process; "
                f"end it before using run {self.run_id}"
            )
        mlflow.start_run(run_id=self.run_id, log_system_metrics=system_metrics or None)

    def _log_params(self, params: dict[str, str]) -> None:
        """Log params; on a resumed run keep existing values and warn about changed ones."""
        params = redact(params)
        existing = self.client.get_run(self.run_id).data.params
        changed = sorted(k for k in params if k in existing and existing[k] != params[k])
        if changed:
            log.warning("resumed run %s keeps its original params for %s", self.run_id, changed)
        new = [Param(k, v) for k, v in params.items() if k not in existing]
        for i in range(0, len(new), _PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=new[i : i + _PARAMS_PER_BATCH])


def _release_active_run(run_id: str) -> None:
    """Make `run_id` no longer this process's active run, and stop its system-metrics sampler,
    without asking the server (`mlflow.end_run` does both only after its own server call)."""
    active = mlflow.active_run()
    if active is None or active.info.run_id != run_id:
        return
    fluent = mlflow.tracking.fluent
    fluent._active_run_stack.get().pop()
    fluent.MLFLOW_RUN_ID.unset()
    fluent._last_active_run_id.set(run_id)
    monitor = fluent.run_id_to_system_metrics_monitor.pop(run_id, None)
    if monitor is not None:
        with quick_http():
            monitor.finish()


def _tag_entities(tags: Mapping[str, str]) -> list[RunTag]:
    return [RunTag(k, str(v)) for k, v in tags.items()]


# MLflow 3's UI opens an experiment by its kind; without this tag it guesses (often GenAI).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"  # the "Model training" view (MLflow 3.17 UI)


def _experiment_id(client: MlflowClient, name: str, uri: str) -> str:
    """Id of experiment `name`, created if missing (artifacts beside a sqlite database) and
    tagged as a model-training experiment (existing ones too).

    The tag is written only where missing, and best-effort: MLflow's stores check then insert,
    so runs starting together on a new experiment all find it untagged and all but one lose
    with `UNIQUE constraint failed: experiment_tags...` (retry.py). It only picks the UI's view.
    """
    experiment_id, tags = _find_or_create_experiment(client, name, uri)
    if tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
        retry_tracking_write(
            lambda: client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND),
            f"the experiment tag {EXPERIMENT_KIND_TAG}",
        )
    return experiment_id


def _find_or_create_experiment(
    client: MlflowClient, name: str, uri: str
) -> tuple[str, Mapping[str, str]]:
    """The experiment's id and tags (none when this call created it)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage == "deleted":
            raise TrackingError(
                f"MLflow experiment {name!r} at {redact_uri(uri)} is deleted; restore it "
                "(mlflow experiments restore) or choose another tracking.experiment"
            )
        return experiment.experiment_id, experiment.tags
    db = sqlite_path(uri)
    # MLflow's default puts artifacts in ./mlruns of whatever cwd the creating process has;
    # for a sqlite store keep them next to the database so every process finds them.
    folder = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    location = (db.parent / "mlruns" / folder).resolve().as_uri() if db is not None else None
    try:
        return client.create_experiment(name, artifact_location=location), {}
    except MlflowException:
        experiment = client.get_experiment_by_name(name)  # created concurrently by another run
        if experiment is None:
            raise
        return experiment.experiment_id, experiment.tags


def _require_run(client: MlflowClient, run_id: str, uri: str) -> None:
    try:
        client.get_run(run_id)
    except MlflowException as err:
        raise TrackingError(
            f"cannot continue MLflow run {run_id}: not found at {redact_uri(uri)} ({err.message})"
        ) from None


def find_run_id(tracking_uri: str, experiment: str, tags: Mapping[str, str]) -> str | None:
    """The id of a run in `experiment` carrying every tag in `tags`, or None.

    How a resumed Ray run (or a restored sweep) finds the MLflow run it started before, so one
    training stays one run however often it is restarted.
    """
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return None
    query = " and ".join(f"tags.`{key}` = '{value}'" for key, value in tags.items())
    runs = client.search_runs([found.experiment_id], filter_string=query, max_results=1)
    return runs[0].info.run_id if runs else None
