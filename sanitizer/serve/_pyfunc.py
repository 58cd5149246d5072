"""The MLflow pyfunc class every packaged model loads as (models from code).

MLflow executes the folder's ``_pyfunc_code.py``, which hands an instance of
:class:`SanitizerModel` to ``mlflow.models.set_model``; nothing is unpickled. Its
``load_context`` reads the skops weights against the trusted types and builds the
service of the model's kind; its ``predict`` is the guard, so a model served by
``mlflow models serve --env-manager local`` (with ``SANITIZER_DATA`` and
``SANITIZER_HOME`` set) refuses extra columns, answers from current clean data and
audits every request exactly as ``sanitizer serve`` does.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from ._guard import InferenceGuard
from ._services import make_service
from ._weights import load_weights

__all__ = ["SanitizerModel"]


class SanitizerModel(mlflow.pyfunc.PythonModel):
    """A packaged pattern or recidivism model behind the inference guard."""

    guard: InferenceGuard | None = None

    def load_context(self, context):
        """Load the weights (trusted types only) and set up the guard."""
        config = dict(context.model_config or {})
        weights = load_weights(context.artifacts)
        self.guard = InferenceGuard(config, make_service(config, weights))

    def predict(self, context, model_input: pd.DataFrame, params=None):
        """Answer a request through the guard (see :class:`InferenceGuard`).

        The ``DataFrame`` hint tells MLflow to infer no input schema and convert
        nothing: the guard sees the request's columns exactly as sent.
        """
        if self.guard is None:
            raise RuntimeError("the model was not loaded (load_context did not run)")
        return self.guard.predict(model_input)
