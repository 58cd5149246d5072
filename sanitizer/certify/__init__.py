"""Certify: signed certificates, MLflow registration, decertification.

A model version is certified only when the provenance, invariance, fitted-state,
fairness and quality gates pass; its certificate is what serving checks before loading.
"""

from ._certificate import CERTIFICATE_FORMAT, Certificate, sign_certificate, valid_until

__all__ = ["CERTIFICATE_FORMAT", "Certificate", "sign_certificate", "valid_until"]
