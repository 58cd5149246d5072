"""Serve: certified loading, the inference guard, the MLflow pyfunc and HTTP serving.

The stage after certification. :func:`package_model` writes a trained model as an MLflow
"models from code" pyfunc whose weights are skops files read against explicit trusted
types (nothing is unpickled). :func:`load_certified` loads the version behind
``models:/NAME@certified`` only after checking its signed certificate, its files on
disk, its expiry and the registry, and returns a :class:`GuardedModel`. The pyfunc runs
the same checks itself when MLflow loads it, so ``mlflow models serve`` refuses to start
on a folder that is not a certified version (:class:`NotCertified`). Every request,
whether through it, ``sanitizer serve`` or ``mlflow models serve``, re-checks that the
version is still certified and passes the inference guard: extra columns refused,
history filtered against the current registry, no sealed-derived field returned, an audit
entry written.
"""

from ._guard import InferenceBadInput, InferenceGuard, InferenceRefused
from ._http import make_server, parse_payload
from ._load import GuardedModel, NotCertified, load_certified, load_uri, load_version
from ._package import PACKAGE_FORMAT, input_columns, output_columns, package_model
from ._pyfunc import SanitizerModel
from ._weights import TRUSTED_TYPES, UntrustedWeights, dump_weights, load_weights

__all__ = [
    "GuardedModel",
    "InferenceBadInput",
    "InferenceGuard",
    "InferenceRefused",
    "NotCertified",
    "PACKAGE_FORMAT",
    "SanitizerModel",
    "TRUSTED_TYPES",
    "UntrustedWeights",
    "dump_weights",
    "input_columns",
    "load_certified",
    "load_uri",
    "load_version",
    "load_weights",
    "make_server",
    "output_columns",
    "package_model",
    "parse_payload",
]
