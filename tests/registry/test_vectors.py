"""The 16 test vectors of SEALING_RULES.md, each checked with both engines."""

from __future__ import annotations

import pandas as pd
import pytest

from sanitizer.registry import evaluate, evaluate_reference

from .registry_frames import arrests, events

ENGINES = pytest.mark.parametrize("engine", [evaluate, evaluate_reference], ids=["fast", "ref"])


def one(engine, arr, ev, as_of, **kw):
    row = engine(arr, ev, as_of, **kw).by_arrest.set_index("ARREST_KEY").loc["A1"]
    return row


def check(row, status, statute, since):
    assert row["status"] == status, row["reason"]
    if statute is None:
        assert pd.isna(row["statute"])
    else:
        assert row["statute"] == statute
    if since is None:
        assert pd.isna(row["since"])
    else:
        assert row["since"] == pd.Timestamp(since)


@ENGINES
def test_vector_01_decline_prosecute(engine):
    arr = arrests({"ARREST_DATE": "2020-01-10"})
    ev = events(
        {
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DECLINE_PROSECUTE",
            "EVENT_DATE": "2020-01-11",
        }
    )
    row = one(engine, arr, ev, "2024-01-01")
    check(row, "SEALED_160_50", "CPL 160.50(3)(i)", "2020-01-11")
    assert row["access_regime"] == "COURT_ORDER_ONLY" and row["destroy_class"]
    assert "E001" in row["reason"] and row["trigger_event_id"] == "E001"


@ENGINES
def test_vector_02_acd_runs_out(engine):
    arr = arrests({"ARREST_DATE": "2022-02-01"})
    ev = events(
        {
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "CPL_SECTION": "CPL 170.55",
            "EVENT_DATE": "2022-03-01",
        }
    )
    row = one(engine, arr, ev, "2022-08-31")
    check(row, "ACD_PENDING", None, "2022-03-01")
    assert row["seals_on"] == pd.Timestamp("2022-09-01")
    row = one(engine, arr, ev, "2022-09-01")
    check(row, "SEALED_160_50", "CPL 160.50(3)(b)", "2022-09-01")
    assert "170.55" in row["reason"]


@ENGINES
def test_vector_03_family_offence_acd(engine):
    arr = arrests({"ARREST_DATE": "2022-02-01"})
    ev = events(
        {
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "FAMILY_OFFENSE": True,
            "EVENT_DATE": "2022-03-01",
        }
    )
    check(one(engine, arr, ev, "2023-02-28"), "ACD_PENDING", None, "2022-03-01")
    check(one(engine, arr, ev, "2023-03-01"), "SEALED_160_50", "CPL 160.50(3)(b)", "2023-03-01")


@ENGINES
def test_vector_04_violation_with_conditional_discharge(engine):
    from sanitizer.registry import RulesConfig

    arr = arrests({"ARREST_DATE": "2021-04-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "VIOLATION",
            "PENAL_LAW_SECTION": "PL 240.20",
            "EVENT_DATE": "2021-05-05",
        },
        {
            "EVENT_TYPE": "SENTENCE",
            "SUPERVISION": "CONDITIONAL_DISCHARGE",
            "EVENT_DATE": "2021-05-05",
        },
    )
    check(one(engine, arr, ev, "2021-06-01"), "SEALED_160_55", "CPL 160.55", "2021-05-05")
    cd = RulesConfig(seal_160_55_at_cd_end=True)
    row = one(engine, arr, ev, "2021-06-01", config=cd)
    check(row, "NOT_SEALED", None, "2021-05-05")
    assert row["seals_on"] == pd.Timestamp("2022-05-05")
    assert "configurable" in row["reason"]
    row = one(engine, arr, ev, "2022-05-05", config=cd)
    check(row, "SEALED_160_55", "CPL 160.55", "2022-05-05")
    assert "configurable" in row["reason"]


@ENGINES
def test_vector_05_dwai(engine):
    arr = arrests({"ARREST_DATE": "2019-05-01", "LAW_CAT_CD": "I"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "TRAFFIC_INFRACTION",
            "PENAL_LAW_SECTION": "VTL 1192.1",
            "EVENT_DATE": "2019-06-01",
        }
    )
    row = one(engine, arr, ev, "2024-11-15")
    check(row, "NOT_SEALED", None, "2019-06-01")
    assert row["seals_on"] == pd.Timestamp("2024-11-16")
    row = one(engine, arr, ev, "2024-11-16")
    check(row, "CSA_ELIGIBLE_PENDING_NOTICE", "CPL 160.57(1)(a)", "2024-11-16")
    assert "2027-11-16" in row["reason"]


@ENGINES
def test_vector_06_misdemeanour_clean_slate_then_notice(engine):
    arr = arrests({"ARREST_DATE": "2018-01-01"})
    base = [
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "2018-02-01"},
        {
            "EVENT_TYPE": "SENTENCE",
            "SUPERVISION": "CONDITIONAL_DISCHARGE",
            "EVENT_DATE": "2018-02-01",
        },
    ]
    ev = events(*base)
    check(
        one(engine, arr, ev, "2024-11-16"),
        "CSA_ELIGIBLE_PENDING_NOTICE",
        "CPL 160.57(1)(b)",
        "2024-11-16",
    )
    ev = events(
        *base,
        {
            "EVENT_TYPE": "NOTICE",
            "NOTICE_ACTION": "SEAL",
            "NOTICE_STATUTE": "CPL 160.57",
            "EVENT_DATE": "2025-03-01",
            "SOURCE": "OCA",
        },
    )
    row = one(engine, arr, ev, "2025-03-02")
    check(row, "SEALED_160_57", "CPL 160.57", "2025-03-01")
    assert row["confidence"] == "NOTICE_CONFIRMED"
    assert row["access_regime"] == "LE_DUTY_PERMITTED" and not row["destroy_class"]


