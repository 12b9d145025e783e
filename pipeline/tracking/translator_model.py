"""Log a trained translator as an MLflow model, and load it back without MLflow's pyfunc layer.

`log_translator_model` writes our weights file (see `translator_weights`) as the artifact of a
pyfunc model-from-code, with a signature (uint8 (N, C, S, S) in and out, a `direction` param) and
an input example, so the UI documents how to call it and `mlflow models serve` validates input.
`load_translator` fetches the same weights file from any model URI (`runs:/…`, `models:/m-…`,
`models:/NAME@champion`) and rebuilds the plain translator (UNIT or MUNIT, by the file's
`model.family`) for `pipeline.translate`.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import mlflow
import mlflow.pyfunc
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.models import Model, ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ParamSchema, ParamSpec, Schema, TensorSpec
from torch import nn

from pipeline.io.translator_weights import load_translator_weights, save_translator_weights
from pipeline.tracking.pyfunc_translator import WEIGHTS_ARTIFACT

log = logging.getLogger(__name__)

WEIGHTS_FILE = "translator.pt"
# The model-from-code file; referenced by path (importing it would run its set_model call).
PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_entry.py")
_MODELS_URI = re.compile(r"^models:/(?P<name>[^/]+)(?:/(?P<version>[^/]+))?/?$")
T = TypeVar("T")


def translator_signature(model: Any) -> ModelSignature:
    """uint8 (N, C, S, S) -> uint8 (N, C', S, S); C is -1 because a2b and b2a differ in C."""
    size = model.image_size
    images = TensorSpec(np.dtype(np.uint8), (-1, -1, size, size))
    return ModelSignature(
        inputs=Schema([images]),
        outputs=Schema([images]),
        params=ParamSchema([ParamSpec("direction", "string", "a2b")]),
    )


def input_example(model: Any) -> np.ndarray:
    """One domain-A image (a diagonal gradient), uint8 (1, C_a, S, S)."""
    ramp = np.linspace(0, 255, model.image_size, dtype=np.float32)
    image = ((ramp[:, None] + ramp[None, :]) / 2).astype(np.uint8)
    return np.broadcast_to(image, (1, model.channels_a, *image.shape)).copy()


def log_translator_model(translator: nn.Module, cfg: Any, name: str) -> str:
    """Log to the *active* MLflow run; return the model URI (`models:/m-…`) for registering.

    Requirements are pinned explicitly (MLflow's inference would import-trace in a subprocess
    for seconds); the project itself (`unit-pipeline`) must be installed where it is served.
    """
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp, WEIGHTS_FILE)
        save_translator_weights(translator, cfg, weights)
        info = mlflow.pyfunc.log_model(
            name=name,
            python_model=str(PYFUNC_ENTRY),
            artifacts={WEIGHTS_ARTIFACT: str(weights)},
            signature=translator_signature(cfg.model),
            input_example=(input_example(cfg.model), {"direction": "a2b"}),
            pip_requirements=[f"{p}=={version(p)}" for p in ("mlflow", "torch", "numpy")],
        )
    log.info("logged translator model %s", info.model_uri)
    return info.model_uri


def load_translator(model_uri: str, tracking_uri: str | None = None) -> tuple[nn.Module, Any]:
    """Rebuild (translator in eval mode on CPU, its config) from a logged model's weights.

    model_uri: `models:/m-…`, `models:/NAME@ALIAS`, `models:/NAME/VERSION|latest`, `runs:/…`
    or a plain artifact location. tracking_uri: the store to resolve it in (default: MLflow's
    global one).
    """
    return read_logged_artifact(model_uri, WEIGHTS_ARTIFACT, load_translator_weights, tracking_uri)


def read_logged_artifact(
    model_uri: str, artifact: str, read: Callable[[Path], T], tracking_uri: str | None = None
) -> T:
    """`read(local path)` of the pyfunc artifact `artifact` of the model at `model_uri`.

    The model is downloaded into a temporary folder that exists only during `read`.
    """
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    location = resolve_model_location(client, model_uri)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=location, dst_path=tmp, tracking_uri=tracking_uri
        )
        flavor = Model.load(local).flavors[mlflow.pyfunc.FLAVOR_NAME]
        return read(Path(local, flavor["artifacts"][artifact]["path"]))


def resolve_model_location(client: MlflowClient, model_uri: str) -> str:
    """The artifact location behind a `models:/` URI, resolved with `client`.

    Why not let MLflow do it: its `models:/` artifact repository ignores the tracking URI it is
    given and always asks the process-global registry, which is wrong for a caller (or a test)
    that names its store explicitly. Other URIs are returned unchanged.
    """
    match = _MODELS_URI.match(model_uri)
    if match is None:
        return model_uri
    name, version = match.group("name"), match.group("version")
    if version is None and name.startswith("m-"):
        return client.get_logged_model(name).artifact_location
    if version is None and "@" in name:
        name, alias = name.split("@", 1)
        version = client.get_model_version_by_alias(name, alias).version
    elif version == "latest":
        quoted = name.replace("'", "\\'")
        versions = client.search_model_versions(f"name='{quoted}'")
        if not versions:
            raise MlflowException(f"registered model {name!r} has no versions")
        version = str(max(int(v.version) for v in versions))
    elif version is None:
        raise MlflowException(f"cannot resolve model URI {model_uri!r}")
    return client.get_model_version_download_uri(name, version)
