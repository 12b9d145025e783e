"""The MLflow pyfunc face of a trained translator: uint8 images in, uint8 translations out.

Logged as a *model from code* (`pyfunc_entry.py` is the code file), so nothing is pickled: the
model directory holds our weights file and loading imports `pipeline` and `unit_core` from the
installed project (`pip install -e .` here; the same wheel in a serving image).
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import torch

from pipeline.io.translator_weights import load_translator_weights
from unit_core.inputs import check_batch, to_model_range, to_uint8

WEIGHTS_ARTIFACT = "translator_weights"  # key in the pyfunc `artifacts` dict
DIRECTIONS = ("a2b", "b2a")
PREDICT_CHUNK = 64  # images per forward, to bound memory on large requests

class UnitTranslatorModel(mlflow.pyfunc.PythonModel):
    """`predict(images, params={"direction": "a2b"|"b2a"})`.

    images: uint8 numpy (N, C, S, S), C the source domain's channels. Returns uint8
    (N, C', S, S) in the target domain, deterministic: UNIT z = mu, MUNIT the prior's mean style
    (`unit-pipeline translate --styles K` samples styles).
    """

    def load_context(self, context: Any) -> None:
        self.translator, self.config = load_translator_weights(context.artifacts[WEIGHTS_ARTIFACT])

    # No type hints on predict's arguments: MLflow 3 reads them as a schema and warns that
    # np.ndarray is not one; the explicit signature logged with the model is the schema.
    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        direction = (params or {}).get("direction", "a2b")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        images = np.asarray(model_input)
        if images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images (N, C, S, S), got dtype {images.dtype}")
        model = self.config.model
        channels = model.channels_a if direction == "a2b" else model.channels_b
        x = to_model_range(torch.from_numpy(np.ascontiguousarray(images)))
        check_batch(x, channels, model.image_size, f"{direction} input")
        chunks = [
            to_uint8(self.translator.translate(x[i : i + PREDICT_CHUNK], direction))
            for i in range(0, len(x), PREDICT_CHUNK)
        ]
        return torch.cat(chunks).numpy()
