"""The access gate's decisions: deny by default, grant only through a valid, scoped grant."""

from __future__ import annotations

from datetime import date

import pytest

from sanitizer.registry import _access as gate
from sanitizer.registry._access import AccessRequest, decide_access
from sanitizer.tables import make_frame

AS_OF = date(2024, 3, 1)
SEALED_160_50 = {
    "arrest_key": "A1",
    "person_id": "P1",
    "status": "SEALED_160_50",
    "statute": "CPL 160.50(3)(b)",
    "access_regime": "COURT_ORDER_ONLY",
}
SEALED_160_57 = {
    **SEALED_160_50,
    "status": "SEALED_160_57",
    "statute": "CPL 160.57",
    "access_regime": "LE_DUTY_PERMITTED",
}
EXPUNGED = {
    **SEALED_160_50,
    "status": "EXPUNGED_160_50_5",
    "statute": "CPL 160.50(5)",
    "access_regime": "SUBJECT_ONLY",
}
OPEN = {**SEALED_160_50, "status": "OPEN", "statute": None, "access_regime": "UNRESTRICTED"}

GOOD = {
    "GRANT_ID": "G1",
    "BASIS": "CPL_160_50_1_d_ii_EX_PARTE_ORDER",
    "COURT_TYPE": "SUPREME",
    "EX_PARTE": True,
    "ISSUED_AT": "2024-01-02",
    "EFFECTIVE_FROM": "2024-01-02",
    "EXPIRES_AT": "2024-07-02",
    "STATUS": "ACTIVE",
    "GRANTEE_IDS": "det.rivera;det.chen",
    "SCOPE_ARREST_KEYS": "A1",
    "RECORD_TYPES": "ARREST_REPORT;PHOTO",
    "PURPOSE": "INVESTIGATION_OF_SPECIFIC_CRIME",
    "CASE_NO": "2024-075-00123",
}


def ask(record, grant_changes=None, **request_changes):
    grant = {**GOOD, **(grant_changes or {})}
    grants = make_frame("access_grants", [grant])
    request = dict(
        arrest_key="A1",
        requester="det.rivera",
        purpose="INVESTIGATION_OF_SPECIFIC_CRIME",
        as_of=AS_OF,
        grant_id="G1",
        case_no="2024-075-00123",
    )
    request.update(request_changes)
    return decide_access(AccessRequest(**request), record, grants)


def test_a_valid_ex_parte_order_opens_a_sealed_record():
    decision = ask(SEALED_160_50)
    assert decision.granted
    assert decision.reason == gate.R_GRANTED.format(
        grant_id="G1", basis=GOOD["BASIS"], purpose="INVESTIGATION_OF_SPECIFIC_CRIME"
    )


def test_sealed_record_without_grant_is_denied_by_default():
    decision = ask(SEALED_160_50, grant_id=None)
    assert not decision.granted and "denied by default" in decision.reason


def test_unsealed_records_need_no_grant():
    assert ask(OPEN, grant_id=None).granted


def test_unknown_arrest_and_unknown_grant_are_denied():
    assert not ask(None).granted
    decision = ask(SEALED_160_50, grant_id="G404")
    assert decision.reason == gate.R_GRANT_NOT_FOUND.format(grant_id="G404")


@pytest.mark.parametrize(
    "changes, reason_start",
    [
        ({"STATUS": "VACATED"}, "grant G1 is VACATED"),
        ({"STATUS": "EXPIRED"}, "grant G1 is EXPIRED"),
        ({"STATUS": "SUPERSEDED"}, "grant G1 is SUPERSEDED"),
        ({"EXPIRES_AT": None}, "grant G1 has no expiry date"),
        ({"EXPIRES_AT": "2024-02-01"}, "grant G1 is effective"),
        ({"EFFECTIVE_FROM": "2024-04-01", "EXPIRES_AT": "2024-09-01"}, "grant G1 is effective"),
        ({"SCOPE_ARREST_KEYS": "*"}, "grant G1 is category-wide"),
        ({"SCOPE_ARREST_KEYS": None, "SCOPE_PERSON_IDS": None}, "grant G1 is category-wide"),
        ({"SCOPE_ARREST_KEYS": "A1", "SCOPE_PERSON_IDS": "*"}, "grant G1 is category-wide"),
        ({"GRANTEE_IDS": "det.chen"}, "requester 'det.rivera' is not named"),
        ({"SCOPE_ARREST_KEYS": "A2"}, "arrest A1 (person P1) is outside the scope"),
        ({"RECORD_TYPES": "PHOTO"}, "record type ARREST_REPORT is not covered"),
        ({"PURPOSE": "EMPLOYMENT"}, "purpose INVESTIGATION_OF_SPECIFIC_CRIME does not match"),
        ({"CASE_NO": "2024-075-99999"}, "case number '2024-075-00123' does not match"),
        ({"BASIS": "LE_DUTY_STATUTORY"}, "basis LE_DUTY_STATUTORY of grant G1 does not open"),
        ({"BASIS": "CPL_160_55_1_d_ii_EX_PARTE_ORDER"}, "basis CPL_160_55_1_d_ii"),
        ({"COURT_TYPE": "DISTRICT", "COURT_SEALED_THE_RECORD": False}, "grant G1 is an ex parte"),
        ({"EX_PARTE": False}, "grant G1 is a (d)(ii) order but is not marked ex parte"),
        ({"PERMITTED_ACTIONS": "COPY"}, "grant G1 does not permit VIEW"),
    ],
)
def test_every_defect_of_a_grant_denies(changes, reason_start):
    decision = ask(SEALED_160_50, changes)
    assert not decision.granted
    assert decision.reason.startswith(reason_start), decision.reason


