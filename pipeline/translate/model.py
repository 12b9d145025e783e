"""`unit-pipeline translate --model MODEL`: turn MODEL into (translator in eval mode on CPU, config).

MODEL is one of
- a registry URI: `models:/NAME@ALIAS`, `models:/NAME/VERSION`, `models:/NAME/latest`,
  `models:/m-…` or `runs:/RUN_ID/PATH`, resolved in `tracking_uri`;
- a Ray checkpoint folder (holding `trainer_state.pt` and `progress.json`);
- a `trainer_state.pt` file (told apart by its name);
- any other file: a translator weights file (`outputs/translation/translator.pt`).
Every failure is a ValueError naming MODEL, so the CLI reports it and exits 2.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch
from mlflow.exceptions import MlflowException
from torch import nn

from pipeline.io.checkpoints import STATE_FILE, load_checkpoint
from pipeline.io.params_file import load_run_params
from pipeline.io.translator_weights import (
    load_translator_weights,
    translator_from_trainer_state,
)
from pipeline.tracking.config import TrackingConfig, sqlite_path
from pipeline.tracking.errors import TrackingError
from pipeline.tracking.reachability import check_tracking_reachable
from pipeline.tracking.redaction import redact_uri
from pipeline.tracking.translator_model import load_translator

log = logging.getLogger(__name__)

REGISTRY_SCHEMES = ("models:/", "runs:/")


def is_registry_uri(model: str) -> bool:
    return model.startswith(REGISTRY_SCHEMES)


def tracking_uri_for(flag: str | None, params: Path) -> str:
    """`--tracking-uri`, else `$MLFLOW_TRACKING_URI`, else `tracking.tracking_uri` of `params`."""
    if flag:
        return flag
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return TrackingConfig.from_dict(load_run_params(params).get("tracking")).resolved_uri()


def load_model(model: str, tracking_uri: str | None = None) -> tuple[nn.Module, Any]:
    """(translator on CPU in eval mode, its config) for MODEL; ValueError naming it."""
    try:
        if is_registry_uri(model):
            translator, cfg = _from_registry(model, tracking_uri)
        else:
            translator, cfg = _from_local(Path(model))
    except ImportError as err:  # a family whose code this install lacks (e.g. no MUNIT yet)
        raise ValueError(f"{model}: this install cannot build the model ({err})") from err
    log.info("model %s: %s translator, %dx%d images, channels a=%d b=%d", model,
             cfg.model.family, cfg.model.image_size, cfg.model.image_size,
             cfg.model.channels_a, cfg.model.channels_b)  # fmt: skip
    return translator, cfg


def _from_local(path: Path) -> tuple[nn.Module, Any]:
    if path.is_dir():
        if not (path / STATE_FILE).is_file():
            raise ValueError(f"{path}: folder is not a checkpoint (no {STATE_FILE})")
        state, progress = load_checkpoint(path)
        log.info("checkpoint %s at step %s", path, progress.get("step"))
        return translator_from_trainer_state(state, str(path / STATE_FILE))
    if not path.is_file():
        raise ValueError(f"{path}: no such model file or checkpoint folder")
    if path.name == STATE_FILE:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # a truncated or foreign file raises assorted types
            raise ValueError(f"{path}: not a readable trainer state ({err})") from err
        if not isinstance(state, dict):
            raise ValueError(f"{path}: not a translation trainer state")
        return translator_from_trainer_state(state, str(path))
    return load_translator_weights(path)


def _from_registry(model: str, tracking_uri: str | None) -> tuple[nn.Module, Any]:
    if tracking_uri is None:
        raise ValueError(f"{model}: a registry model needs a tracking URI")
    _check_store(tracking_uri)
    try:
        return load_translator(model, tracking_uri)
    except MlflowException as err:
        where = redact_uri(tracking_uri)
        raise ValueError(f"{model}: cannot load from {where} ({err.message})") from err
    except (OSError, KeyError) as err:  # no weights artifact, or not one of our models
        raise ValueError(f"{model}: not a translator model ({type(err).__name__}: {err})") from err


def _check_store(tracking_uri: str) -> None:
    """Fail fast on a dead server or a sqlite file that is not there (MLflow would create it)."""
    db = sqlite_path(tracking_uri)
    if db is not None and not db.is_file():
        raise ValueError(f"tracking URI {tracking_uri}: no MLflow database at {db}")
    if tracking_uri.startswith(("http://", "https://")):
        try:
            check_tracking_reachable(tracking_uri)
        except TrackingError as err:
            raise ValueError(str(err)) from err
