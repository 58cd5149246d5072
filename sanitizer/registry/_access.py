"""The court-order access gate: may this requester see this arrest's records, and why.

It follows the *law* (the record's ``access_regime``, SEALING_RULES.md "Access gate in this
project"), not the training policy, and denies by default: a decision is GRANTED only when
one named rule allows it. The decision function is pure; the caller audits every attempt,
granted or denied.

- UNRESTRICTED records (open, unsealed, pending statuses) are shown without a grant.
- COURT_ORDER_ONLY (160.50, 160.55) needs an ACTIVE grant whose basis the statute allows:
  the (d)(ii) ex parte order of *that* statute from a superior court or the local court
  that sealed the record, or a (d)(i)/(iii)–(vi) basis used for its own purpose. Never
  LE_DUTY_STATUTORY.
- LE_DUTY_PERMITTED (160.57, 160.58, 160.59) also accepts LE_DUTY_STATUTORY (the purpose
  is logged with the access).
- SUBJECT_ONLY (expunged) is shown only to the subject asking for themselves.

Every grant must name the requester, cover the subject (by arrest or person) and the
record type, be inside its effective window (a grant without expiry is invalid), match the
requester's purpose and, when it has one, the case number. Category-wide grants (``*`` or
empty scopes) are refused outright (*Katherine B. v Cataldo*, 5 NY3d 196).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd

from ..tables import LIST_SEPARATOR, WILDCARD

__all__ = [
    "AccessRequest",
    "AccessDecision",
    "decide_access",
    "statute_section",
    "BASES_BY_STATUTE",
]

SUBJECT_PURPOSE = "SUBJECT_REQUEST"
DEFAULT_RECORD_TYPE = "ARREST_REPORT"

#: Which grant bases each sealing statute accepts, and the purpose each basis serves.
_COURT_ORDER_BASES = {
    "CPL 160.50": {
        "CPL_160_50_1_d_ii_EX_PARTE_ORDER": "INVESTIGATION_OF_SPECIFIC_CRIME",
        "CPL_160_50_1_d_i_PROSECUTOR_ACD_MARIHUANA": "INVESTIGATION_OF_SPECIFIC_CRIME",
        "GUN_LICENSE_APPLICATION": "LICENSE_REVIEW",
        "PAROLE_SUPERVISION": "SUPERVISION",
        "PROBATION_SUPERVISION_ARREST_DURING": "SUPERVISION",
        "POLICE_PEACE_OFFICER_APPLICANT": "EMPLOYMENT",
        "SUBJECT_OR_DESIGNATED_AGENT": SUBJECT_PURPOSE,
    },
    "CPL 160.55": {
        "CPL_160_55_1_d_ii_EX_PARTE_ORDER": "INVESTIGATION_OF_SPECIFIC_CRIME",
        "GUN_LICENSE_APPLICATION": "LICENSE_REVIEW",
        "PAROLE_SUPERVISION": "SUPERVISION",
        "PROBATION_SUPERVISION_ARREST_DURING": "SUPERVISION",
        "POLICE_PEACE_OFFICER_APPLICANT": "EMPLOYMENT",
        "SUBJECT_OR_DESIGNATED_AGENT": SUBJECT_PURPOSE,
    },
}
_LE_DUTY_BASES = {
    "LE_DUTY_STATUTORY": None,  # any law-enforcement purpose, logged
    "CPL_160_50_1_d_ii_EX_PARTE_ORDER": "INVESTIGATION_OF_SPECIFIC_CRIME",
    "CPL_160_55_1_d_ii_EX_PARTE_ORDER": "INVESTIGATION_OF_SPECIFIC_CRIME",
    "GUN_LICENSE_APPLICATION": "LICENSE_REVIEW",
    "POLICE_PEACE_OFFICER_APPLICANT": "EMPLOYMENT",
    "SUBJECT_OR_DESIGNATED_AGENT": SUBJECT_PURPOSE,
}
BASES_BY_STATUTE: dict[str, dict[str, str | None]] = {
    **_COURT_ORDER_BASES,
    "CPL 160.57": {**_LE_DUTY_BASES, "OTHER_160_57_CATEGORY": None},
    "CPL 160.58": dict(_LE_DUTY_BASES),
    "CPL 160.59": dict(_LE_DUTY_BASES),
}
_EX_PARTE_ORDERS = {"CPL_160_50_1_d_ii_EX_PARTE_ORDER", "CPL_160_55_1_d_ii_EX_PARTE_ORDER"}
_SUPERIOR_COURTS = {"SUPREME", "COUNTY"}
_LOCAL_COURTS = {"DISTRICT", "CITY", "NYC_CRIMINAL"}

# Reasons: module constants so that tests match the same text.
R_UNRESTRICTED = "record is not sealed ({status}); shown without a grant, access audited"
R_UNKNOWN_ARREST = "no arrest {arrest_key!r} in the data; denied"
R_SUBJECT = "expunged record shown to its subject on their own request"
R_EXPUNGED = "expunged record (CPL 160.50(5)): only its subject may see it; denied"
R_NO_GRANT = "record is sealed under {statute} ({regime}); no grant given; denied by default"
R_GRANT_NOT_FOUND = "grant {grant_id!r} does not exist; denied"
R_GRANTED = "granted under {grant_id} ({basis}) for {purpose}"
R_GRANTED_LE = "granted under {grant_id} (LE_DUTY_STATUTORY, {statute}); purpose logged: {purpose}"
R_STATUS = "grant {grant_id} is {status}, not ACTIVE; denied"
R_NO_EXPIRY = "grant {grant_id} has no expiry date; a grant without expiry is invalid; denied"
R_WINDOW = "grant {grant_id} is effective {start} to {end}, not on {as_of}; denied"
R_CATEGORY_WIDE = (
    "grant {grant_id} is category-wide (scope '*' or empty); access to sealed records must "
    "name the subject (Katherine B. v Cataldo); denied"
)
R_REQUESTER = "requester {requester!r} is not named in grant {grant_id}; denied"
R_SCOPE = (
    "arrest {arrest_key} (person {person_id}) is outside the scope of grant {grant_id}; denied"
)
R_RECORD_TYPE = "record type {record_type} is not covered by grant {grant_id} ({types}); denied"
R_PURPOSE = "purpose {purpose} does not match grant {grant_id}'s purpose {grant_purpose}; denied"
R_CASE = "case number {case_no!r} does not match grant {grant_id}'s case {grant_case!r}; denied"
R_NO_CASE = (
    "grant {grant_id} is limited to case {grant_case!r} and the request names no case "
    "(--case-no); denied"
)
R_BASIS = "basis {basis} of grant {grant_id} does not open records sealed under {statute}; denied"
R_BASIS_PURPOSE = "basis {basis} serves {expected}, not {purpose}; denied"
R_COURT = (
    "grant {grant_id} is an ex parte order of a {court_type} court that did not seal the "
    "record; CPL 160.50(1)(d)(ii) needs a superior court or the sealing court; denied"
)
R_NOT_EX_PARTE = "grant {grant_id} is a (d)(ii) order but is not marked ex parte; denied"
R_VIEW = "grant {grant_id} does not permit VIEW ({actions}); denied"
R_DEIDENTIFIED = (
    "grant {grant_id} is for de-identified research (CPL 160.57(1)(d)(xii)): identifying "
    "information must be removed, and a record view is identified; denied"
)


@dataclass(frozen=True)
class AccessRequest:
    """What a requester asks to see (``sanitizer records show``)."""

    arrest_key: str
    requester: str
    purpose: str
    as_of: date
    grant_id: str | None = None
    record_type: str = DEFAULT_RECORD_TYPE
    case_no: str | None = None


@dataclass(frozen=True)
class AccessDecision:
    """The gate's answer: granted or not, the reason in words, and what it was based on."""

    granted: bool
    reason: str
    status: str | None = None
    statute: str | None = None
    access_regime: str | None = None
    grant_id: str | None = None
    basis: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _items(value) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [item for item in str(value).split(LIST_SEPARATOR) if item]


