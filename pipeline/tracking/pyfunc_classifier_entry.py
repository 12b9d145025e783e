"""Model-from-code entry point that MLflow copies into every logged adapted classifier."""

import mlflow.models

from pipeline.tracking.pyfunc_classifier import AdaptedClassifierModel

mlflow.models.set_model(AdaptedClassifierModel())
