"""The MLflow pyfunc class every packaged model loads as (models from code).

MLflow executes the folder's ``_pyfunc_code.py``, which hands an instance of
:class:`SanitizerModel` to ``mlflow.models.set_model``; nothing is unpickled.

``load_context`` refuses to load (:class:`~sanitizer.serve._load.NotCertified`, naming
the reason, audited) unless the folder is, file for file, a certified version of the home
(``serving_home`` or ``SANITIZER_HOME``): the same checks as
:func:`~sanitizer.serve.load_certified` (:func:`~sanitizer.serve._load.certify_loaded`).
Only then does it read the skops weights, from a private copy whose digest it checked,
against the trusted types, and build the service of the model's kind.

``predict`` first re-checks, cheaply, that the version is still certified and that no
record it used was sealed since (:class:`~sanitizer.serve._load.Certification`), then
answers through the inference guard. So a model served by ``mlflow models serve
--env-manager local`` (with ``SANITIZER_DATA`` and ``SANITIZER_HOME`` set) refuses to
start when it may not serve, stops answering when it is decertified, refuses extra
columns, answers from current clean data and audits every request exactly as
``sanitizer serve`` does.

MLflow executes ``_pyfunc_code.py`` before ``load_context`` runs: a folder whose code
file was replaced runs that code whatever the checks later say. Serve folders nobody
else can write to, or through ``sanitizer serve`` (which checks a private copy before
executing any of it).
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from ._guard import InferenceGuard
from ._load import Certification, NotCertified, _discard, certify_loaded, model_root
from ._services import make_service
from ._weights import load_weights

__all__ = ["SanitizerModel"]


class SanitizerModel(mlflow.pyfunc.PythonModel):
    """A packaged pattern or recidivism model behind the inference guard."""

    guard: InferenceGuard | None = None
    certification: Certification | None = None

    def load_context(self, context):
        """Refuse unless the folder is a certified version; then load weights and guard."""
        config = dict(context.model_config or {})
        artifacts = dict(context.artifacts or {})
        root = model_root(artifacts)
        verified, copy = certify_loaded(root, config)
        try:
            if copy is not None:  # read the weights from the copy whose digest was checked
                artifacts = {
                    name: str(copy / Path(path).absolute().relative_to(root))
                    for name, path in artifacts.items()
                }
            weights = load_weights(artifacts)
        finally:
            _discard(copy)
        config["serving_version"] = str(verified.ref.version)  # audit entries name it
        self.guard = InferenceGuard(config, make_service(config, weights))
        self.certification = Certification(verified, self.guard.data)

    def answer(self, model_input) -> pd.DataFrame:
        """Re-check the certification, then answer through the guard; audited either way.

        Raises :class:`~sanitizer.serve._load.NotCertified` (HTTP 403 under MLflow's
        scoring server) once the version may no longer serve.
        """
        if self.guard is None or self.certification is None:
            raise RuntimeError("the model was not loaded (load_context did not run)")
        generation = self.guard.data.generation()
        reason = self.certification.still_certified(generation)
        if reason is not None:
            rows = len(model_input) if hasattr(model_input, "__len__") else 0
            self.guard.audit("REFUSED", rows, 0, reason)
            raise NotCertified(reason)
        return self.guard.predict(model_input, generation)

    def predict(self, context, model_input: pd.DataFrame, params=None):
        """Answer a request: :meth:`answer` (certification, then :class:`InferenceGuard`).

        The ``DataFrame`` hint tells MLflow to infer no input schema and convert
        nothing: the guard sees the request's columns exactly as sent.
        """
        return self.answer(model_input)