def _date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def statute_section(statute: str | None) -> str | None:
    """``CPL 160.50(3)(b)`` -> ``CPL 160.50``: grant bases depend on the section only."""
    if not statute:
        return None
    match = re.match(r"CPL 160\.\d\d", statute)
    return match.group(0) if match else statute


def _grant_problem(request: AccessRequest, record: Mapping, grant: Mapping) -> str | None:
    """Why this grant does not open this record for this request, or None if it does."""
    gid = grant["GRANT_ID"]
    statute = statute_section(record.get("statute"))
    if grant["STATUS"] != "ACTIVE":
        return R_STATUS.format(grant_id=gid, status=grant["STATUS"])
    start, end = _date(grant.get("EFFECTIVE_FROM")), _date(grant.get("EXPIRES_AT"))
    if end is None:
        return R_NO_EXPIRY.format(grant_id=gid)
    if (start is not None and request.as_of < start) or request.as_of > end:
        return R_WINDOW.format(grant_id=gid, start=start, end=end, as_of=request.as_of)
    arrests, persons = _items(grant.get("SCOPE_ARREST_KEYS")), _items(grant.get("SCOPE_PERSON_IDS"))
    if WILDCARD in arrests or WILDCARD in persons or not (arrests or persons):
        return R_CATEGORY_WIDE.format(grant_id=gid)
    if request.requester not in _items(grant.get("GRANTEE_IDS")):
        return R_REQUESTER.format(requester=request.requester, grant_id=gid)
    if request.arrest_key not in arrests and record.get("person_id") not in persons:
        return R_SCOPE.format(
            arrest_key=request.arrest_key, person_id=record.get("person_id"), grant_id=gid
        )
    types = _items(grant.get("RECORD_TYPES"))
    if request.record_type not in types:
        return R_RECORD_TYPE.format(
            record_type=request.record_type, grant_id=gid, types=";".join(types) or "none"
        )
    if request.purpose != grant.get("PURPOSE"):
        return R_PURPOSE.format(
            purpose=request.purpose, grant_id=gid, grant_purpose=grant.get("PURPOSE")
        )
    grant_case = grant.get("CASE_NO")
    if isinstance(grant_case, str) and grant_case and request.case_no != grant_case:
        if not request.case_no:
            return R_NO_CASE.format(grant_id=gid, grant_case=grant_case)
        return R_CASE.format(case_no=request.case_no, grant_id=gid, grant_case=grant_case)
    actions = _items(grant.get("PERMITTED_ACTIONS")) or ["VIEW"]
    if "VIEW" not in actions:
        return R_VIEW.format(grant_id=gid, actions=";".join(actions))
    basis = grant["BASIS"]
    if basis == "DEIDENTIFIED_RESEARCH_160_57":
        return R_DEIDENTIFIED.format(grant_id=gid)
    allowed = BASES_BY_STATUTE.get(statute, {})
    if basis not in allowed:
        return R_BASIS.format(basis=basis, grant_id=gid, statute=statute)
    expected = allowed[basis]
    if expected is not None and request.purpose != expected:
        return R_BASIS_PURPOSE.format(basis=basis, expected=expected, purpose=request.purpose)
    if basis in _EX_PARTE_ORDERS:
        if not bool(grant.get("EX_PARTE")):
            return R_NOT_EX_PARTE.format(grant_id=gid)
        court_type = grant.get("COURT_TYPE")
        local_and_sealing = court_type in _LOCAL_COURTS and bool(
            grant.get("COURT_SEALED_THE_RECORD")
        )
        if court_type not in _SUPERIOR_COURTS and not local_and_sealing:
            return R_COURT.format(grant_id=gid, court_type=court_type or "unnamed")
    return None