@ENGINES
def test_vector_07_reset_by_later_conviction(engine):
    arr = arrests({"ARREST_DATE": "2018-01-01"}, {"ARREST_DATE": "2020-05-01"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "2018-02-01"},
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2018-02-01"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "EVENT_DATE": "2020-06-01",
        },
        {"ARREST_KEY": "A2", "EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2020-06-01"},
    )
    result = engine(arr, ev, "2024-11-16")
    frame = result.by_arrest.set_index("ARREST_KEY")
    for key in ("A1", "A2"):
        check(frame.loc[key], "CSA_ELIGIBLE_PENDING_NOTICE", "CPL 160.57(1)(b)", "2024-11-16")
    assert "restarted" in frame.loc["A1", "reason"]
    # before the operative date the clock has elapsed (2023-06-01) but the law is not in force
    frame = engine(arr, ev, "2023-07-01").by_arrest.set_index("ARREST_KEY")
    assert frame.loc["A1", "seals_on"] == pd.Timestamp("2024-11-16")


@ENGINES
def test_vector_08_class_a_drug_felony(engine):
    arr = arrests({"ARREST_DATE": "2005-01-01", "LAW_CAT_CD": "F"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "FELONY_A",
            "DRUG_ART220": True,
            "PENAL_LAW_SECTION": "PL 220.21",
            "EVENT_DATE": "2006-01-01",
        },
        {
            "EVENT_TYPE": "SENTENCE",
            "INCARCERATION": True,
            "SUPERVISION": "PAROLE",
            "EVENT_DATE": "2006-01-01",
        },
        {"EVENT_TYPE": "RELEASE", "EVENT_DATE": "2012-03-01"},
        {"EVENT_TYPE": "SUPERVISION_END", "EVENT_DATE": "2016-03-01"},
    )
    check(
        one(engine, arr, ev, "2025-01-01"),
        "CSA_ELIGIBLE_PENDING_NOTICE",
        "CPL 160.57(1)(b)",
        "2024-11-16",
    )
    row = one(engine, arr, ev, "2011-01-01")
    check(row, "NOT_SEALED", None, "2006-01-01")
    assert pd.isna(row["seals_on"])  # still incarcerated: clock not started


@ENGINES
def test_vector_09_murder_never_eligible(engine):
    arr = arrests({"ARREST_DATE": "1990-01-01", "LAW_CAT_CD": "F"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "FELONY_A",
            "PENAL_LAW_SECTION": "PL 125.25",
            "EVENT_DATE": "1991-01-01",
        },
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": "1991-01-01"},
    )
    row = one(engine, arr, ev, "2026-06-01")
    check(row, "NOT_SEALED", None, "1991-01-01")
    assert pd.isna(row["seals_on"]) and pd.isna(row["excluded_from_strict"])


@ENGINES
def test_vector_10_pl_221_10_expunged(engine):
    arr = arrests({"ARREST_DATE": "2015-01-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "PENAL_LAW_SECTION": "PL 221.10",
            "EVENT_DATE": "2015-02-01",
        }
    )
    row = one(engine, arr, ev, "2020-01-01")
    check(row, "EXPUNGED_160_50_5", "CPL 160.50(3)(k)(ii)", "2019-08-28")
    assert row["access_regime"] == "SUBJECT_ONLY"
    assert row["excluded_strict"] and row["excluded_statutory"]
    check(one(engine, arr, ev, "2019-01-01"), "NOT_SEALED", None, "2015-02-01")


@ENGINES
def test_vector_11_pl_222_10_expunged_at_conviction(engine):
    arr = arrests({"ARREST_DATE": "2022-01-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "PENAL_LAW_SECTION": "PL 222.10",
            "EVENT_DATE": "2022-02-01",
        }
    )
    check(
        one(engine, arr, ev, "2022-02-01"),
        "EXPUNGED_160_50_5",
        "CPL 160.50(3)(k)(vi)",
        "2022-02-01",
    )


@ENGINES
def test_vector_12_160_58_reopen_and_reseal(engine):
    arr = arrests({"ARREST_DATE": "2018-01-01"}, {"ARREST_DATE": "2021-01-01", "LAW_CAT_CD": "M"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "PENAL_LAW_SECTION": "PL 220.03",
            "EVENT_DATE": "2018-03-01",
        },
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2018-03-01"},
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58", "EVENT_DATE": "2019-05-01"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DISMISSAL",
            "EVENT_DATE": "2021-06-01",
        },
    )
    check(one(engine, arr, ev, "2020-01-01"), "COND_SEALED_160_58", "CPL 160.58", "2019-05-01")
    row = one(engine, arr, ev, "2021-03-01")
    check(row, "UNSEALED_160_58_REARREST", None, "2021-01-01")
    assert "A2" in row["reason"]
    check(one(engine, arr, ev, "2021-07-01"), "COND_SEALED_160_58", "CPL 160.58", "2021-06-01")


