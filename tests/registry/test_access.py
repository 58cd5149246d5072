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
SHA = "3f" * 32

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


def ask(record, grant_changes=None, *, tables=None, **request_changes):
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
    return decide_access(AccessRequest(**request), record, grants, tables)


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
        {"BASIS": "GUN_LICENSE_APPLICATION", "PURPOSE": "LICENSE_REVIEW", "ORDER_SHA256": SHA},
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


# --- the (d)(iii)-(vi) bases need proof of their precondition (SEALING_RULES.md step 3) ------
SEALED_160_55 = {**SEALED_160_50, "status": "SEALED_160_55", "statute": "CPL 160.55"}
PAROLE = {
    "BASIS": "PAROLE_SUPERVISION",
    "PURPOSE": "SUPERVISION",
    "EX_PARTE": False,
    "CASE_NO": None,
    "GRANTEE_IDS": "po.williams",
}
PROBATION = {**PAROLE, "BASIS": "PROBATION_SUPERVISION_ARREST_DURING"}
SUPERVISION = {"requester": "po.williams", "purpose": "SUPERVISION", "case_no": None}
#: Person P1's arrests: A1 is the sealed one asked about.
ARRESTS = (("A1", "2023-06-01"), ("A2", "2018-01-10"), ("A3", "2021-05-05"))


def history(*events):
    """P1's arrests (and one of another person, P2) with the court events given."""
    arrests = [{"ARREST_KEY": k, "PERSON_ID": "P1", "ARREST_DATE": d} for k, d in ARRESTS]
    arrests.append({"ARREST_KEY": "B1", "PERSON_ID": "P2", "ARREST_DATE": "2018-01-10"})
    rows = [{"EVENT_ID": f"E{i}", **row} for i, row in enumerate(events)]
    return {
        "arrests": make_frame("arrests", arrests),
        "court_events": make_frame("court_events", rows),
    }


def event(key, etype, when, **columns):
    return {"ARREST_KEY": key, "EVENT_TYPE": etype, "EVENT_DATE": when, **columns}


def parole_sentence(key, when="2018-03-01", jailed=True, docket=None):
    return event(
        key, "SENTENCE", when, SUPERVISION="PAROLE", INCARCERATION=jailed, DOCKET_ID=docket
    )


def probation_sentence(key, when="2022-01-10"):
    return event(key, "SENTENCE", when, SUPERVISION="PROBATION")


ON_PAROLE = (parole_sentence("A2"), event("A2", "RELEASE", "2021-01-10"))


def ask_parole(*events, record=SEALED_160_50, **changes):
    return ask(record, PAROLE, tables=history(*events), **{**SUPERVISION, **changes})


def ask_probation(*events, record=SEALED_160_50):
    return ask(record, PROBATION, tables=history(*events), **SUPERVISION)


def test_a_parole_grant_opens_a_sealed_record_while_the_person_is_on_parole_elsewhere():
    decision = ask_parole(*ON_PAROLE)
    assert decision.granted, decision.reason
    assert decision.reason == gate.R_GRANTED_SUPERVISION.format(
        grant_id="G1",
        basis="PAROLE_SUPERVISION",
        purpose="SUPERVISION",
        kind="PAROLE",
        case="A2",
        since="2021-01-10",
    )
    assert ask_parole(*ON_PAROLE, record=SEALED_160_55).granted  # 160.55: the same (d)(iv)


@pytest.mark.parametrize(
    "events",
    [
        pytest.param((), id="no supervision at all"),
        pytest.param((parole_sentence("A2"),), id="still in prison, not yet paroled"),
        pytest.param((*ON_PAROLE, event("A2", "SUPERVISION_END", "2023-12-01")), id="parole ended"),
        pytest.param(
            (*ON_PAROLE, event("A2", "SUPERVISION_REVOKED", "2023-12-01")), id="parole revoked"
        ),
        pytest.param(
            (parole_sentence("A2"), event("A2", "RELEASE", "2024-05-01")),
            id="released after the as-of date",
        ),
        pytest.param(
            (*ON_PAROLE, event("A2", "SENTENCE", "2023-02-01", SUPERVISION="NONE")),
            id="resentenced without parole",
        ),
        pytest.param(
            (parole_sentence("A1", "2023-07-01"), event("A1", "RELEASE", "2023-09-01")),
            id="parole only on the case asked about",
        ),
        pytest.param(
            (
                parole_sentence("A1", "2023-07-01", docket="D2"),
                event("A1", "RELEASE", "2023-09-01", DOCKET_ID="D2"),
            ),
            id="parole on another docket of the same arrest",
        ),
        pytest.param((probation_sentence("A2"),), id="probation is not parole"),
        pytest.param(
            (parole_sentence("B1"), event("B1", "RELEASE", "2021-01-10")), id="another person"
        ),
    ],
)
def test_a_parole_grant_without_parole_on_a_different_case_is_denied(events):
    decision = ask_parole(*events)
    assert not decision.granted
    assert decision.reason == gate.R_NO_PAROLE.format(
        person_id="P1",
        as_of=AS_OF,
        arrest_key="A1",
        statute="CPL 160.50",
        grant_id="G1",
        basis="PAROLE_SUPERVISION",
    )
    # the requester is told what any grant that does not open the record tells
    assert decision.public_reason == gate.P_NOT_OPEN.format(grant_id="G1", arrest_key="A1")


