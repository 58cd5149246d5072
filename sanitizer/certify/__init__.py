"""Certify: signed certificates, MLflow registration, the lineage index, decertification.

A model version is certified only when the provenance, invariance, fitted-state,
fairness and quality gates pass; its certificate is what serving checks before loading.
The MLflow layout is fixed in ``docs/model-registry.md``.
"""

from ._certificate import CERTIFICATE_FORMAT, Certificate, sign_certificate, valid_until
from ._index import LineageIndex, index_problem, used_keys_digest
from ._relocate import Relocation, check_location, copy_home, relocate_home
from ._store import (
    ALIAS,
    MODEL_NAMES,
    ModelStore,
    ModelVersionRef,
    artifact_digest,
    parse_model_uri,
)

__all__ = [
    "ALIAS",
    "CERTIFICATE_FORMAT",
    "Certificate",
    "LineageIndex",
    "MODEL_NAMES",
    "ModelStore",
    "ModelVersionRef",
    "Relocation",
    "check_location",
    "copy_home",
    "index_problem",
    "relocate_home",
    "artifact_digest",
    "parse_model_uri",
    "sign_certificate",
    "used_keys_digest",
    "valid_until",
]
