"""Log an adapted digit classifier as an MLflow model, and load it back without pyfunc.

`log_classifier_model` logs the exported `adaptation.pt` (see `pipeline.io.adaptation_weights`)
as the artifact of a pyfunc model-from-code, with a signature (uint8 (N, C, 32, 32) in, int64
labels (N,) out, a `domain` param defaulting to the target domain) and an input example, as
`translator_model` does for translators. `load_classifier` rebuilds the `AdaptedClassifier` from
any model URI (`runs:/…`, `models:/m-…`, `models:/da-digit-classifier@champion`).
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
from mlflow.models import ModelSignature
from mlflow.types import ParamSchema, ParamSpec, Schema, TensorSpec

from pipeline.io.adaptation_weights import load_adapted_classifier
from pipeline.tracking.pyfunc_classifier import MODEL_ARTIFACT
from pipeline.tracking.translator_model import read_logged_artifact
from unit_core.da.classifier import AdaptedClassifier
from unit_core.da.config import DaConfig

log = logging.getLogger(__name__)

# The model-from-code file; referenced by path (importing it would run its set_model call).
PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_classifier_entry.py")


def classifier_signature(cfg: DaConfig) -> ModelSignature:
    """uint8 (N, C, S, S) -> int64 (N,); C is -1 because the two domains' channels may differ."""
    size = cfg.model.image_size
    return ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.uint8), (-1, -1, size, size))]),
        outputs=Schema([TensorSpec(np.dtype(np.int64), (-1,))]),
        params=ParamSchema([ParamSpec("domain", "string", cfg.target_domain)]),
    )


def classifier_input_example(cfg: DaConfig) -> np.ndarray:
    """One target-domain image (a centred bright square on black), uint8 (1, C_target, S, S)."""
    size = cfg.model.image_size
    image = np.zeros((size, size), dtype=np.uint8)
    image[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 255
    return np.broadcast_to(image, (1, cfg.channels(cfg.target_domain), size, size)).copy()


def log_classifier_model(model_file: Path, name: str = "classifier") -> str:
    """Log `model_file` (an `adaptation.pt`) to the *active* MLflow run; return its model URI.

    The file is read first, so a damaged one is refused (ValueError naming it) before logging.
    Requirements are pinned explicitly, as for the translator.
    """
    cfg = load_adapted_classifier(model_file).cfg
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC_ENTRY),
        artifacts={MODEL_ARTIFACT: str(model_file)},
        signature=classifier_signature(cfg),
        input_example=(classifier_input_example(cfg), {"domain": cfg.target_domain}),
        pip_requirements=[f"{p}=={version(p)}" for p in ("mlflow", "torch", "numpy")],
    )
    log.info("logged adapted classifier model %s", info.model_uri)
    return info.model_uri


def load_classifier(model_uri: str, tracking_uri: str | None = None) -> AdaptedClassifier:
    """The adapted classifier (CPU, eval mode; its `cfg` inside) of a logged model.

    model_uri: `models:/m-…`, `models:/NAME@ALIAS`, `models:/NAME/VERSION|latest`, `runs:/…`
    or a plain artifact location. tracking_uri: the store to resolve it in (default: MLflow's
    global one).
    """
    return read_logged_artifact(model_uri, MODEL_ARTIFACT, load_adapted_classifier, tracking_uri)