@ENGINES
def test_vector_13_160_59_order(engine):
    arr = arrests({"ARREST_DATE": "2005-01-01"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "FELONY_D", "EVENT_DATE": "2006-01-01"},
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_59", "EVENT_DATE": "2020-07-01"},
    )
    for as_of in ("2020-07-01", "2030-01-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "SEALED_160_59", "CPL 160.59", "2020-07-01")
        assert row["access_regime"] == "LE_DUTY_PERMITTED"
        assert row["excluded_strict"] and not row["excluded_statutory"]


@ENGINES
def test_vector_14_interests_of_justice(engine):
    arr = arrests({"ARREST_DATE": "2023-01-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL", "EVENT_DATE": "2023-01-10"},
        {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2023-01-12"},
    )
    check(one(engine, arr, ev, "2023-01-11"), "SEALED_160_50", "CPL 160.50(3)(b)", "2023-01-10")
    row = one(engine, arr, ev, "2023-02-01")
    check(row, "SEALING_DENIED_IJ", None, "2023-01-12")
    assert not row["excluded_strict"]


@ENGINES
def test_vector_15_pre_1976_acquittal(engine):
    arr = arrests({"ARREST_DATE": "1973-06-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACQUITTAL", "EVENT_DATE": "1974-03-01"}
    )
    row = one(engine, arr, ev, "2026-06-01")
    check(row, "MOTION_REQUIRED_PRE_EFFECTIVE", None, "1974-03-01")
    assert row["excluded_strict"] and not row["excluded_statutory"]
    ev2 = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACQUITTAL", "EVENT_DATE": "1974-03-01"},
        {
            "EVENT_TYPE": "COURT_ORDER",
            "ORDER_KIND": "SEAL_160_50_MOTION",
            "EVENT_DATE": "2001-01-01",
        },
    )
    check(one(engine, arr, ev2, "2026-06-01"), "SEALED_160_50", "CPL 160.50(3)(c)", "2001-01-01")


@ENGINES
def test_vector_16_people_appeal_lost(engine):
    arr = arrests({"ARREST_DATE": "2023-03-01"})
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL", "EVENT_DATE": "2023-05-01"},
        {"EVENT_TYPE": "PEOPLE_APPEAL_FILED", "EVENT_DATE": "2023-05-20"},
        {"EVENT_TYPE": "APPEAL_DECIDED", "FOR_PEOPLE": False, "EVENT_DATE": "2024-02-01"},
    )
    check(one(engine, arr, ev, "2023-05-10"), "SEALED_160_50", "CPL 160.50(3)(b)", "2023-05-01")
    row = one(engine, arr, ev, "2023-06-01")
    check(row, "APPEAL_PENDING", None, "2023-05-20")
    assert row["excluded_strict"] and not row["excluded_statutory"]
    check(one(engine, arr, ev, "2024-02-01"), "SEALED_160_50", "CPL 160.50(3)(b)", "2024-02-01")


# --- reviewer's defects (each failed on registry-rules/1.0.0) ------------------------------


