"""Policy profiles, their exclusion table, versions, and the seals_on / excluded_from clocks."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from sanitizer._errors import BadInput
from sanitizer.registry import (
    POLICIES,
    RULES_VERSION,
    STATUSES,
    STATUTORY,
    STRICT,
    RulesConfig,
    evaluate,
    evaluate_reference,
    get_policy,
    rules_version,
)

from .registry_frames import arrests, events

#: SEALING_RULES.md, "Which statuses a policy excludes": status -> (strict, statutory).
TABLE = {
    "OPEN": (False, False),
    "NOT_SEALED": (False, False),
    "SEALING_DENIED_IJ": (False, False),
    "UNSEALED_160_58_REARREST": (False, False),
    "ACD_PENDING": (True, False),
    "APPEAL_PENDING": (True, False),
    "MOTION_REQUIRED_PRE_EFFECTIVE": (True, False),
    "CSA_ELIGIBLE_PENDING_NOTICE": (True, False),
    "COND_SEALED_160_58": (True, False),
    "SEALED_160_59": (True, False),
    "SEALED_160_57": (True, False),
    "SEALED_160_50": (True, True),
    "SEALED_160_55": (True, True),
    "EXPUNGED_160_50_5": (True, True),
    "PARTIALLY_SEALED": (False, False),
}


@pytest.mark.parametrize("status", STATUSES)
def test_exclusion_table(status):
    assert (STRICT.excludes(status), STATUTORY.excludes(status)) == TABLE[status]


def test_profiles_are_immutable_and_hashed():
    assert set(POLICIES) == {"strict", "statutory"}
    assert get_policy("strict") is STRICT
    with pytest.raises(dataclasses.FrozenInstanceError):
        STRICT.name = "lenient"
    assert len(STRICT.version_hash) == 64 and STRICT.version_hash != STATUTORY.version_hash
    with pytest.raises(BadInput, match="unknown policy"):
        get_policy("lenient")


def test_rules_version_tracks_the_config():
    assert rules_version() == RULES_VERSION
    assert rules_version(RulesConfig(seal_160_55_at_cd_end=True)) != RULES_VERSION
    assert RulesConfig().version_hash == RulesConfig().version_hash


ENGINES = pytest.mark.parametrize("engine", [evaluate, evaluate_reference], ids=["fast", "ref"])


@ENGINES
def test_acd_pending_clocks(engine):
    arr = arrests({"ARREST_DATE": "2025-12-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_GRANTED", "EVENT_DATE": "2026-01-10"}
    )
    row = engine(arr, ev, "2026-03-01").by_arrest.iloc[0]
    assert row["status"] == "ACD_PENDING"
    assert row["seals_on"] == pd.Timestamp("2026-07-10")
    assert pd.isna(row["excluded_from_strict"])  # already excluded under strict
    assert row["excluded_from_statutory"] == pd.Timestamp("2026-07-10")


@ENGINES
def test_clean_slate_clock_running(engine):
    arr = arrests({"ARREST_DATE": "2023-01-01"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "2023-03-01"},
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2023-04-01"},
    )
    row = engine(arr, ev, "2026-01-01").by_arrest.iloc[0]
    assert row["status"] == "NOT_SEALED"
    assert row["seals_on"] == pd.Timestamp("2026-04-01")
    assert row["excluded_from_strict"] == pd.Timestamp("2026-04-01")
    assert pd.isna(row["excluded_from_statutory"])  # statutory waits for OCA's notice


@ENGINES
def test_pending_charge_blocks_clean_slate(engine):
    arr = arrests({"ARREST_DATE": "2015-01-01"}, {"ARREST_DATE": "2025-06-01", "LAW_CAT_CD": "F"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "2015-03-01"},
    )
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    assert out.loc["A1", "status"] == "NOT_SEALED"
    assert "A2" in out.loc["A1", "reason"] and pd.isna(out.loc["A1", "seals_on"])
    assert out.loc["A2", "status"] == "OPEN"


@ENGINES
def test_partial_roll_up_depends_on_policy(engine):
    arr = arrests({"ARREST_DATE": "2025-01-01"})
    ev = events(
        {
            "DOCKET_ID": "D1",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "EVENT_DATE": "2026-01-10",
        },
        {
            "DOCKET_ID": "D2",
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "EVENT_DATE": "2025-06-01",
        },
    )
    result = engine(arr, ev, "2026-02-01")
    strict = result.for_policy("strict").iloc[0]
    statutory = result.for_policy("statutory").iloc[0]
    assert strict["status"] == "PARTIALLY_SEALED" and not strict["excluded"]
    assert "unsettled" in strict["reason"] and "D1 (ACD_PENDING)" in strict["reason"]
    assert statutory["status"] == "ACD_PENDING" and not statutory["excluded"]
    assert statutory["excluded_from"] == pd.Timestamp("2026-07-10")


@ENGINES
def test_events_after_as_of_are_ignored(engine):
    arr = arrests({"ARREST_DATE": "2020-01-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL", "EVENT_DATE": "2021-01-01"}
    )
    row = engine(arr, ev, "2020-06-01").by_arrest.iloc[0]
    assert row["status"] == "OPEN" and row["since"] == pd.Timestamp("2020-01-01")


def test_result_is_read_only_copy():
    arr = arrests({"ARREST_DATE": "2020-01-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL", "EVENT_DATE": "2021-01-01"}
    )
    result = evaluate(arr, ev, "2022-01-01")
    copy = result.by_arrest
    copy.loc[0, "status"] = "OPEN"
    assert result.by_arrest.loc[0, "status"] == "SEALED_160_50"
    explained = result.explain("A1")
    assert explained["status"] == "SEALED_160_50" and explained["excluded"] is True
    assert result.counts()["SEALED_160_50"] == 1
