"""Access grants: court unsealing orders and statutory access bases, good and bad.

Good grants are narrow (named grantees, one sealed arrest or person, a purpose, a case
number, a window that contains the as-of date); the bad ones each carry exactly one
planted defect that the access gate must catch (expired, vacated, superseded, no expiry,
category-wide, a law-enforcement-duty basis for a 160.50 record, a District court that did
not seal the record, a purpose that does not match ...). ``truth/grants`` names the defect
and the request a test should make, with the expected outcome. A few hundred rows at most,
so plain Python loops are fine here.

The supervision bases are lawful only with a supervision record (SEALING_RULES.md,
"Validation at query time", step 3), so their targets are chosen from the world's court
events: the good PAROLE_SUPERVISION grant names a sealed arrest whose person is on parole,
as of the world's as-of date, under another arrest; the good
PROBATION_SUPERVISION_ARREST_DURING grant one made while its person was on probation under
another arrest. One bad grant of each names an arrest that fails that precondition
(NO_PAROLE_SUPERVISION, ARREST_NOT_DURING_PROBATION). Supervision is read here on its own,
independently of the gate, by the same reading (``registry._supervision``): a stint runs
from the probation sentence, or for parole from the sentence without prison or a release,
until a revocation or SUPERVISION_END; a resentence replaces the sentence before it; on
one day a stop follows a start; the arrest must fall strictly inside a probation. Without
the court events (``events=None``) the generator cannot tell, so those grants keep their
drawn target and their expected outcome is not CERTAIN.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from . import _calendar as cal

__all__ = ["make_grants"]

_INV = "INVESTIGATION_OF_SPECIFIC_CRIME"
_DII = "CPL_160_50_1_d_ii_EX_PARTE_ORDER"
_PAROLE = "PAROLE_SUPERVISION"
_PROBATION = "PROBATION_SUPERVISION_ARREST_DURING"
_PAROLE_EXTRA = {"EX_PARTE": False, "GRANTEE_IDS": "po.williams", "CASE_NO": None}
_PROBATION_EXTRA = {"EX_PARTE": False, "GRANTEE_IDS": "prob.officer.diaz", "CASE_NO": None}
# ``extra["supervision"]``: which supervision record the target must have (True) or lack
# (False): "parole", on parole at the as-of date under another arrest; "probation", the
# arrest made during a probation under another arrest.
# (defect, basis, pool, purpose, expected, certain, overrides)
_TEMPLATES = (
    ("NONE", _DII, "160.50", _INV, "grant", True, {}),
    (
        "NONE",
        _DII,
        "160.50",
        _INV,
        "grant",
        True,
        {"COURT_TYPE": "NYC_CRIMINAL", "COURT_SEALED_THE_RECORD": True},
    ),
    (
        "NONE",
        "CPL_160_55_1_d_ii_EX_PARTE_ORDER",
        "160.55",
        _INV,
        "grant",
        True,
        {"COURT_TYPE": "COUNTY"},
    ),
    (
        "NONE",
        "CPL_160_50_1_d_i_PROSECUTOR_ACD_MARIHUANA",
        "160.50",
        _INV,
        "grant",
        False,
        {"EX_PARTE": False, "GRANTEE_IDS": "ada.morales"},
    ),
    (
        "NONE",
        "GUN_LICENSE_APPLICATION",
        "160.50",
        "LICENSE_REVIEW",
        "grant",
        True,
        {"EX_PARTE": False, "GRANTEE_IDS": "lic.officer.park", "CASE_NO": None},
    ),
    (
        "NONE",
        _PAROLE,
        "160.55",
        "SUPERVISION",
        "grant",
        True,
        {**_PAROLE_EXTRA, "supervision": ("parole", True)},
    ),
    (
        "NONE",
        _PROBATION,
        "160.50",
        "SUPERVISION",
        "grant",
        True,
        {**_PROBATION_EXTRA, "supervision": ("probation", True)},
    ),
    (
        "NONE",
        "POLICE_PEACE_OFFICER_APPLICANT",
        "160.50",
        "EMPLOYMENT",
        "grant",
        True,
        {"EX_PARTE": False, "GRANTEE_IDS": "nypd.applicant.unit", "CASE_NO": None},
    ),
    (
        "NONE",
        "SUBJECT_OR_DESIGNATED_AGENT",
        "160.50",
        "SUBJECT_REQUEST",
        "grant",
        True,
        {"EX_PARTE": False, "GRANTEE_IDS": "atty.goldberg", "CASE_NO": None, "scope": "person"},
    ),
    ("NONE", "LE_DUTY_STATUTORY", "160.59", _INV, "grant", True, {"EX_PARTE": False}),
    ("NONE", "LE_DUTY_STATUTORY", "160.57", _INV, "grant", True, {"EX_PARTE": False}),
    (
        "NONE",
        "DEIDENTIFIED_RESEARCH_160_57",
        "160.57",
        "EMPLOYMENT",
        "grant",
        False,
        {"EX_PARTE": False, "GRANTEE_IDS": "research.cuny", "CASE_NO": None},
    ),
    (
        "NONE",
        "OTHER_160_57_CATEGORY",
        "160.57",
        "EMPLOYMENT",
        "grant",
        False,
        {"EX_PARTE": False, "GRANTEE_IDS": "ocfs.screening", "CASE_NO": None},
    ),
    ("EXPIRED_STATUS", _DII, "160.50", _INV, "deny", True, {"STATUS": "EXPIRED", "expired": True}),
    ("EXPIRED_DATE", _DII, "160.50", _INV, "deny", True, {"expired": True}),
    ("VACATED", _DII, "160.50", _INV, "deny", True, {"STATUS": "VACATED"}),
    ("SUPERSEDED", _DII, "160.50", _INV, "deny", True, {"STATUS": "SUPERSEDED"}),
    ("NO_EXPIRY", _DII, "160.50", _INV, "deny", True, {"EXPIRES_AT": None}),
    ("CATEGORY_WIDE_STAR", _DII, "160.50", _INV, "deny", True, {"scope": "star"}),
    ("CATEGORY_WIDE_EMPTY", _DII, "160.50", _INV, "deny", True, {"scope": "empty"}),
    ("LE_DUTY_FOR_160_50", "LE_DUTY_STATUTORY", "160.50", _INV, "deny", True, {"EX_PARTE": False}),
    (
        "DISTRICT_DID_NOT_SEAL",
        _DII,
        "160.50",
        _INV,
        "deny",
        True,
        {
            "COURT_TYPE": "DISTRICT",
            "COURT_SEALED_THE_RECORD": False,
            "COURT": "District Court, Nassau County",
        },
    ),
    ("WRONG_PURPOSE", _DII, "160.50", _INV, "deny", True, {"request_purpose": "EMPLOYMENT"}),
    ("NOT_YET_EFFECTIVE", _DII, "160.50", _INV, "deny", True, {"future": True}),
    ("GRANTEE_MISMATCH", _DII, "160.50", _INV, "deny", True, {"request_user": "det.smith"}),
    ("OUT_OF_SCOPE", _DII, "160.50", _INV, "deny", True, {"request_other_arrest": True}),
    ("CASE_NO_MISMATCH", _DII, "160.50", _INV, "deny", True, {"request_case": "2026-999-00000"}),
    (
        "RECORD_TYPE_OUT_OF_SCOPE",
        _DII,
        "160.50",
        _INV,
        "deny",
        True,
        {"RECORD_TYPES": "ARREST_REPORT", "request_record": "PHOTO"},
    ),
    ("EXPUNGED_RECORD", _DII, "expunged", _INV, "deny", True, {}),
    # last, so that adding them left every earlier grant of a round as it was
    (
        "NO_PAROLE_SUPERVISION",
        _PAROLE,
        "160.55",
        "SUPERVISION",
        "deny",
        True,
        {**_PAROLE_EXTRA, "supervision": ("parole", False)},
    ),
    (
        "ARREST_NOT_DURING_PROBATION",
        _PROBATION,
        "160.50",
        "SUPERVISION",
        "deny",
        True,
        {**_PROBATION_EXTRA, "supervision": ("probation", False)},
    ),
)
_JUDGES = (
    "Hon. A. Rodriguez",
    "Hon. M. Chen",
    "Hon. L. Washington",
    "Hon. R. Goldstein",
    "Hon. P. O'Brien",
    "Hon. S. Patel",
)
_COURTS = (
    "Supreme Court, New York County",
    "Supreme Court, Kings County",
    "Supreme Court, Bronx County",
    "Supreme Court, Queens County",
)
_GRANTEES = ("det.rivera;det.chen", "det.okafor", "det.kowalski;sgt.ramirez", "det.nguyen")


def _pools(
    rng: np.random.Generator, dockets: pd.DataFrame, arrests: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Single-docket arrests whose sealing status does not depend on other arrests.

    At most a few thousand candidates per pool are kept (drawn at random), so the nyc
    world does not pay for looking up millions of persons.
    """
    single = dockets["DOCKET_ID"].isna().to_numpy()
    scenario = dockets["SCENARIO"]
    status = dockets["INTENDED_STATUS"]
    by = {
        "160.50": scenario.isin(["DISMISSAL", "ACQUITTAL", "DECLINE_PROSECUTE", "NO_TRUE_BILL"]),
        "160.55": scenario.isin(["VIOLATION_PLEA", "TRAFFIC_INFRACTION"])
        & (status == "SEALED_160_55"),
        "160.59": status == "SEALED_160_59",
        "160.57": status == "SEALED_160_57",
        "expunged": status == "EXPUNGED_160_50_5",
    }
    key_index = pd.Index(arrests["ARREST_KEY"])
    out = {}
    for name, mask in by.items():
        rows = np.flatnonzero(mask.to_numpy(dtype=bool) & single)
        if len(rows) > 5000:
            rows = np.sort(rng.choice(rows, size=5000, replace=False))
        keys = dockets["ARREST_KEY"].iloc[rows].to_numpy()
        where = key_index.get_indexer(keys)
        out[name] = pd.DataFrame(
            {
                "ARREST_KEY": keys,
                "PERSON_ID": arrests["PERSON_ID"].iloc[where].to_numpy(),
                "STATUS": status.iloc[rows].to_numpy(),
            }
        )
    return out