def disp(kind, date, **kw):
    return {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": kind, "EVENT_DATE": date, **kw}


@ENGINES
@pytest.mark.parametrize(
    "kind, statute",
    [
        ("ACQUITTAL", "CPL 160.50(3)(c)"),
        ("NO_TRUE_BILL", "CPL 160.50(3)(h)"),
        ("DECLINE_PROSECUTE", "CPL 160.50(3)(i)"),
        ("POLICE_DECLINE", "CPL 160.50(3)(j)"),
    ],
)
def test_peoples_appeal_does_not_suspend_acquittals_or_certifications(engine, kind, statute):
    arr = arrests({"ARREST_DATE": "2023-01-01"})
    filed = events(
        disp(kind, "2023-05-01"), {"EVENT_TYPE": "PEOPLE_APPEAL_FILED", "EVENT_DATE": "2023-05-20"}
    )
    decided = events(
        disp(kind, "2023-05-01"),
        {"EVENT_TYPE": "PEOPLE_APPEAL_FILED", "EVENT_DATE": "2023-05-20"},
        {"EVENT_TYPE": "APPEAL_DECIDED", "FOR_PEOPLE": True, "EVENT_DATE": "2023-09-20"},
    )
    for ev in (filed, decided):
        row = one(engine, arr, ev, "2025-06-01")
        check(row, "SEALED_160_50", statute, "2023-05-01")
        assert row["excluded_strict"] and row["excluded_statutory"]


@ENGINES
def test_peoples_appeal_still_suspends_a_trial_order_of_dismissal(engine):
    arr = arrests({"ARREST_DATE": "2023-01-01"})
    ev = events(
        disp("TRIAL_ORDER_DISMISSAL", "2023-05-01"),
        {"EVENT_TYPE": "PEOPLE_APPEAL_FILED", "EVENT_DATE": "2023-05-20"},
        {"EVENT_TYPE": "APPEAL_DECIDED", "FOR_PEOPLE": True, "EVENT_DATE": "2023-09-20"},
    )
    check(one(engine, arr, ev, "2023-06-01"), "APPEAL_PENDING", None, "2023-05-20")
    row = one(engine, arr, ev, "2023-10-01")
    check(row, "OPEN", None, "2023-01-01")
    assert not row["excluded_strict"]


@ENGINES
def test_pl_220_03_cannabis_misdemeanour_expunged_from_the_earliest_k_rule(engine):
    arr = arrests({"ARREST_DATE": "1975-01-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "PENAL_LAW_SECTION": "PL 220.03",
            "CANNABIS_ONLY": True,
            "DRUG_ART220": True,
            "EVENT_DATE": "1975-06-01",
        }
    )
    for as_of in ("2020-06-01", "2024-01-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "EXPUNGED_160_50_5", "CPL 160.50(3)(k)(i)", "2019-08-28")
        assert row["excluded_strict"] and row["excluded_statutory"]
    check(one(engine, arr, ev, "2019-08-27"), "NOT_SEALED", None, "1975-06-01")


@ENGINES
def test_retrial_conviction_after_verdict_set_aside_is_judged_on_the_conviction(engine):
    arr = arrests({"ARREST_DATE": "2015-01-01"})
    conv = {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR"}
    ev = events(
        {**conv, "EVENT_DATE": "2015-06-01"},
        disp("VERDICT_SET_ASIDE", "2015-07-01", CPL_SECTION="CPL 330.30"),
        {**conv, "EVENT_DATE": "2016-01-01"},
        {"EVENT_TYPE": "SENTENCE", "INCARCERATION": True, "EVENT_DATE": "2016-02-01"},
    )
    check(one(engine, arr, ev, "2015-12-31"), "SEALED_160_50", "CPL 160.50(3)(e)", "2015-07-01")
    row = one(engine, arr, ev, "2025-06-01")
    check(row, "NOT_SEALED", None, "2016-01-01")
    assert not row["excluded_strict"] and not row["excluded_statutory"]


@ENGINES
def test_acd_then_dismissed_as_covered_is_never_sealed(engine):
    arr = arrests({"ARREST_DATE": "2022-01-01"})
    ev = events(disp("ACD_GRANTED", "2022-03-01"), disp("DISMISSED_AS_COVERED", "2022-05-01"))
    check(one(engine, arr, ev, "2022-04-01"), "ACD_PENDING", None, "2022-03-01")
    for as_of in ("2022-06-01", "2025-06-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "NOT_SEALED", None, "2022-05-01")
        assert not row["excluded_strict"] and not row["excluded_statutory"]
        assert pd.isna(row["seals_on"])


@ENGINES
def test_early_dismissal_during_an_acd_keeps_its_since_on_replay(engine):
    arr = arrests({"ARREST_DATE": "2022-01-01"})
    ev = events(disp("ACD_GRANTED", "2022-03-01"), disp("DISMISSAL", "2022-04-01"))
    for as_of in ("2022-05-01", "2022-09-01", "2023-05-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "SEALED_160_50", "CPL 160.50(3)(b)", "2022-04-01")
        assert row["excluded_strict"] and row["excluded_statutory"]


@ENGINES
def test_ij_denial_does_not_block_a_later_termination(engine):
    arr = arrests({"ARREST_DATE": "2015-01-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "VIOLATION",
            "PENAL_LAW_SECTION": "PL 240.20",
            "EVENT_DATE": "2015-06-01",
        },
        {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2015-06-10"},
        disp("JUDGMENT_VACATED", "2020-01-01", CPL_SECTION="CPL 440.10"),
    )
    row = one(engine, arr, ev, "2019-12-31")
    check(row, "SEALING_DENIED_IJ", None, "2015-06-10")
    assert not row["excluded_strict"]
    row = one(engine, arr, ev, "2025-06-01")
    check(row, "SEALED_160_50", "CPL 160.50(3)(f)", "2020-01-01")
    assert row["excluded_strict"] and row["excluded_statutory"]


@ENGINES
def test_clock_reset_to_another_arrests_sentence_names_that_arrest(engine):
    arr = arrests(
        {"ARREST_DATE": "2015-01-01", "PERSON_ID": "P9"},
        {"ARREST_DATE": "2019-01-01", "PERSON_ID": "P9", "LAW_CAT_CD": "F"},
    )
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "2015-02-01"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "FELONY_C",
            "EVENT_DATE": "2019-06-01",
        },
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "SENTENCE",
            "INCARCERATION": True,
            "EVENT_DATE": "2019-06-01",
        },
    )
    out = engine(arr, ev, "2025-06-01").by_arrest.set_index("ARREST_KEY")
    check(out.loc["A1"], "NOT_SEALED", None, "2015-02-01")
    assert not out.loc["A1", "excluded_strict"] and pd.isna(out.loc["A1", "seals_on"])
    assert "no RELEASE yet" not in out.loc["A1", "reason"]
    assert "Related: A2" in out.loc["A1", "reason"]
    assert "restarted with a later conviction" in out.loc["A1", "reason"]
    # it waits for the release on A2, not on a clock of its own (R5)
    assert "clock is running" not in out.loc["A1", "reason"]
    assert "starts on the release from that case" in out.loc["A1", "reason"]
    assert "no RELEASE yet" in out.loc["A2", "reason"]  # A2's own sentence is being served


# --- reviewer's defects R3/R4 (each failed on registry-rules/1.1.0) ----------------------
def clocks(row, seals_on, strict, statutory, excluded=(False, False)):
    """``seals_on``, ``excluded_from`` under strict / statutory, and ``excluded`` under both."""
    for column, want in (
        ("seals_on", seals_on),
        ("excluded_from_strict", strict),
        ("excluded_from_statutory", statutory),
    ):
        if want is None:
            assert pd.isna(row[column]), (column, row[column])
        else:
            assert row[column] == pd.Timestamp(want), (column, row[column])
    assert (bool(row["excluded_strict"]), bool(row["excluded_statutory"])) == excluded


def misdemeanour(sentenced, **kw):
    return (
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "PENAL_LAW_SECTION": "PL 155.25",
            "EVENT_DATE": sentenced,
            **kw,
        },
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": sentenced},
    )


@ENGINES
def test_clean_slate_clock_blocked_by_a_running_acd_elapses_when_the_acd_ends(engine):
    # R3: the clock elapsed (2021-02-01, operative 2024-11-16); the same person's later
    # arrest has an ACD from 2024-09-01, deemed dismissed 2025-03-01
    arr = arrests({"ARREST_DATE": "2017-01-01"}, {"ARREST_DATE": "2024-08-01"})
    ev = events(
        *misdemeanour("2018-02-01"), {"ARREST_KEY": "A2", **disp("ACD_GRANTED", "2024-09-01")}
    )
    row = one(engine, arr, ev, "2024-08-15")  # the later case is open: no foreseeable end
    check(row, "NOT_SEALED", None, "2018-02-01")
    assert "A2" in row["reason"]
    clocks(row, None, None, None)
    for as_of in ("2025-01-01", "2025-02-28"):
        row = one(engine, arr, ev, as_of)
        check(row, "NOT_SEALED", None, "2018-02-01")
        clocks(row, "2025-03-01", "2025-03-01", None)
    for as_of in ("2025-03-01", "2025-06-01", "2026-01-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "CSA_ELIGIBLE_PENDING_NOTICE", "CPL 160.57(1)(b)", "2025-03-01")
        clocks(row, None, None, None, excluded=(True, False))


@ENGINES
def test_clean_slate_clock_blocked_while_running_keeps_its_own_date_and_an_open_case_none(engine):
    # the clock elapses 2026-06-01; the ACD of the later arrest ends earlier (2025-12-01)
    arr = arrests({"ARREST_DATE": "2023-01-01"}, {"ARREST_DATE": "2025-05-01"})
    acd = {"ARREST_KEY": "A2", **disp("ACD_GRANTED", "2025-06-01")}
    ev = events(*misdemeanour("2023-06-01"), acd)
    row = one(engine, arr, ev, "2025-08-01")
    check(row, "NOT_SEALED", None, "2023-06-01")
    clocks(row, "2026-06-01", "2026-06-01", None)
    row = one(engine, arr, ev, "2026-07-01")
    check(row, "CSA_ELIGIBLE_PENDING_NOTICE", "CPL 160.57(1)(b)", "2026-06-01")
    clocks(row, None, None, None, excluded=(True, False))
    # a third arrest of the person, a felony still open: the clock has no date at all
    arr3 = arrests(
        {"ARREST_DATE": "2023-01-01"},
        {"ARREST_DATE": "2025-05-01"},
        {"ARREST_DATE": "2025-07-01", "LAW_CAT_CD": "F"},
    )
    for as_of in ("2025-08-01", "2026-07-01"):
        row = one(engine, arr3, ev, as_of)
        check(row, "NOT_SEALED", None, "2023-06-01")
        assert "A3" in row["reason"]
        clocks(row, None, None, None)


@ENGINES
def test_160_58_sealing_reopened_by_a_running_acd_reseals_when_the_acd_ends(engine):
    # R4 with a Clean Slate clock that cannot elapse first (2026-06-01): the 160.58 order
    # of 2024-01-01 is reopened by a misdemeanour arrest of 2025-01-01 whose ACD (from
    # 2025-02-01) ends 2025-08-01
    arr = arrests({"ARREST_DATE": "2023-01-01"}, {"ARREST_DATE": "2025-01-01"})
    ev = events(
        *misdemeanour("2023-06-01", PENAL_LAW_SECTION="PL 220.03"),
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58", "EVENT_DATE": "2024-01-01"},
        {"ARREST_KEY": "A2", **disp("ACD_GRANTED", "2025-02-01")},
    )
    row = one(engine, arr, ev, "2024-06-01")
    check(row, "COND_SEALED_160_58", "CPL 160.58", "2024-01-01")
    clocks(row, None, None, None, excluded=(True, False))
    row = one(engine, arr, ev, "2025-01-15")  # the rearrest is open: no foreseeable end
    check(row, "UNSEALED_160_58_REARREST", None, "2025-01-01")
    clocks(row, None, None, None)
    for as_of in ("2025-02-01", "2025-06-01", "2025-07-31"):
        row = one(engine, arr, ev, as_of)
        check(row, "UNSEALED_160_58_REARREST", None, "2025-01-01")
        assert "A2" in row["reason"]
        clocks(row, "2025-08-01", "2025-08-01", None)
    for as_of in ("2025-08-01", "2025-09-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "COND_SEALED_160_58", "CPL 160.58", "2025-08-01")
        clocks(row, None, None, None, excluded=(True, False))


@ENGINES
def test_160_58_sealing_reopened_by_the_reviewers_felony_case(engine):
    # R4 as reported: a 2015 felony (its Clean Slate clock also waits on the ACD)
    arr = arrests({"ARREST_DATE": "2015-01-01", "LAW_CAT_CD": "F"}, {"ARREST_DATE": "2025-01-01"})
    ev = events(
        {
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "FELONY_D",
            "PENAL_LAW_SECTION": "PL 220.16",
            "EVENT_DATE": "2015-06-01",
        },
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58", "EVENT_DATE": "2017-05-01"},
        {"ARREST_KEY": "A2", **disp("ACD_GRANTED", "2025-02-01")},
    )
    row = one(engine, arr, ev, "2025-06-01")
    check(row, "UNSEALED_160_58_REARREST", None, "2025-01-01")
    clocks(row, "2025-08-01", "2025-08-01", None)
    row = one(engine, arr, ev, "2025-09-01")
    check(row, "COND_SEALED_160_58", "CPL 160.58", "2025-08-01")
    clocks(row, None, None, None, excluded=(True, False))


# --- reviewer's defect R5 (each failed on registry-rules/1.2.0) ----------------------------
# A Clean Slate clock blocked by a later pending charge elapses when that charge stops
# pending: on the day of the disposition that ended it, whatever sealing follows later
# (a motion order, the end of a conditional discharge, a denial in the interests of
# justice, a NOTICE). Before the fix the blocked conviction's ``since`` moved to the later
# sealing date on replays after it.


def csa_eligible(engine, arr, ev, as_of, since, statute="CPL 160.57(1)(b)", **kw):
    row = one(engine, arr, ev, as_of, **kw)
    check(row, "CSA_ELIGIBLE_PENDING_NOTICE", statute, since)
    clocks(row, None, None, None, excluded=(True, False))


@ENGINES
@pytest.mark.parametrize(
    "ending",
    [
        # acquitted before CPL 160.50 took effect (1976): sealed only by the 2025 motion
        (disp("ACQUITTAL", "1974-01-15"),),
        # violation conviction before CPL 160.55 took effect (1991-11-01): likewise
        (
            {
                "EVENT_TYPE": "CONVICTION",
                "OFFENSE_CLASS": "VIOLATION",
                "PENAL_LAW_SECTION": "PL 240.20",
                "EVENT_DATE": "1974-01-15",
            },
        ),
    ],
    ids=["160.50-motion", "160.55-motion"],
)
def test_clean_slate_clock_not_moved_by_a_motion_sealing_the_blocking_charge(engine, ending):
    # misdemeanour sentenced 1970-03-01 (clock 1973-03-01); the person's later arrest
    # (1972-06-01) ended 1974-01-15 and was sealed by motion on 2025-04-01. Law: eligible
    # from max(1973-03-01, 1974-01-15, operative 2024-11-16) = 2024-11-16
    arr = arrests({"ARREST_DATE": "1969-06-01"}, {"ARREST_DATE": "1972-06-01"})
    kind = (
        "SEAL_160_50_MOTION" if ending[0]["EVENT_TYPE"] == "DISPOSITION" else "SEAL_160_55_MOTION"
    )
    ev = events(
        *misdemeanour("1970-03-01"),
        *({"ARREST_KEY": "A2", **e} for e in ending),
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "COURT_ORDER",
            "ORDER_KIND": kind,
            "EVENT_DATE": "2025-04-01",
        },
    )
    row = one(engine, arr, ev, "2024-11-15")
    check(row, "NOT_SEALED", None, "1970-03-01")
    clocks(row, "2024-11-16", "2024-11-16", None)
    for as_of in ("2024-11-16", "2025-03-31", "2025-04-01", "2026-01-01"):
        csa_eligible(engine, arr, ev, as_of, "2024-11-16")
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    assert out.loc["A2", "status"] in ("SEALED_160_50", "SEALED_160_55")
    assert out.loc["A2", "since"] == pd.Timestamp("2025-04-01")


@ENGINES
def test_clean_slate_clock_not_moved_by_160_55_sealing_at_the_end_of_a_conditional_discharge(
    engine,
):
    from sanitizer.registry import RulesConfig

    # felony sentenced 2017-03-01 (8 years: 2025-03-01); the person's later misdemeanour
    # arrest (2024-06-01) ended 2025-05-01 in a violation plea with a 1-year conditional
    # discharge, sealed under 160.55 at its end (2026-05-01) by the configurable rule.
    # Law: eligible from max(2025-03-01, 2025-05-01, 2024-11-16) = 2025-05-01
    cd = RulesConfig(seal_160_55_at_cd_end=True)
    arr = arrests({"ARREST_DATE": "2016-06-01", "LAW_CAT_CD": "F"}, {"ARREST_DATE": "2024-06-01"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "FELONY_D", "EVENT_DATE": "2017-03-01"},
        {"EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2017-03-01"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "VIOLATION",
            "PENAL_LAW_SECTION": "PL 240.20",
            "EVENT_DATE": "2025-05-01",
        },
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "SENTENCE",
            "SUPERVISION": "CONDITIONAL_DISCHARGE",
            "EVENT_DATE": "2025-05-01",
        },
    )
    row = one(engine, arr, ev, "2025-04-30", config=cd)  # the later case is still open
    check(row, "NOT_SEALED", None, "2017-03-01")
    assert "A2" in row["reason"]
    clocks(row, None, None, None)
    for as_of in ("2025-05-01", "2026-04-30", "2026-05-01", "2027-01-01"):
        csa_eligible(engine, arr, ev, as_of, "2025-05-01", config=cd)
    out = engine(arr, ev, "2027-01-01", config=cd).by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "SEALED_160_55", "CPL 160.55", "2026-05-01")


@ENGINES
@pytest.mark.parametrize(
    "ending, later",
    [
        (
            disp("DISMISSAL", "2025-04-01"),
            {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2025-05-01"},
        ),
        (
            disp("DISMISSAL", "2025-04-01"),
            {
                "EVENT_TYPE": "NOTICE",
                "NOTICE_ACTION": "UNSEAL",
                "NOTICE_STATUTE": "CPL 160.50",
                "EVENT_DATE": "2025-05-01",
            },
        ),
        (
            # PL 240.37 is expunged on a NOTICE only (default configuration)
            {
                "EVENT_TYPE": "CONVICTION",
                "OFFENSE_CLASS": "VIOLATION",
                "PENAL_LAW_SECTION": "PL 240.37",
                "EVENT_DATE": "2025-04-01",
            },
            {
                "EVENT_TYPE": "NOTICE",
                "NOTICE_ACTION": "EXPUNGE",
                "NOTICE_STATUTE": "CPL 160.50",
                "EVENT_DATE": "2025-05-01",
            },
        ),
        (
            {
                "EVENT_TYPE": "CONVICTION",
                "OFFENSE_CLASS": "VIOLATION",
                "PENAL_LAW_SECTION": "PL 240.20",
                "EVENT_DATE": "2025-04-01",
            },
            disp("JUDGMENT_VACATED", "2025-05-01", CPL_SECTION="CPL 440.10"),
        ),
    ],
    ids=["ij-denial", "unseal-notice", "expunge-notice", "vacated-violation"],
)
def test_clean_slate_clock_not_moved_by_what_follows_the_end_of_the_blocking_charge(
    engine, ending, later
):
    # misdemeanour sentenced 2022-03-01 (clock 2025-03-01); the person's later arrest
    # (2024-06-01) ended 2025-04-01, and something changed its status on 2025-05-01.
    # Law: eligible from max(2025-03-01, 2025-04-01, 2024-11-16) = 2025-04-01
    arr = arrests({"ARREST_DATE": "2022-01-01"}, {"ARREST_DATE": "2024-06-01"})
    ev = events(
        *misdemeanour("2022-03-01"), {"ARREST_KEY": "A2", **ending}, {"ARREST_KEY": "A2", **later}
    )
    row = one(engine, arr, ev, "2025-03-31")  # the later case is still open
    check(row, "NOT_SEALED", None, "2022-03-01")
    assert "A2" in row["reason"]
    clocks(row, None, None, None)
    for as_of in ("2025-04-01", "2025-04-30", "2025-05-01", "2026-01-01"):
        csa_eligible(engine, arr, ev, as_of, "2025-04-01")
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    assert out.loc["A2", "since"] == pd.Timestamp("2025-05-01")


# --- reviewer's defects R6/R7 (each failed on registry-rules/1.2.1) ----------------------
# A 160.58 sealing reopened by a later F/M arrest comes back "since tr", the day that
# arrest's case terminated favourably (160.50) or by a violation (160.55): a fact about how
# the case ended, not about the rearrest's own sealing. Before the fix it resealed only
# when the rearrest was itself SEALED_160_50/55 or EXPUNGED, from that sealing's date: at
# the end of a conditional discharge (R6), at a motion order, or never after a denial in
# the interests of justice (R7).
def reopened_160_58(*rearrest):
    """A 160.58 order of 2024-01-01 (E003) reopened by an M arrest of 2024-10-01 (A2)."""
    arr = arrests({"ARREST_DATE": "2023-01-01"}, {"ARREST_DATE": "2024-10-01"})
    ev = events(
        *misdemeanour("2023-06-01", PENAL_LAW_SECTION="PL 220.03"),
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58", "EVENT_DATE": "2024-01-01"},
        *({"ARREST_KEY": "A2", **e} for e in rearrest),
    )
    return arr, ev


def violation(date="2025-03-01"):
    return {
        "EVENT_TYPE": "CONVICTION",
        "OFFENSE_CLASS": "VIOLATION",
        "PENAL_LAW_SECTION": "PL 240.20",
        "EVENT_DATE": date,
    }


def resealed_58(engine, arr, ev, as_of, since, trigger, **kw):
    row = one(engine, arr, ev, as_of, **kw)
    check(row, "COND_SEALED_160_58", "CPL 160.58", since)
    assert row["trigger_event_id"] == trigger
    assert "A2" in row["reason"]
    clocks(row, None, None, None, excluded=(True, False))


def unsealed_58(engine, arr, ev, as_of, seals_on=None, **kw):
    row = one(engine, arr, ev, as_of, **kw)
    check(row, "UNSEALED_160_58_REARREST", None, "2024-10-01")
    assert "A2" in row["reason"]
    clocks(row, seals_on, seals_on, None)


@ENGINES
def test_160_58_reseals_at_a_violation_plea_not_at_the_end_of_its_conditional_discharge(engine):
    from sanitizer.registry import RulesConfig

    # R6: plea to PL 240.20 on 2025-03-01 (E004) with a one-year conditional discharge
    # (E005). tr = 2025-03-01; the discharge-end setting dates only the violation's own
    # 160.55 sealing (2026-03-01)
    cd = RulesConfig(seal_160_55_at_cd_end=True)
    arr, ev = reopened_160_58(
        violation(),
        {
            "EVENT_TYPE": "SENTENCE",
            "SUPERVISION": "CONDITIONAL_DISCHARGE",
            "EVENT_DATE": "2025-03-01",
        },
    )
    unsealed_58(engine, arr, ev, "2025-02-28", config=cd)  # the rearrest is open
    for as_of in ("2025-03-01", "2025-09-01", "2026-02-28", "2026-03-01", "2026-06-01"):
        resealed_58(engine, arr, ev, as_of, "2025-03-01", "E004", config=cd)
        # the same as without the setting
        resealed_58(engine, arr, ev, as_of, "2025-03-01", "E004")
    # the violation's own records: sealed at the end of the discharge under the setting
    out = engine(arr, ev, "2026-02-28", config=cd).by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "NOT_SEALED", None, "2025-03-01")
    assert out.loc["A2", "seals_on"] == pd.Timestamp("2026-03-01")
    out = engine(arr, ev, "2026-03-01", config=cd).by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "SEALED_160_55", "CPL 160.55", "2026-03-01")


