"""The certificate: a signed statement that one model version passed every gate.

It binds, in one Ed25519 signature over canonical JSON, everything a serving system or a
reviewer must be able to re-check: the model fingerprint (of fitted parameters) and the
digest of the stored artifact, the registry snapshot it was built on (digest, policy,
rules version, as-of), the data commitments, the code version, the gate results, and
``valid_until``: the earliest date on which any record the model used becomes excluded
under its policy by a waiting-period rule (an ACD running out, a Clean Slate clock). Past
that date the model is stale even if nobody touched it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ..registry import Snapshot, canonical_json, load_signing_key, verify_signature
from ..tables import isin

__all__ = ["Certificate", "CERTIFICATE_FORMAT", "valid_until", "sign_certificate"]

CERTIFICATE_FORMAT = "sanitizer.certificate/1"


def valid_until(snapshot: Snapshot, used_arrest_keys: Iterable[str]) -> date | None:
    """The earliest ``excluded_from`` among the arrests a model used, or None (no expiry)."""
    records = snapshot.records
    used = records[isin(records["arrest_key"], pd.Series(list(used_arrest_keys), dtype="str"))]
    dates = pd.to_datetime(used["excluded_from"]).dropna()
    return None if dates.empty else dates.min().date()


@dataclass(frozen=True)
class Certificate:
    """A certificate's content and, once signed, its signature (read-only).

    ``body`` is what the signature covers; ``to_dict`` adds the signature and key id.
    """

    model_name: str
    model_version: int | None
    fingerprint: str
    artifact_sha256: str
    snapshot: Mapping[str, str]
    commitments: Mapping[str, Mapping]
    code: Mapping[str, object]
    gates: Mapping[str, Mapping]
    valid_until: str | None
    issued_at: str
    key_id: str = ""
    signature: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def body(self) -> dict:
        content = asdict(self)
        content.pop("signature")
        return {"format": CERTIFICATE_FORMAT, **content}

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body)

    def to_dict(self) -> dict:
        return {**self.body, "signature": self.signature}

    @classmethod
    def from_dict(cls, document: Mapping) -> Certificate:
        if document.get("format") != CERTIFICATE_FORMAT:
            raise ValueError(f"not a certificate of format {CERTIFICATE_FORMAT}")
        fields = {k: v for k, v in document.items() if k != "format"}
        return cls(**fields)

    def verify(self, public_key_pem: str) -> bool:
        """Whether the signature is valid for this content under ``public_key_pem``."""
        if not self.signature:
            return False
        return verify_signature(public_key_pem, self.signed_bytes(), self.signature)

    def expired(self, as_of: date) -> bool:
        """Whether ``as_of`` is on or after ``valid_until``: the model may no longer serve."""
        return self.valid_until is not None and as_of >= date.fromisoformat(self.valid_until)


def sign_certificate(certificate: Certificate, home: Path) -> Certificate:
    """The certificate signed with the home's Ed25519 key (created on first use)."""
    key = load_signing_key(home)
    unsigned = Certificate(**{**asdict(certificate), "key_id": key.key_id, "signature": ""})
    signature = key.sign(unsigned.signed_bytes())
    return Certificate(**{**asdict(unsigned), "signature": signature})