#: The court events that start, suspend or end a supervision, in their same-day order.
_SUPERVISION_ORDER = {"SENTENCE": 0, "RELEASE": 1, "SUPERVISION_REVOKED": 2, "SUPERVISION_END": 3}
_OPEN_END = np.iinfo(np.int64).max


def _stints(events: pd.DataFrame, arrests: pd.DataFrame, persons) -> dict[str, list[tuple]]:
    """The supervision stints of ``persons`` known at the as-of date, by PERSON_ID.

    A stint is ``(ARREST_KEY, kind, start, stop)`` in day numbers, ``stop`` exclusive
    (``_OPEN_END`` while it runs); the reading is the module docstring's.
    """
    theirs = arrests.loc[arrests["PERSON_ID"].isin(persons), ["ARREST_KEY", "PERSON_ID"]]
    person_of = dict(zip(theirs["ARREST_KEY"], theirs["PERSON_ID"], strict=True))
    ev = events[
        events["ARREST_KEY"].isin(theirs["ARREST_KEY"])
        & events["EVENT_TYPE"].isin(list(_SUPERVISION_ORDER))
    ]
    ev = ev.assign(
        DAY=ev["EVENT_DATE"].to_numpy().astype("datetime64[D]").astype(np.int64),
        DOCKET=ev["DOCKET_ID"].fillna(""),
        RANK=ev["EVENT_TYPE"].map(_SUPERVISION_ORDER),
    )
    ev = ev[ev["DAY"] <= cal.AS_OF].sort_values(
        ["ARREST_KEY", "DOCKET", "DAY", "RANK"], kind="stable"
    )
    stints: dict[str, list[tuple]] = {}
    case, kind, ended, start = None, None, False, None

    def close(stop: int) -> None:
        nonlocal start
        if start is not None:
            stints.setdefault(person_of[case[0]], []).append((case[0], kind, start, stop))
            start = None

    for key, docket, etype, day, jailed, supervision in zip(
        ev["ARREST_KEY"],
        ev["DOCKET"],
        ev["EVENT_TYPE"],
        ev["DAY"],
        ev["INCARCERATION"],
        ev["SUPERVISION"],
        strict=True,
    ):
        if (key, docket) != case:
            close(_OPEN_END)
            case, kind, ended = (key, docket), None, False
        if etype == "SENTENCE":  # a resentence replaces the sentence before it
            close(day)
            kind = supervision if supervision in ("PAROLE", "PROBATION") else None
            ended = False
            if kind == "PROBATION" or (kind == "PAROLE" and not jailed):
                start = day
        elif etype == "RELEASE":
            if kind == "PAROLE" and not ended and start is None:
                start = day
        else:  # SUPERVISION_REVOKED, SUPERVISION_END
            close(day)
            ended = ended or etype == "SUPERVISION_END"
    close(_OPEN_END)
    return stints


