"""Access grants: court unsealing orders and statutory access bases, good and bad.

Good grants are narrow (named grantees, one sealed arrest or person, a purpose, a case
number, a window that contains the as-of date); the bad ones each carry exactly one
planted defect that the access gate must catch (expired, vacated, superseded, no expiry,
category-wide, a law-enforcement-duty basis for a 160.50 record, a District court that did
not seal the record, a purpose that does not match ...). ``truth/grants`` names the defect
and the request a test should make, with the expected outcome. A few hundred rows at most,
so plain Python loops are fine here.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from . import _calendar as cal

__all__ = ["make_grants"]

_INV = "INVESTIGATION_OF_SPECIFIC_CRIME"
_DII = "CPL_160_50_1_d_ii_EX_PARTE_ORDER"
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
        "PAROLE_SUPERVISION",
        "160.55",
        "SUPERVISION",
        "grant",
        True,
        {"EX_PARTE": False, "GRANTEE_IDS": "po.williams", "CASE_NO": None},
    ),
    (
        "NONE",
        "PROBATION_SUPERVISION_ARREST_DURING",
        "160.50",
        "SUPERVISION",
        "grant",
        True,
        {"EX_PARTE": False, "GRANTEE_IDS": "prob.officer.diaz", "CASE_NO": None},
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


def make_grants(
    rng: np.random.Generator, rounds: int, dockets: pd.DataFrame, arrests: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rounds`` copies of every template, each scoped to a different sealed arrest."""
    pools = _pools(rng, dockets, arrests)
    rows, truth = [], []
    number = 0
    for r in range(rounds):
        for defect, basis, pool_name, purpose, expected, certain, extra in _TEMPLATES:
            pool = pools[pool_name]
            if len(pool) < 2:
                continue
            pick = int(rng.integers(0, len(pool)))
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
