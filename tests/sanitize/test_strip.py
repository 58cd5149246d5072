"""Sanitize removes exactly what the spec calls sealed-derived, and keeps the rest."""

from __future__ import annotations

from datetime import date

import pandas as pd
from minimal_data import minimal_frames

from sanitizer.registry import Snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import Tables, make_frame


def snapshot_for(tables, excluded: dict[str, tuple[str, str, bool]], partial=()):
    """A snapshot excluding ``{arrest_key: (status, statute, destroy_class)}``."""
    keys = tables["arrests"]["ARREST_KEY"]
    rows = []
    for key, person in zip(keys, tables["arrests"]["PERSON_ID"], strict=True):
        status, statute, destroy = excluded.get(key, ("NOT_SEALED", None, False))
        rows.append(
            {
                "arrest_key": key,
                "person_id": person,
                "status": status,
                "statute": statute,
                "since": pd.Timestamp("2020-01-11"),
                "access_regime": "COURT_ORDER_ONLY" if key in excluded else "UNRESTRICTED",
                "excluded": key in excluded,
                "seals_on": pd.NaT,
                "excluded_from": pd.NaT,
                "destroy_class": destroy,
                "reason": "test",
            }
        )
    dockets = pd.DataFrame(list(partial), columns=["arrest_key", "docket_id"], dtype="str")
    return Snapshot(date(2026, 6, 1), "strict", "p" * 64, "r" * 64, pd.DataFrame(rows), dockets)


def world():
    frames = minimal_frames()
    # a second pattern, established by the excluded arrest A1, with three members
    frames["complaints"] = pd.concat(
        [
            frames["complaints"],
            make_frame(
                "complaints", [{"CMPLNT_NUM": "C3", "CMPLNT_FR_DT": "2020-02-01", "KY_CD": "107"}]
            ),
        ],
        ignore_index=True,
    )
    frames["patterns"] = make_frame(
        "patterns",
        [
            {"PATTERN_ID": "PT1", "CMPLNT_NUM": "C1", "PATTERN_SOURCE": "ANALYST"},
            {
                "PATTERN_ID": "PT1",
                "CMPLNT_NUM": "C2",
                "PATTERN_SOURCE": "ANALYST",
                "ESTABLISHED_BY_ARREST_KEY": "A1",
            },
            {
                "PATTERN_ID": "PT2",
                "CMPLNT_NUM": "C1",
                "PATTERN_SOURCE": "ARREST_DERIVED",
                "ESTABLISHED_BY_ARREST_KEY": "A2",
            },
            {
                "PATTERN_ID": "PT2",
                "CMPLNT_NUM": "C2",
                "PATTERN_SOURCE": "ARREST_DERIVED",
                "ESTABLISHED_BY_ARREST_KEY": "A2",
            },
            {
                "PATTERN_ID": "PT2",
                "CMPLNT_NUM": "C3",
                "PATTERN_SOURCE": "ANALYST",
                "ESTABLISHED_BY_ARREST_KEY": "A1",
            },
        ],
    )
    return Tables(frames)


def test_an_excluded_arrest_takes_everything_derived_from_it():
    tables = world()
    result = sanitize(
        tables, snapshot_for(tables, {"A1": ("SEALED_160_50", "CPL 160.50(3)(i)", True)})
    )
    clean = result.tables
    assert clean["arrests"]["ARREST_KEY"].tolist() == ["A2"]
    assert clean["persons"]["PERSON_ID"].tolist() == ["P2"]
    assert set(clean["court_events"]["ARREST_KEY"]) == {"A2"}
    assert clean["complaint_arrests"].empty
    # PT1 lost C2 (established by A1) and, left with one member, is gone; PT2 keeps two
    assert clean["patterns"][["PATTERN_ID", "CMPLNT_NUM"]].values.tolist() == [
        ["PT2", "C1"],
        ["PT2", "C2"],
    ]
    # complaints and what victims reported stay, every one of them
    pd.testing.assert_frame_equal(clean["complaints"], tables["complaints"])
    assert clean["access_grants"].empty


def test_destroy_class_photos_are_listed_for_destruction():
    tables = world()
    result = sanitize(
        tables, snapshot_for(tables, {"A1": ("SEALED_160_50", "CPL 160.50(3)(i)", True)})
    )
    assert result.destruction.to_dict("records") == [
        {"arrest_key": "A1", "photo_id": "PH-1", "statute": "CPL 160.50(3)(i)", "action": "DESTROY"}
    ]
    marked = sanitize(tables, snapshot_for(tables, {"A1": ("SEALED_160_57", "CPL 160.57", False)}))
    assert marked.destruction["action"].tolist() == ["MARK"]


def test_removal_counts_by_item_type_and_statute():
    tables = world()
    result = sanitize(
        tables, snapshot_for(tables, {"A1": ("SEALED_160_50", "CPL 160.50(3)(i)", True)})
    )
    counts = result.removed_counts()
    assert counts["arrest"] == 1 and counts["court_event"] == 1 and counts["complaint_link"] == 1
    assert counts["pattern_membership"] == 3  # two established by A1, one left alone in PT1
    assert counts["pattern"] == 1 and counts["person"] == 1 and counts["photo"] == 1
    by_statute = result.removed_by_statute()["CPL 160.50(3)(i)"]
    assert by_statute == {
        "arrest": 1,
        "complaint_link": 1,
        "court_event": 1,
        "pattern_membership": 2,
        "photo": 1,
    }


def test_nothing_excluded_changes_nothing_but_grants():
    tables = world()
    result = sanitize(tables, snapshot_for(tables, {}))
    for name in ("persons", "arrests", "court_events", "complaints", "complaint_arrests"):
        pd.testing.assert_frame_equal(result.tables[name], tables[name])


def test_excluded_dockets_of_a_partially_sealed_arrest_leave_one_by_one():
    tables = world()
    result = sanitize(tables, snapshot_for(tables, {}, partial=[("A2", "D2")]))
    assert result.tables["court_events"]["EVENT_ID"].tolist() == ["E1"]
    assert result.tables["arrests"]["ARREST_KEY"].tolist() == ["A1", "A2"]


def test_every_removal_names_the_statute_of_the_arrest_that_caused_it(tiny_tables):
    """The lineage report's "removed by statute" counts rest on this, row by row, on a
    world where removed rows are scattered through every table."""
    from sanitizer.registry import build_snapshot

    snapshot = build_snapshot(tiny_tables, date(2026, 6, 1), "strict")
    result = sanitize(tiny_tables, snapshot)
    records = snapshot.records.set_index("arrest_key")
    expected = records["statute"].fillna(records["status"])
    caused = result.removed.dropna(subset=["arrest_key"])
    assert len(caused) > 100 and set(caused["item_type"]) >= {
        "arrest",
        "court_event",
        "complaint_link",
        "pattern_membership",
    }
    # an excluded arrest, or an excluded docket's events inside a partially sealed one
    partial = caused["arrest_key"].map(records["status"]) == "PARTIALLY_SEALED"
    assert (caused["arrest_key"].map(records["excluded"]) | partial).all()
    assert (caused.loc[partial, "item_type"] == "court_event").all()
    assert (caused["statute"] == caused["arrest_key"].map(expected)).all()
    destruction = result.destruction
    assert (destruction["statute"] == destruction["arrest_key"].map(expected)).all()
    destroy = destruction["arrest_key"].map(records["destroy_class"])
    assert ((destruction["action"] == "DESTROY") == destroy).all()