def test_the_sealing_local_court_may_unseal():
    assert ask(
        SEALED_160_50, {"COURT_TYPE": "NYC_CRIMINAL", "COURT_SEALED_THE_RECORD": True}
    ).granted


def test_grant_scoped_by_person_covers_their_arrest():
    assert ask(SEALED_160_50, {"SCOPE_ARREST_KEYS": None, "SCOPE_PERSON_IDS": "P1"}).granted


def test_case_number_is_free_when_the_grant_names_none():
    assert ask(SEALED_160_50, {"CASE_NO": None}, case_no=None).granted


def test_le_duty_opens_clean_slate_records_and_logs_the_purpose():
    decision = ask(SEALED_160_57, {"BASIS": "LE_DUTY_STATUTORY", "EX_PARTE": False})
    assert decision.granted and "purpose logged" in decision.reason


def test_basis_must_serve_its_own_purpose():
    decision = ask(
        SEALED_160_50,
        {"BASIS": "GUN_LICENSE_APPLICATION", "PURPOSE": "INVESTIGATION_OF_SPECIFIC_CRIME"},
    )
    assert not decision.granted and "serves LICENSE_REVIEW" in decision.reason
    licence = ask(
        SEALED_160_50,
        {"BASIS": "GUN_LICENSE_APPLICATION", "PURPOSE": "LICENSE_REVIEW"},
        purpose="LICENSE_REVIEW",
    )
    assert licence.granted


def test_expunged_records_only_for_their_subject():
    assert not ask(EXPUNGED).granted
    assert not ask(EXPUNGED, requester="P1", purpose="INVESTIGATION_OF_SPECIFIC_CRIME").granted
    assert ask(EXPUNGED, requester="P1", purpose="SUBJECT_REQUEST", grant_id=None).granted


def test_a_request_naming_no_case_is_told_so_when_the_grant_names_one():
    decision = ask(SEALED_160_50, {}, case_no=None)
    assert not decision.granted
    assert decision.reason.startswith("grant G1 is limited to case '2024-075-00123'")
    assert "None" not in decision.reason


# --- a named grant is checked whatever the regime; denials say nothing about the record ---
def test_a_named_grant_must_be_valid_even_for_an_unsealed_record():
    assert ask(OPEN).granted  # valid and in scope
    for decision in (
        ask(OPEN, grant_id="G404"),
        ask(OPEN, {"GRANTEE_IDS": "det.chen"}),
        ask(OPEN, {"EXPIRES_AT": "2024-02-01"}),
        ask(OPEN, {"SCOPE_ARREST_KEYS": "A2"}),
    ):
        assert not decision.granted, decision.reason
    assert ask(OPEN, grant_id=None).granted


def test_a_grant_is_never_effective_before_it_is_issued():
    for changes in (
        {"ISSUED_AT": "2024-04-01", "EFFECTIVE_FROM": None},
        {"ISSUED_AT": "2024-04-01", "EFFECTIVE_FROM": "2024-01-02"},
    ):
        decision = ask(SEALED_160_50, changes)
        assert not decision.granted
        assert decision.reason.startswith("grant G1 is issued on 2024-04-01, after 2024-03-01")
        assert decision.public_reason == decision.reason  # the grant's own problem
    assert ask(SEALED_160_50, {"EFFECTIVE_FROM": None}).granted  # issued 2024-01-02


SEALED_WORDS = ("SEALED", "EXPUNGED", "160.5", "CPL", "ONLY", "LE_DUTY_PERMITTED", "P1")
UNKNOWN = None


@pytest.mark.parametrize(
    "grant_changes, request_changes",
    [
        ({}, {"grant_id": None}),  # no grant
        ({"SCOPE_ARREST_KEYS": "A2"}, {}),  # out of scope
        ({"BASIS": "CPL_160_55_1_d_ii_EX_PARTE_ORDER"}, {}),  # the order of another statute
        ({"BASIS": "LE_DUTY_STATUTORY", "EX_PARTE": False}, {}),  # opens only 160.57-59
        ({"STATUS": "VACATED"}, {}),
        ({}, {"grant_id": "G404"}),
    ],
)
def test_a_denial_tells_the_requester_the_same_for_unknown_sealed_and_expunged(
    grant_changes, request_changes
):
    told = set()
    for record in (UNKNOWN, SEALED_160_50, EXPUNGED):
        decision = ask(record, grant_changes, **request_changes)
        assert not decision.granted
        assert not any(word in decision.public_reason for word in SEALED_WORDS), decision
        told.add(decision.public_reason)
    assert len(told) == 1, told


def test_the_audit_reason_stays_precise():
    assert "CPL 160.50(3)(b)" in ask(SEALED_160_50, grant_id=None).reason
    assert "person P1" in ask(SEALED_160_50, {"SCOPE_ARREST_KEYS": "A2"}).reason
    assert "160.50(5)" in ask(EXPUNGED, grant_id=None).reason
    assert "no arrest 'A1'" in ask(None, grant_id=None).reason
    sealed = ask(SEALED_160_50, {"SCOPE_ARREST_KEYS": "A2"})
    assert sealed.public_reason == "arrest 'A1' is outside the scope of grant G1; denied"


def test_a_sealed_docket_is_decided_on_its_own_regime():
    # a PARTIALLY_SEALED arrest's sealed docket, asked under an LE-duty grant: the arrest
    # itself is unrestricted, its CPL 160.50 docket is not opened by LE_DUTY_STATUTORY
    le_duty = {"BASIS": "LE_DUTY_STATUTORY", "EX_PARTE": False}
    partial = {**OPEN, "status": "PARTIALLY_SEALED"}
    assert ask(partial, le_duty).granted
    assert not ask(SEALED_160_50, le_duty).granted
    assert ask(SEALED_160_57, le_duty).granted
