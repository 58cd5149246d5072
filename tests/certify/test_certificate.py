"""Certificates: signed, tamper-evident, and expiring when a used record will be excluded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from sanitizer.certify import Certificate, sign_certificate, valid_until
from sanitizer.registry import Snapshot, export_public_key


def certificate(**changes):
    fields = dict(
        model_name="recidivism",
        model_version=3,
        fingerprint="ab" * 32,
        artifact_sha256="cd" * 32,
        snapshot={
            "digest": "ef" * 32,
            "policy": "strict",
            "rules_version": "01" * 32,
            "as_of": "2026-06-01",
        },
        commitments={"arrests": {"sha256": "23" * 32, "keys_root": "45" * 32, "rows": 10}},
        code={"git_commit": "0" * 40, "dirty": False},
        gates={"provenance": {"passed": True}},
        valid_until="2026-09-01",
        issued_at="2026-06-01T00:00:00+00:00",
    )
    fields.update(changes)
    return Certificate(**fields)


def test_signed_certificate_verifies_with_the_exported_public_key(tmp_path):
    signed = sign_certificate(certificate(), tmp_path)
    public = export_public_key(tmp_path)
    assert signed.verify(public)
    round_trip = Certificate.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert round_trip.verify(public)


@pytest.mark.parametrize(
    "field, value",
    [
        ("fingerprint", "00" * 32),
        ("artifact_sha256", "11" * 32),
        ("valid_until", None),
        ("gates", {"provenance": {"passed": False}}),
        ("model_version", 4),
    ],
)
def test_any_change_breaks_the_signature(tmp_path, field, value):
    signed = sign_certificate(certificate(), tmp_path)
    assert not replace(signed, **{field: value}).verify(export_public_key(tmp_path))


def test_unsigned_or_foreign_key_does_not_verify(tmp_path):
    sign_certificate(certificate(), tmp_path)  # creates this home's key pair
    public = export_public_key(tmp_path)
    assert not certificate().verify(public)
    signed_elsewhere = sign_certificate(certificate(), tmp_path / "other")
    assert not signed_elsewhere.verify(public)


def test_expiry():
    cert = certificate(valid_until="2026-09-01")
    assert not cert.expired(date(2026, 8, 31)) and cert.expired(date(2026, 9, 1))
    assert not certificate(valid_until=None).expired(date(2100, 1, 1))


def test_valid_until_is_the_earliest_exclusion_among_used_records():
    records = pd.DataFrame(
        {
            "arrest_key": ["A1", "A2", "A3"],
            "person_id": ["P1", "P2", "P3"],
            "status": ["ACD_PENDING", "NOT_SEALED", "NOT_SEALED"],
            "statute": [None, None, None],
            "since": pd.to_datetime(["2026-03-01"] * 3),
            "access_regime": ["UNRESTRICTED"] * 3,
            "excluded": [False, False, False],
            "seals_on": pd.to_datetime(["2026-09-01", None, "2027-01-02"]),
            "excluded_from": pd.to_datetime(["2026-09-01", None, "2027-01-02"]),
            "destroy_class": [False] * 3,
            "reason": [""] * 3,
        }
    )
    snapshot = Snapshot(
        date(2026, 6, 1),
        "statutory",
        "p" * 64,
        "r" * 64,
        records,
        pd.DataFrame(columns=["arrest_key", "docket_id"]),
    )
    assert valid_until(snapshot, ["A2", "A3"]) == date(2027, 1, 2)
    assert valid_until(snapshot, ["A1", "A2", "A3"]) == date(2026, 9, 1)
    assert valid_until(snapshot, ["A2"]) is None