def decide_access(
    request: AccessRequest,
    record: Mapping | None,
    grants: pd.DataFrame,
) -> AccessDecision:
    """Decide one access request; pure, so every path is testable and auditable.

    Parameters
    ----------
    request : AccessRequest
    record : mapping or None
        The arrest's status as of ``request.as_of`` (``registry explain``'s fields plus
        ``person_id``), or None when the arrest does not exist.
    grants : DataFrame
        The ``access_grants`` table.
    """
    if record is None:
        return AccessDecision(False, R_UNKNOWN_ARREST.format(arrest_key=request.arrest_key))
    base = {
        "status": record["status"],
        "statute": record.get("statute"),
        "access_regime": record["access_regime"],
    }
    regime = record["access_regime"]
    if regime == "UNRESTRICTED":
        return AccessDecision(True, R_UNRESTRICTED.format(status=record["status"]), **base)
    if regime == "SUBJECT_ONLY":
        if request.requester == record.get("person_id") and request.purpose == SUBJECT_PURPOSE:
            return AccessDecision(True, R_SUBJECT, **base)
        return AccessDecision(False, R_EXPUNGED, **base)
    if request.grant_id is None:
        reason = R_NO_GRANT.format(statute=record.get("statute"), regime=regime)
        return AccessDecision(False, reason, **base)
    matches = grants[grants["GRANT_ID"] == request.grant_id]
    if matches.empty:
        return AccessDecision(False, R_GRANT_NOT_FOUND.format(grant_id=request.grant_id), **base)
    grant = matches.iloc[0].to_dict()
    problem = _grant_problem(request, record, grant)
    if problem is not None:
        return AccessDecision(
            False, problem, grant_id=request.grant_id, basis=grant["BASIS"], **base
        )
    template = R_GRANTED_LE if grant["BASIS"] == "LE_DUTY_STATUTORY" else R_GRANTED
    reason = template.format(
        grant_id=request.grant_id,
        basis=grant["BASIS"],
        purpose=request.purpose,
        statute=record.get("statute"),
    )
    return AccessDecision(True, reason, grant_id=request.grant_id, basis=grant["BASIS"], **base)
