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
record type, be inside its effective window (a grant without expiry is invalid; none is
effective before its ISSUED_AT), match the requester's purpose and, when it has one, the
case number. Category-wide grants (``*`` or empty scopes) are refused outright
(*Katherine B. v Cataldo*, 5 NY3d 196). A request that names a grant is denied unless the
grant passes every check, whatever the record's regime; the sealed dockets of an arrest are
decided one by one on their own regime (``Registry.show_record``).

A decision carries two reasons: ``reason``, precise, for the audit log (status, statute,
person), and ``public_reason``, what the requester is told: it never names the record's
status, statute, regime or person, and a denial reads the same for an unknown arrest as for
a sealed or expunged one (CPL 160.60).

A (d)(iii)-(vi) basis opens a COURT_ORDER_ONLY record only "with proof of its
precondition" (SEALING_RULES.md, "Validation at query time", step 3):

- PAROLE_SUPERVISION ((d)(iv): "on parole supervision for a conviction in a different
  case"): the person must be on parole, as of the request's as-of date, under a case of
  another arrest than the one asked about. The supervision record is the person's court
  events (``_supervision``: from the sentence, or the release from prison, until a
  revocation or SUPERVISION_END).
- PROBATION_SUPERVISION_ARREST_DURING ((d)(vi): "where the arrest occurred while the
  accused was under its supervision"): the requested arrest's ARREST_DATE must fall inside
  a probation of the person under another arrest's case (from the probation sentence, not
  on the same day, until its revocation or end).
- GUN_LICENSE_APPLICATION and POLICE_PEACE_OFFICER_APPLICANT ((d)(iii), (v): a license
  application, an applicant file): no input table holds the application, so the grant
  itself must carry the evidence, the SHA-256 of the document on file (ORDER_SHA256, the
  contract's only evidence column, 64 hexadecimal digits). It is a property of the grant,
  so it is checked whatever the record, like the grant's other own checks.

Another arrest, not another docket of the same arrest: the gate decides an arrest's
records (and each sealed docket of it with the same request), and an arrest report relates
to every docket of the arrest, so a supervision arising from the arrest asked about is
never "a different case". The supervision bases need the person's court events: a caller
that gives none (``tables``) gets a denial, never an unchecked grant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd

from ..tables import LIST_SEPARATOR, WILDCARD, isin
from ._supervision import supervising_cases

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
#: The supervision bases and the supervision whose record each needs (a COURT_ORDER_ONLY
#: record only: LE_DUTY_PERMITTED records do not accept them at all).
_SUPERVISION_BASES = {
    "PAROLE_SUPERVISION": "PAROLE",
    "PROBATION_SUPERVISION_ARREST_DURING": "PROBATION",
}
#: The bases whose precondition is a document on file (an application, an applicant file).
_DOCUMENT_BASES = {"GUN_LICENSE_APPLICATION", "POLICE_PEACE_OFFICER_APPLICANT"}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SUPERIOR_COURTS = {"SUPREME", "COUNTY"}
_LOCAL_COURTS = {"DISTRICT", "CITY", "NYC_CRIMINAL"}

# Reasons: module constants so that tests match the same text. ``R_*`` are the precise
# reasons written to the audit log for the compliance reviewer (they may name the status,
# statute, regime and person); ``P_*`` are what the requester is told. A requester's reason
# never depends on whether or how the arrest is sealed, nor on whether it exists (CPL 160.60:
# a sealed arrest is a nullity): an unknown arrest and a sealed one answer alike.
R_UNRESTRICTED = "record is not sealed ({status}); shown without a grant, access audited"
R_UNRESTRICTED_GRANT = (
    "record is not sealed ({status}); grant {grant_id} ({basis}) is valid for this request; "
    "access audited"
)
R_UNKNOWN_ARREST = "no arrest {arrest_key!r} in the data; denied"
R_NOT_YET = "arrest {arrest_key!r} is dated {arrest_date}, after the as-of date {as_of}; denied"
R_SUBJECT = "expunged record shown to its subject on their own request"
R_EXPUNGED = "expunged record (CPL 160.50(5)): only its subject may see it; denied"
R_NO_GRANT = "record is sealed under {statute} ({regime}); no grant given; denied by default"
R_REGIME = "record has access regime {regime!r}, which the gate does not know; denied by default"
R_GRANT_NOT_FOUND = "grant {grant_id!r} does not exist; denied"
R_GRANTED = "granted under {grant_id} ({basis}) for {purpose}"
R_GRANTED_LE = "granted under {grant_id} (LE_DUTY_STATUTORY, {statute}); purpose logged: {purpose}"
R_GRANTED_SUPERVISION = (
    "granted under {grant_id} ({basis}) for {purpose}; supervision record: {kind} on arrest "
    "{case} since {since}"
)
R_STATUS = "grant {grant_id} is {status}, not ACTIVE; denied"
R_NO_EXPIRY = "grant {grant_id} has no expiry date; a grant without expiry is invalid; denied"
R_NO_ISSUED = "grant {grant_id} has no issue date (ISSUED_AT); denied"
R_NOT_ISSUED = (
    "grant {grant_id} is issued on {issued}, after {as_of}; a grant is never effective before "
    "it is issued; denied"
)
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
R_BASIS_UNKNOWN = "basis {basis!r} of grant {grant_id} is not a basis the gate knows; denied"
R_BASIS_PURPOSE = "basis {basis} serves {expected}, not {purpose}; denied"
R_COURT = (
    "grant {grant_id} is an ex parte order of a {court_type} court that did not seal the "
    "record; CPL 160.50(1)(d)(ii) needs a superior court or the sealing court; denied"
)
R_NOT_EX_PARTE = "grant {grant_id} is a (d)(ii) order but is not marked ex parte; denied"
R_VIEW = "grant {grant_id} does not permit VIEW ({actions}); denied"
R_NO_PAROLE = (
    "no parole supervision of person {person_id} on a different case as of {as_of} (only "
    "another arrest than {arrest_key} counts; {statute}(1)(d)(iv)); grant {grant_id} "
    "({basis}) does not open this record; denied"
)
R_NO_PROBATION = (
    "arrest {arrest_key} of person {person_id} (dated {arrest_date}) was not made during a "
    "probation of that person on a different case ({statute}(1)(d)(vi)); grant {grant_id} "
    "({basis}) does not open this record; denied"
)
R_NO_SUPERVISION_RECORD = (
    "basis {basis} of grant {grant_id} needs the person's supervision record and no court "
    "events were given to check it; denied by default"
)
R_NO_DOCUMENT = (
    "grant {grant_id} ({basis}) carries no well-formed ORDER_SHA256 (64 hexadecimal digits) "
    "of the {document} on file, the proof of its precondition; denied"
)
R_DEIDENTIFIED = (
    "grant {grant_id} is for de-identified research (CPL 160.57(1)(d)(xii)): identifying "
    "information must be removed, and a record view is identified; denied"
)

#: What the requester is told when no grant is named and nothing may be shown: the same
#: for an unknown arrest, a sealed one and an expunged one.
P_NO_ACCESS = (
    "arrest {arrest_key!r}: no record can be shown to {requester!r} for {purpose} without a "
    "valid grant; denied"
)
#: A grant valid in itself and naming the arrest, which still opens nothing of it (its basis
#: does not fit the record, the record is expunged, or there is no such arrest).
P_NOT_OPEN = "grant {grant_id} does not open the records of arrest {arrest_key!r}; denied"
P_SCOPE = "arrest {arrest_key!r} is outside the scope of grant {grant_id}; denied"
P_SHOWN = "record shown; any sealed part of it only under a valid grant; access audited"
P_SHOWN_GRANT = "record shown under grant {grant_id}; access audited"
P_SUBJECT = "record shown to its subject on their own request; access audited"


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
    """The gate's answer: granted or not, the reason in words, and what it was based on.

    ``reason`` is the precise reason, for the audit log only (it may name the status,
    statute, regime and person); ``public_reason`` is what the requester is told.
    """

    granted: bool
    reason: str
    status: str | None = None
    statute: str | None = None
    access_regime: str | None = None
    grant_id: str | None = None
    basis: str | None = None
    public_reason: str | None = None

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


def _basis_purposes() -> dict[str, str | None]:
    """The purpose each basis serves: the same under every statute that accepts it."""
    out: dict[str, str | None] = {}
    for allowed in BASES_BY_STATUTE.values():
        for basis, purpose in allowed.items():
            if out.setdefault(basis, purpose) != purpose:  # pragma: no cover - table error
                raise AssertionError(f"basis {basis} serves two purposes")
    return out


_BASIS_PURPOSE = _basis_purposes()
#: Regimes that a grant with a compatible basis opens.
_GRANT_REGIMES = {"COURT_ORDER_ONLY", "LE_DUTY_PERMITTED"}


def _own_problem(request: AccessRequest, grant: Mapping) -> str | None:
    """Why this grant is not valid for this request, whatever the record: or None.

    Only the grant and the request are read, so the answer (shown to the requester) can
    say nothing about the record: whether it exists, is sealed, or how.
    """
    gid = grant["GRANT_ID"]
    if grant["STATUS"] != "ACTIVE":
        return R_STATUS.format(grant_id=gid, status=grant["STATUS"])
    issued = _date(grant.get("ISSUED_AT"))
    start, end = _date(grant.get("EFFECTIVE_FROM")), _date(grant.get("EXPIRES_AT"))
    if end is None:
        return R_NO_EXPIRY.format(grant_id=gid)
    if issued is None:
        return R_NO_ISSUED.format(grant_id=gid)
    if request.as_of < issued:
        return R_NOT_ISSUED.format(grant_id=gid, issued=issued, as_of=request.as_of)
    # never effective before it was issued, whatever EFFECTIVE_FROM says
    start = issued if start is None else max(start, issued)
    if request.as_of < start or request.as_of > end:
        return R_WINDOW.format(grant_id=gid, start=start, end=end, as_of=request.as_of)
    arrests, persons = _items(grant.get("SCOPE_ARREST_KEYS")), _items(grant.get("SCOPE_PERSON_IDS"))
    if WILDCARD in arrests or WILDCARD in persons or not (arrests or persons):
        return R_CATEGORY_WIDE.format(grant_id=gid)
    if request.requester not in _items(grant.get("GRANTEE_IDS")):
        return R_REQUESTER.format(requester=request.requester, grant_id=gid)
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
    if basis not in _BASIS_PURPOSE:
        return R_BASIS_UNKNOWN.format(basis=basis, grant_id=gid)
    expected = _BASIS_PURPOSE[basis]
    if expected is not None and request.purpose != expected:
        return R_BASIS_PURPOSE.format(basis=basis, expected=expected, purpose=request.purpose)
    if basis in _DOCUMENT_BASES and not _is_sha256(grant.get("ORDER_SHA256")):
        document = "license application" if basis == "GUN_LICENSE_APPLICATION" else "applicant file"
        return R_NO_DOCUMENT.format(grant_id=gid, basis=basis, document=document)
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


def _is_sha256(value) -> bool:
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def _supervision_evidence(
    request: AccessRequest, record: Mapping, grant: Mapping, kind: str, tables: Mapping | None
) -> tuple[str | None, dict | None]:
    """``(problem, evidence)`` for a supervision basis: the precise denial, or the record.

    The person's arrests and court events are picked from ``tables`` (a few rows); the
    case asked about never counts (``_supervision`` says how supervision is read).
    """
    gid, basis = grant["GRANT_ID"], grant["BASIS"]
    if tables is None:
        return R_NO_SUPERVISION_RECORD.format(basis=basis, grant_id=gid), None
    person = record.get("person_id")
    arrests = tables["arrests"]
    arrests = arrests.loc[arrests["PERSON_ID"] == person, ["ARREST_KEY", "ARREST_DATE"]]
    others = arrests.loc[arrests["ARREST_KEY"] != request.arrest_key, "ARREST_KEY"]
    events = tables["court_events"]
    events = events[isin(events["ARREST_KEY"], others)]
    facts = {
        "person_id": person,
        "arrest_key": request.arrest_key,
        "grant_id": gid,
        "basis": basis,
        "statute": statute_section(record.get("statute")),
    }
    if kind == "PAROLE":
        running = supervising_cases(events, kind, request.as_of)
        problem = R_NO_PAROLE.format(**facts, as_of=request.as_of)
    else:
        mine = arrests.loc[arrests["ARREST_KEY"] == request.arrest_key, "ARREST_DATE"]
        arrested = _date(mine.iloc[0]) if len(mine) else None
        problem = R_NO_PROBATION.format(**facts, arrest_date=arrested)
        if arrested is None:
            return problem, None
        running = supervising_cases(events, kind, arrested, start_on_day=False)
    if running.empty:
        return problem, None
    case = running.iloc[0]
    docket = case["DOCKET_ID"]
    label = case["ARREST_KEY"] if pd.isna(docket) else f"{case['ARREST_KEY']} (docket {docket})"
    return None, {"kind": kind, "case": label, "since": _date(case["SINCE"])}


def _in_scope(request: AccessRequest, record: Mapping | None, grant: Mapping) -> bool:
    arrests, persons = _items(grant.get("SCOPE_ARREST_KEYS")), _items(grant.get("SCOPE_PERSON_IDS"))
    person = None if record is None else record.get("person_id")
    return request.arrest_key in arrests or (person is not None and person in persons)


def _grant_problem(
    request: AccessRequest, record: Mapping | None, grant: Mapping, tables: Mapping | None
) -> tuple[tuple[str, str] | None, dict | None]:
    """Why this grant does not open this record for this request, and the evidence if it does.

    Returns ``(problem, evidence)``. ``problem`` is None when the grant opens the record,
    else ``(precise, public)``: the audit log's reason and the requester's. The grant's
    own problems are the same in both; a problem that depends on the record (its scope by
    person, the statute it is sealed under, the person's supervision record) is told to the
    requester without the record's facts. A grant for a record that is not sealed must
    still pass every check of its own. ``evidence`` is the supervision record that proves
    a supervision basis's precondition, for the audit log, or None.
    """
    gid = grant["GRANT_ID"]
    own = _own_problem(request, grant)
    if own is not None:
        return (own, own), None
    not_open = P_NOT_OPEN.format(grant_id=gid, arrest_key=request.arrest_key)
    if not _in_scope(request, record, grant):
        precise = R_SCOPE.format(
            arrest_key=request.arrest_key,
            person_id=None if record is None else record.get("person_id"),
            grant_id=gid,
        )
        return (precise, P_SCOPE.format(arrest_key=request.arrest_key, grant_id=gid)), None
    if record is None or record["access_regime"] not in _GRANT_REGIMES:
        return None, None  # unknown, unsealed and expunged records: decide_access decides
    statute = statute_section(record.get("statute"))
    allowed = BASES_BY_STATUTE.get(statute, {})
    if grant["BASIS"] not in allowed:
        precise = R_BASIS.format(basis=grant["BASIS"], grant_id=gid, statute=statute)
        return (precise, not_open), None
    kind = _SUPERVISION_BASES.get(grant["BASIS"])
    if kind is not None and record["access_regime"] == "COURT_ORDER_ONLY":
        precise, evidence = _supervision_evidence(request, record, grant, kind, tables)
        if precise is not None:
            return (precise, not_open), None
        return None, evidence
    return None, None


def decide_access(
    request: AccessRequest,
    record: Mapping | None,
    grants: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> AccessDecision:
    """Decide one access request; pure, so every path is testable and auditable.

    A request naming a grant is denied unless the grant is valid for it (every check),
    whatever the record's regime. A denial's ``public_reason`` is the same for an unknown
    arrest as for a sealed or expunged one; ``reason`` keeps the precise one for the log.

    Parameters
    ----------
    request : AccessRequest
    record : mapping or None
        The arrest's status as of ``request.as_of`` (``registry explain``'s fields plus
        ``person_id``), or None when the arrest does not exist (as of that date).
    grants : DataFrame
        The ``access_grants`` table.
    tables : mapping of DataFrame, optional
        ``arrests`` and ``court_events``, home-recorded events included: the whole input
        tables or only the record's person's rows (all that is read): the supervision
        record a PAROLE_SUPERVISION or PROBATION_SUPERVISION_ARREST_DURING grant needs for
        a COURT_ORDER_ONLY record, read only then. Without them such a grant opens no such
        record.
    """
    key = request.arrest_key
    no_access = P_NO_ACCESS.format(
        arrest_key=key, requester=request.requester, purpose=request.purpose
    )
    base: dict = {}
    if record is not None:
        base = {
            "status": record["status"],
            "statute": record.get("statute"),
            "access_regime": record["access_regime"],
        }
    unknown = R_UNKNOWN_ARREST.format(arrest_key=key)

    def deny(precise: str, public: str, **extra) -> AccessDecision:
        if record is None and precise != unknown:
            precise = f"{unknown} ({precise})"
        return AccessDecision(False, precise, public_reason=public, **base, **extra)

    grant, on_grant, evidence = None, {}, None
    if request.grant_id is not None:
        gid = request.grant_id
        matches = grants[grants["GRANT_ID"] == gid]
        if matches.empty:
            missing = R_GRANT_NOT_FOUND.format(grant_id=gid)
            return deny(missing, missing, grant_id=gid)
        grant = matches.iloc[0].to_dict()
        on_grant = {"grant_id": gid, "basis": grant["BASIS"]}
        problem, evidence = _grant_problem(request, record, grant, tables)
        if problem is not None:
            return deny(*problem, **on_grant)
        if record is None:
            return deny(unknown, P_NOT_OPEN.format(grant_id=gid, arrest_key=key), **on_grant)
    if record is None:
        return deny(unknown, no_access)
    regime = record["access_regime"]
    if regime == "UNRESTRICTED":
        if grant is None:
            reason = R_UNRESTRICTED.format(status=record["status"])
            return AccessDecision(True, reason, public_reason=P_SHOWN, **base)
        reason = R_UNRESTRICTED_GRANT.format(
            status=record["status"], grant_id=request.grant_id, basis=grant["BASIS"]
        )
        public = P_SHOWN_GRANT.format(grant_id=request.grant_id)
        return AccessDecision(True, reason, public_reason=public, **base, **on_grant)
    if regime == "SUBJECT_ONLY":
        if request.requester == record.get("person_id") and request.purpose == SUBJECT_PURPOSE:
            return AccessDecision(True, R_SUBJECT, public_reason=P_SUBJECT, **base, **on_grant)
        if grant is not None:
            public = P_NOT_OPEN.format(grant_id=request.grant_id, arrest_key=key)
            return deny(R_EXPUNGED, public, **on_grant)
        return deny(R_EXPUNGED, no_access)
    if regime not in _GRANT_REGIMES:
        return deny(R_REGIME.format(regime=regime), no_access, **on_grant)
    if grant is None:
        return deny(R_NO_GRANT.format(statute=record.get("statute"), regime=regime), no_access)
    template = R_GRANTED_LE if grant["BASIS"] == "LE_DUTY_STATUTORY" else R_GRANTED
    if evidence is not None:
        template = R_GRANTED_SUPERVISION
    reason = template.format(
        grant_id=request.grant_id,
        basis=grant["BASIS"],
        purpose=request.purpose,
        statute=record.get("statute"),
        **(evidence or {}),
    )
    public = P_SHOWN_GRANT.format(grant_id=request.grant_id)
    return AccessDecision(True, reason, public_reason=public, **base, **on_grant)