def test_parole_resumes_on_re_release_after_a_revocation():
    revoked = (*ON_PAROLE, event("A2", "SUPERVISION_REVOKED", "2023-06-01"))
    assert not ask_parole(*revoked).granted
    again = ask_parole(*revoked, event("A2", "RELEASE", "2024-01-15"))
    assert again.granted and again.reason.endswith("PAROLE on arrest A2 since 2024-01-15")


def test_a_parole_record_of_another_docket_is_named_in_the_audit_reason():
    events = (
        parole_sentence("A3", docket="D9"),
        event("A3", "RELEASE", "2022-02-02", DOCKET_ID="D9"),
    )
    decision = ask_parole(*events)
    assert decision.granted and "arrest A3 (docket D9) since 2022-02-02" in decision.reason


def test_a_probation_grant_opens_an_arrest_made_during_another_case_probation():
    decision = ask_probation(probation_sentence("A3"))
    assert decision.granted, decision.reason
    assert decision.reason.endswith("supervision record: PROBATION on arrest A3 since 2022-01-10")
    # still on probation at the arrest (2023-06-01), ended since: the arrest was during it
    assert ask_probation(
        probation_sentence("A3"), event("A3", "SUPERVISION_END", "2023-09-01")
    ).granted


@pytest.mark.parametrize(
    "events",
    [
        pytest.param((), id="no supervision at all"),
        pytest.param(
            (probation_sentence("A3"), event("A3", "SUPERVISION_END", "2023-01-01")),
            id="probation ended before the arrest",
        ),
        pytest.param(
            (probation_sentence("A3"), event("A3", "SUPERVISION_END", "2023-06-01")),
            id="probation ended on the day of the arrest",
        ),
        pytest.param(
            (probation_sentence("A3"), event("A3", "SUPERVISION_REVOKED", "2023-03-01")),
            id="probation revoked before the arrest",
        ),
        pytest.param((probation_sentence("A3", "2023-08-01"),), id="sentenced after the arrest"),
        pytest.param(
            (probation_sentence("A3", "2023-06-01"),), id="sentenced on the day of the arrest"
        ),
        pytest.param((probation_sentence("A1", "2022-01-10"),), id="probation on the same arrest"),
        pytest.param(ON_PAROLE, id="parole is not probation"),
    ],
)
def test_a_probation_grant_for_an_arrest_outside_any_other_probation_is_denied(events):
    decision = ask_probation(*events)
    assert not decision.granted
    assert decision.reason == gate.R_NO_PROBATION.format(
        arrest_key="A1",
        person_id="P1",
        arrest_date=date(2023, 6, 1),
        statute="CPL 160.50",
        grant_id="G1",
        basis="PROBATION_SUPERVISION_ARREST_DURING",
    )
    assert decision.public_reason == gate.P_NOT_OPEN.format(grant_id="G1", arrest_key="A1")


def test_a_supervision_grant_is_denied_when_the_gate_is_given_no_court_events():
    for grant in (PAROLE, PROBATION):
        decision = ask(SEALED_160_50, grant, **SUPERVISION)
        assert not decision.granted
        assert decision.reason == gate.R_NO_SUPERVISION_RECORD.format(
            basis=grant["BASIS"], grant_id="G1"
        )


def test_a_supervision_denial_tells_the_requester_nothing_about_the_record():
    told = set()
    for record in (UNKNOWN, SEALED_160_50, EXPUNGED):
        decision = ask(record, PAROLE, tables=history(), **SUPERVISION)
        assert not decision.granted
        assert not any(word in decision.public_reason for word in SEALED_WORDS), decision
        told.add(decision.public_reason)
    assert len(told) == 1, told
    assert "person P1" in ask_parole().reason  # the audit log keeps the precise one


@pytest.mark.parametrize(
    "basis, purpose, document",
    [
        ("GUN_LICENSE_APPLICATION", "LICENSE_REVIEW", "license application"),
        ("POLICE_PEACE_OFFICER_APPLICANT", "EMPLOYMENT", "applicant file"),
    ],
)
@pytest.mark.parametrize(
    "sha",
    [None, "", "abc", "3f" * 31 + "3", "3f" * 31 + "zz", "3f" * 33],
    ids=["missing", "empty", "short", "63 digits", "not hex", "66 digits"],
)
def test_a_license_or_applicant_grant_needs_the_document_hash_on_file(
    basis, purpose, document, sha
):
    grant = {"BASIS": basis, "PURPOSE": purpose, "EX_PARTE": False, "ORDER_SHA256": sha}
    for record in (SEALED_160_50, SEALED_160_57, OPEN):
        decision = ask(record, grant, purpose=purpose)
        assert not decision.granted
        assert decision.reason == gate.R_NO_DOCUMENT.format(
            grant_id="G1", basis=basis, document=document
        )
        assert decision.public_reason == decision.reason  # the grant's own problem
    assert ask(SEALED_160_50, {**grant, "ORDER_SHA256": SHA}, purpose=purpose).granted
    assert ask(SEALED_160_50, {**grant, "ORDER_SHA256": SHA.upper()}, purpose=purpose).granted