def _meets(pool: pd.DataFrame, what: str, stints: dict, arrests: pd.DataFrame) -> np.ndarray:
    """Which of the pool's arrests have the supervision record ``what`` needs."""
    known = arrests["ARREST_KEY"].isin(pool["ARREST_KEY"])
    dates = arrests.loc[known].set_index("ARREST_KEY")["ARREST_DATE"]
    out = np.zeros(len(pool), dtype=bool)
    for i, (key, person) in enumerate(zip(pool["ARREST_KEY"], pool["PERSON_ID"], strict=True)):
        mine = [s for s in stints.get(person, ()) if s[0] != key]
        if what == "parole":
            out[i] = any(k == "PAROLE" and a <= cal.AS_OF < b for _, k, a, b in mine)
        else:
            day = int(np.datetime64(dates[key], "D").astype(np.int64))
            out[i] = any(k == "PROBATION" and a < day < b for _, k, a, b in mine)
    return out


def make_grants(
    rng: np.random.Generator,
    rounds: int,
    dockets: pd.DataFrame,
    arrests: pd.DataFrame,
    events: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rounds`` copies of every template, each scoped to a different sealed arrest.

    ``events`` (``court_events``) lets the supervision templates pick a target that meets
    (or, for their bad grant, fails) the precondition; the draws from ``rng`` are the same
    with or without them.
    """
    pools = _pools(rng, dockets, arrests)
    stints = {}
    if events is not None:
        needs = {name for _, _, name, _, _, _, extra in _TEMPLATES if "supervision" in extra}
        persons = pd.concat([pools[name]["PERSON_ID"] for name in sorted(needs)]).unique()
        stints = _stints(events, arrests, persons)
    meets: dict[tuple[str, str], np.ndarray] = {}
    rows, truth = [], []
    number = 0
    for r in range(rounds):
        for defect, basis, pool_name, purpose, expected, certain, extra in _TEMPLATES:
            pool = pools[pool_name]
            if len(pool) < 2:
                continue
            pick = int(rng.integers(0, len(pool)))
            if "supervision" in extra and events is None:
                certain = False  # the precondition cannot be checked: outcome unknown
            elif "supervision" in extra:
                what, wanted = extra["supervision"]
                if (pool_name, what) not in meets:
                    meets[(pool_name, what)] = _meets(pool, what, stints, arrests)
                fits = np.flatnonzero(meets[(pool_name, what)] == wanted)
                if len(fits) == 0:
                    continue
                # the drawn arrest if it fits, else the next one that does
                pick = int(fits[np.searchsorted(fits, pick) % len(fits)])
            target = pool.iloc[pick]
            others = np.flatnonzero(pool["PERSON_ID"].to_numpy() != target["PERSON_ID"])
            other = pool.iloc[int(others[0])] if len(others) else target
            number += 1
            gid = f"G{number:05d}"
            issued = cal.AS_OF - int(rng.integers(20, 150))
            expires = issued + int(rng.integers(200, 400))
            if extra.get("expired"):
                issued = cal.AS_OF - int(rng.integers(400, 700))
                expires = issued + 180
            if extra.get("future"):
                issued = cal.AS_OF - 5
            effective = issued + (90 if extra.get("future") else 0)
            expires = max(expires, effective + 200) if extra.get("future") else expires
            case_no = f"2026-{int(rng.integers(1, 124)):03d}-{int(rng.integers(0, 99999)):05d}"
            grantees = _GRANTEES[r % len(_GRANTEES)]
            row = {
                "GRANT_ID": gid,
                "BASIS": basis,
                "COURT": _COURTS[int(rng.integers(0, len(_COURTS)))],
                "COURT_TYPE": "SUPREME",
                "COURT_SEALED_THE_RECORD": False,
                "EX_PARTE": True,
                "DOCKET_NO": f"IND-{int(rng.integers(10000, 99999))}-{r % 90 + 10}",
                "JUDGE": _JUDGES[int(rng.integers(0, len(_JUDGES)))],
                "ISSUED_AT": issued,
                "EFFECTIVE_FROM": effective,
                "EXPIRES_AT": expires,
                "STATUS": "ACTIVE",
                "GRANTEE_IDS": grantees,
                "SCOPE_ARREST_KEYS": target["ARREST_KEY"],
                "SCOPE_PERSON_IDS": target["PERSON_ID"],
                "RECORD_TYPES": "ARREST_REPORT;PHOTO;COMPLAINT_LINKS",
                "PURPOSE": purpose,
                "PERMITTED_ACTIONS": "VIEW",
                "CASE_NO": case_no,
            }
            for key in (
                "COURT",
                "COURT_TYPE",
                "COURT_SEALED_THE_RECORD",
                "EX_PARTE",
                "STATUS",
                "GRANTEE_IDS",
                "RECORD_TYPES",
                "CASE_NO",
                "EXPIRES_AT",
            ):
                if key in extra:
                    row[key] = extra[key]
            scope = extra.get("scope")
            if scope == "person":
                row["SCOPE_ARREST_KEYS"] = None
            elif scope == "star":
                row["SCOPE_ARREST_KEYS"] = "*"
                row["SCOPE_PERSON_IDS"] = None
            elif scope == "empty":
                row["SCOPE_ARREST_KEYS"] = None
                row["SCOPE_PERSON_IDS"] = None
            text = "|".join(
                str(row[k])
                for k in ("GRANT_ID", "BASIS", "DOCKET_NO", "JUDGE", "SCOPE_ARREST_KEYS", "CASE_NO")
            )
            row["ORDER_SHA256"] = hashlib.sha256(text.encode()).hexdigest()
            rows.append(row)
            user = row["GRANTEE_IDS"].split(";")[0]
            if basis == "SUBJECT_OR_DESIGNATED_AGENT":
                user = row["GRANTEE_IDS"]
            truth.append(
                {
                    "GRANT_ID": gid,
                    "EXPECTED": expected,
                    "DEFECT": defect,
                    "CERTAIN": certain,
                    "RECORD_STATUS": target["STATUS"],
                    "REQUEST_USER": extra.get("request_user", user),
                    "REQUEST_PURPOSE": extra.get("request_purpose", purpose),
                    "REQUEST_ARREST_KEY": other["ARREST_KEY"]
                    if extra.get("request_other_arrest")
                    else target["ARREST_KEY"],
                    "REQUEST_CASE_NO": extra.get("request_case", row["CASE_NO"]),
                    "REQUEST_RECORD_TYPE": extra.get("request_record", "ARREST_REPORT"),
                }
            )
            if defect == "SUPERSEDED":
                number += 1
                successor = dict(
                    row,
                    GRANT_ID=f"G{number:05d}",
                    STATUS="ACTIVE",
                    ISSUED_AT=issued + 10,
                    EFFECTIVE_FROM=issued + 10,
                )
                successor["ORDER_SHA256"] = hashlib.sha256((text + "|2").encode()).hexdigest()
                rows.append(successor)
                truth.append(
                    dict(truth[-1], GRANT_ID=successor["GRANT_ID"], EXPECTED="grant", DEFECT="NONE")
                )
    grants = pd.DataFrame(rows)
    for col in ("ISSUED_AT", "EFFECTIVE_FROM", "EXPIRES_AT"):
        days = pd.array(grants[col], dtype="Int64") if len(grants) else pd.array([], dtype="Int64")
        grants[col] = pd.Series(
            np.where(
                pd.isna(days),
                np.datetime64("NaT"),
                np.asarray(days.fillna(0), dtype="int64").astype("datetime64[D]"),
            ),
        ).astype("datetime64[s]")
    return grants, pd.DataFrame(truth)
