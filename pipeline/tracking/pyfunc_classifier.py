"""The MLflow pyfunc face of an adapted digit classifier: uint8 images in, int64 labels out.

Logged as a *model from code* (`pyfunc_classifier_entry.py`), as the translator is: the model
directory holds the exported `adaptation.pt` and loading imports `pipeline` and `unit_core` from
the installed project, so nothing is pickled.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import torch

from pipeline.io.adaptation_weights import load_adapted_classifier

MODEL_ARTIFACT = "adaptation_model"  # key in the pyfunc `artifacts` dict


class AdaptedClassifierModel(mlflow.pyfunc.PythonModel):
    """`predict(images, params={"domain": "a"|"b"})`: class labels int64 (N,).

    images: uint8 numpy (N, C, 32, 32), C that domain's channels; domain defaults to the
    target domain the model was adapted to. Deterministic (eval mode, no dropout).
    """

    def load_context(self, context: Any) -> None:
        self.classifier = load_adapted_classifier(context.artifacts[MODEL_ARTIFACT])

    # No type hints on predict's arguments: MLflow 3 reads them as a schema and warns that
    # np.ndarray is not one; the explicit signature logged with the model is the schema.
    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        domain = (params or {}).get("domain") or self.classifier.cfg.target_domain
        images = torch.from_numpy(np.ascontiguousarray(np.asarray(model_input)))
        return self.classifier.predict(images, domain).numpy()
