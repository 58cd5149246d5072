"""The invariance check's guard: which persons a perturbation changed the status of.

A perturbation of excluded records must leave every other record's status alone (the
rules read a person's other arrests); the check finds the persons it disturbed and puts
their rows back. Missing one would let a perturbation change the data it should not;
naming too many only restores more rows. The function joins millions of records by key,
so it is held here to the rule stated row by row.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.lineage._checks import _changed_persons
from sanitizer.registry import Snapshot

STATUSES = ("OPEN", "SEALED_160_50", "CONVICTED", "SEALED_CLEAN_SLATE")
DAYS = (None, "2020-01-01", "2021-06-30")


def snapshot(rows: list[dict]) -> Snapshot:
    frame = pd.DataFrame(
        rows, columns=["arrest_key", "person_id", "status", "since", "excluded"]
    ).astype({"arrest_key": "str", "person_id": "str", "status": "str", "excluded": bool})
    frame["since"] = pd.to_datetime(frame["since"]).astype("datetime64[s]")
    for column in ("statute", "access_regime", "reason"):
        frame[column] = pd.Series([""] * len(frame), dtype="str")
    for column in ("seals_on", "excluded_from"):
        frame[column] = pd.Series([pd.NaT] * len(frame), dtype="datetime64[s]")
    frame["destroy_class"] = False
    dockets = pd.DataFrame({"arrest_key": [], "docket_id": []}, dtype="str")
    return Snapshot(date(2026, 6, 1), "strict", "p", "r", frame, dockets)


def reference(original: Snapshot, perturbed: Snapshot) -> set[str]:
    """Row by row: a shared record whose status, ``since`` (missing equals missing) or
    exclusion differs, and a new record that is not excluded."""
    fields = ["status", "since", "excluded"]
    before = {r["arrest_key"]: r for r in original.records.to_dict("records")}
    persons = set()
    for row in perturbed.records.to_dict("records"):
        old = before.get(row["arrest_key"])
        if old is None:
            if not row["excluded"]:
                persons.add(row["person_id"])
        elif any(not (old[f] == row[f] or (pd.isna(old[f]) and pd.isna(row[f]))) for f in fields):
            persons.add(old["person_id"])
    return persons


record = st.fixed_dictionaries(
    {
        "person_id": st.sampled_from(["P1", "P2", "P3", "P4"]),
        "status": st.sampled_from(STATUSES),
        "since": st.sampled_from(DAYS),
        "excluded": st.booleans(),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(record, min_size=0, max_size=12),
    edits=st.lists(
        st.tuples(st.integers(0, 11), st.sampled_from(["drop", "status", "since", "flip"])),
        max_size=6,
    ),
    added=st.lists(record, max_size=3),
)
def test_changed_persons_are_those_of_the_plain_rule(rows, edits, added):
    original = [{"arrest_key": f"A{i:02d}", **row} for i, row in enumerate(rows)]
    perturbed = {row["arrest_key"]: dict(row) for row in original}
    for index, edit in edits:
        key = f"A{index:02d}"
        if key not in perturbed:
            continue
        if edit == "drop":
            del perturbed[key]
        elif edit == "status":
            perturbed[key]["status"] = STATUSES[(STATUSES.index(perturbed[key]["status"]) + 1) % 4]
        elif edit == "since":
            perturbed[key]["since"] = DAYS[(DAYS.index(perturbed[key]["since"]) + 1) % 3]
        else:
            perturbed[key]["excluded"] = not perturbed[key]["excluded"]
    news = [{"arrest_key": f"N{i}", **row} for i, row in enumerate(added)]
    before, after = snapshot(original), snapshot([*perturbed.values(), *news])
    assert set(_changed_persons(before, after)) == reference(before, after)