@ENGINES
@pytest.mark.parametrize("cd_end", [False, True], ids=["default", "cd-end"])
def test_160_58_reseals_at_a_violation_plea_whose_160_55_sealing_was_denied(engine, cd_end):
    from sanitizer.registry import RulesConfig

    # R7: plea to PL 240.20 on 2025-03-01 (E004), its 160.55 sealing denied in the
    # interests of justice on 2025-03-10 (E005). The case still terminated by violation
    config = RulesConfig(seal_160_55_at_cd_end=cd_end)
    arr, ev = reopened_160_58(
        violation(), {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2025-03-10"}
    )
    unsealed_58(engine, arr, ev, "2025-02-28", config=config)
    for as_of in ("2025-03-01", "2025-03-09", "2025-03-10", "2025-06-01", "2027-01-01"):
        resealed_58(engine, arr, ev, as_of, "2025-03-01", "E004", config=config)
    out = engine(arr, ev, "2025-06-01", config=config).by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "SEALING_DENIED_IJ", None, "2025-03-10")


@ENGINES
def test_160_58_reseals_at_a_favourable_termination_whose_160_50_sealing_was_denied(engine):
    # R7, favourable branch: dismissal 2025-03-01 (E004), sealing denied 2025-03-10
    arr, ev = reopened_160_58(
        disp("DISMISSAL", "2025-03-01"),
        {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2025-03-10"},
    )
    unsealed_58(engine, arr, ev, "2025-02-28")
    for as_of in ("2025-03-01", "2025-03-10", "2026-01-01"):
        resealed_58(engine, arr, ev, as_of, "2025-03-01", "E004")
    # an ACD (2025-03-01, E004) whose sealing is denied (2025-04-01) reseals at its deemed
    # dismissal (2025-09-01), which is also its foreseen date while it runs
    arr, ev = reopened_160_58(
        disp("ACD_GRANTED", "2025-03-01"),
        {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2025-04-01"},
    )
    for as_of in ("2025-03-01", "2025-04-01", "2025-08-31"):
        unsealed_58(engine, arr, ev, as_of, seals_on="2025-09-01")
    for as_of in ("2025-09-01", "2026-01-01"):
        resealed_58(engine, arr, ev, as_of, "2025-09-01", "E004")
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "SEALING_DENIED_IJ", None, "2025-09-01")


@ENGINES
def test_160_58_resealed_at_a_violation_plea_keeps_its_since_after_a_vacatur(engine):
    # plea to PL 240.20 on 2025-03-01 (E004), vacated and dismissed 2025-05-01: the case
    # terminated by violation on 2025-03-01, and a replay after the vacatur says so too
    arr, ev = reopened_160_58(
        violation(), disp("JUDGMENT_VACATED", "2025-05-01", CPL_SECTION="CPL 440.10")
    )
    for as_of in ("2025-03-01", "2025-04-30", "2025-05-01", "2026-01-01"):
        resealed_58(engine, arr, ev, as_of, "2025-03-01", "E004")
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    check(out.loc["A2"], "SEALED_160_50", "CPL 160.50(3)(f)", "2025-05-01")


@ENGINES
@pytest.mark.parametrize(
    "ending, kind",
    [
        (disp("ACQUITTAL", "1974-01-15"), "SEAL_160_50_MOTION"),
        (violation("1974-01-15"), "SEAL_160_55_MOTION"),
    ],
    ids=["160.50-motion", "160.55-motion"],
)
def test_160_58_reseals_at_the_termination_not_at_a_motion_order_sealing_it(engine, ending, kind):
    # a (test-only, pre-statute) 160.58 order of 1970 (E002) reopened by an M arrest of
    # 1972-06-01 that ended 1974-01-15 (E003), before 160.50 / 160.55 took effect, so that
    # its own sealing came only with the motion order of 2025-04-01 (E004)
    arr = arrests({"ARREST_DATE": "1969-01-01"}, {"ARREST_DATE": "1972-06-01"})
    ev = events(
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR", "EVENT_DATE": "1969-06-01"},
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58", "EVENT_DATE": "1970-01-01"},
        {"ARREST_KEY": "A2", **ending},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "COURT_ORDER",
            "ORDER_KIND": kind,
            "EVENT_DATE": "2025-04-01",
        },
    )
    for as_of in ("1974-01-15", "2025-03-31", "2025-04-01", "2026-01-01"):
        row = one(engine, arr, ev, as_of)
        check(row, "COND_SEALED_160_58", "CPL 160.58", "1974-01-15")
        assert row["trigger_event_id"] == "E003"
    out = engine(arr, ev, "2026-01-01").by_arrest.set_index("ARREST_KEY")
    assert out.loc["A2", "since"] == pd.Timestamp("2025-04-01")
