"""Model-from-code entry point that MLflow copies into every logged translator model."""

import mlflow.models

from pipeline.tracking.pyfunc_translator import UnitTranslatorModel

mlflow.models.set_model(UnitTranslatorModel())
