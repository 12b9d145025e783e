"""Register a logged translator as a new version; alias @champion only when it wins.

Why aliases and a metric tag: MLflow 3's registry has no stages; `models:/NAME@champion` is the
stable name that `unit-pipeline translate` and serving load. "latest" is a *reserved* alias name in
MLflow 3 because `models:/NAME/latest` already resolves to the newest version — that built-in URI
is our "@latest" (`Registration.latest_uri`). Each version carries the metric that
earned it (tags `champion_metric`, `champion_metric_value`), so a later training can compare
against the current champion without finding its run. A champion whose metric is missing or
named differently is never displaced automatically — that comparison would be meaningless.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS

log = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"
METRIC_NAME_TAG = "champion_metric"
METRIC_VALUE_TAG = "champion_metric_value"
FIXED_BUDGET = "none"  # champion_metric of a run with no validation metric: the newest wins
# Version tags naming what the version was trained on and by which run (the registry page shows
# tags; MLflow's own run link is the version's run_id).
SOURCE_RUN_TAG = "source_run_id"
DATASET_NAME_TAG = "dataset_name"
DATASET_DIGEST_TAG = "dataset_digest"
_LOGGED_MODEL_URI = re.compile(r"^models:/(m-[0-9a-f]+)$")


@dataclass(frozen=True)
class Registration:
    """Outcome of `register_model`: `models:/{name}/{version}`, and whether it is champion."""

    name: str
    version: str
    is_champion: bool
    previous_champion: str | None  # version that held @champion before, if any

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def latest_uri(self) -> str:
        """MLflow's built-in pointer to the newest version (an alias named latest is refused)."""
        return f"models:/{self.name}/latest"

    @property
    def champion_uri(self) -> str:
        return f"models:/{self.name}@{CHAMPION_ALIAS}"


def register_model(
    model_uri: str,
    name: str,
    metric_name: str,
    metric_value: float | None,
    higher_is_better: bool = True,
    tracking_uri: str | None = None,
    tags: dict[str, str] | None = None,
) -> Registration:
    """Register `model_uri` (from `log_translator_model`) as a new version of `name`.

    metric_value None: the run has no validation metric (a fixed step budget chose its
    weights, as on the digits, where every label is some direction's target label); its
    newest version is then @champion, tagged `champion_metric: none`.
    tags: extra version tags (the training run and dataset, see `TrainingRun.register`).
    """
    if metric_value is None:
        metric_name, metric_value = FIXED_BUDGET, math.nan
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    _ensure_registered_model(client, name)
    source, model_id, run_id = _source_of(client, model_uri)
    version = client.create_model_version(
        name,
        source=source,
        run_id=run_id,
        model_id=model_id,
        tags={
            **(tags or {}),
            METRIC_NAME_TAG: metric_name,
            METRIC_VALUE_TAG: repr(float(metric_value)),
        },
    ).version
    if model_id is not None:
        _link_logged_model(client, model_id, name, str(version))
    champion = _current_champion(client, name)
    if metric_name == FIXED_BUDGET:
        wins = True
    else:
        wins = champion is None or _beats(
            float(metric_value), metric_name, champion.tags, higher_is_better
        )
        if math.isnan(float(metric_value)):
            wins = False
    if wins:
        client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
    log.info(
        "registered %s version %s (%s=%s)%s",
        name,
        version,
        metric_name,
        metric_value,
        " as @champion" if wins else "",
    )
    previous = str(champion.version) if champion else None
    return Registration(name, str(version), wins, previous)


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.get_registered_model(name)
    except MlflowException:
        try:
            client.create_registered_model(name)
        except MlflowException:
            client.get_registered_model(name)  # created concurrently; re-raise if truly absent


def _link_logged_model(client: MlflowClient, model_id: str, name: str, version: str) -> None:
    """List the version on the logged model's page, as `mlflow.register_model` does.

    Why by hand: `MlflowClient.create_model_version` leaves this `mlflow.modelVersions` tag to
    the fluent API, and the sqlite registry does not store a version's model_id.
    """
    tags = client.get_logged_model(model_id).tags
    versions = json.loads(tags.get(MLFLOW_MODEL_VERSIONS, "[]"))
    versions.append({"name": name, "version": version})
    client.set_logged_model_tags(model_id, {MLFLOW_MODEL_VERSIONS: json.dumps(versions)})


def logged_model_id(model_uri: str | None) -> str | None:
    """`m-…` of a `models:/m-…` URI (what `log_translator_model` returns), else None."""
    match = _LOGGED_MODEL_URI.match(model_uri or "")
    return match.group(1) if match else None


def _source_of(client: MlflowClient, model_uri: str) -> tuple[str, str | None, str | None]:
    """(artifact location, logged model id, source run id) for a `models:/m-…` URI.

    Why resolve here: given a `models:/` source, MLflow's sqlite registry store looks the
    logged model up through the process-global tracking URI, not the client's (an upstream
    TODO), so an explicit tracking URI would be ignored. Other URIs pass through unchanged.
    """
    match = _LOGGED_MODEL_URI.match(model_uri)
    if match is None:
        return model_uri, None, None
    logged = client.get_logged_model(match.group(1))
    return logged.artifact_location, logged.model_id, logged.source_run_id


def _current_champion(client: MlflowClient, name: str):  # -> ModelVersion | None
    try:
        return client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        return None


def _beats(value: float, metric_name: str, champion_tags: dict[str, str], higher: bool) -> bool:
    if champion_tags.get(METRIC_NAME_TAG) != metric_name:
        log.warning("current @champion was not chosen by %s; leaving it in place", metric_name)
        return False
    try:
        best = float(champion_tags[METRIC_VALUE_TAG])
    except (KeyError, ValueError):
        log.warning("current @champion has no usable %s tag; leaving it in place", METRIC_VALUE_TAG)
        return False
    if math.isnan(best):
        return True
    return value > best if higher else value < best
