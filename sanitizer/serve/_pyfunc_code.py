"""Models-from-code entry point: MLflow copies this file into the model folder and runs it."""

import mlflow.models

from sanitizer.serve._pyfunc import SanitizerModel

mlflow.models.set_model(SanitizerModel())
