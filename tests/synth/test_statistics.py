"""The small world has the shape the rest of the project relies on."""

import numpy as np
import pandas as pd

from sanitizer.synth._scenarios import SCENARIOS
from sanitizer.tables._schema import (
    DISPOSITIONS,
    EVENT_TYPES,
    GRANT_BASES,
    NOTICE_ACTIONS,
    OFFENSE_CLASSES,
    ORDER_KINDS,
    SUPERVISIONS,
)

END = pd.Timestamp("2026-05-31")


def test_about_half_of_arrests_end_favourably(small_world):
    share = small_world.truth["arrests"]["FAVOURABLE"].mean()
    assert 0.4 <= share <= 0.6


def test_every_event_vocabulary_value_appears(small_world):
    ev = small_world.tables["court_events"]
    assert set(ev["EVENT_TYPE"].dropna()) == set(EVENT_TYPES)
    assert set(ev["DISPOSITION"].dropna()) == set(DISPOSITIONS)
    assert set(ev["ORDER_KIND"].dropna()) == set(ORDER_KINDS)
    assert set(ev["NOTICE_ACTION"].dropna()) == set(NOTICE_ACTIONS)
    assert set(ev["OFFENSE_CLASS"].dropna()) == set(OFFENSE_CLASSES)
    assert set(ev["SUPERVISION"].dropna()) == set(SUPERVISIONS)
    assert set(ev["SOURCE"].dropna()) == {"OCA", "DCJS", "COURT", "POLICE"}
    assert set(ev["NOTICE_STATUTE"].dropna()) >= {"CPL 160.57", "CPL 160.50(5)"}


def test_rule_specific_facts_are_present(small_world):
    ev = small_world.tables["court_events"]
    conv = ev[ev["EVENT_TYPE"] == "CONVICTION"]
    disp = ev[ev["EVENT_TYPE"] == "DISPOSITION"]
    assert (~disp["ENTIRE_INSTRUMENT"]).any()
    assert disp.loc[disp["DISPOSITION"] == "ACD_GRANTED", "FAMILY_OFFENSE"].any()
    decided = ev.loc[ev["EVENT_TYPE"] == "APPEAL_DECIDED", "FOR_PEOPLE"]
    assert decided.any() and (~decided).any()
    assert conv["SORA_OFFENSE"].any() and conv["DRUG_ART220"].any() and conv["CANNABIS_ONLY"].any()
    sections = set(conv["PENAL_LAW_SECTION"])
    assert {"VTL 1192.1", "PL 240.20", "PL 221.10", "PL 220.03", "PL 125.25"} <= sections
    assert sections & {"PL 222.10", "PL 222.15", "PL 222.25", "PL 222.45"}
    assert (conv["OFFENSE_CLASS"] == "FELONY_A").any()
    dwai = conv[conv["PENAL_LAW_SECTION"] == "VTL 1192.1"]
    assert (dwai["OFFENSE_CLASS"] == "TRAFFIC_INFRACTION").all()
    marijuana = conv[conv["PENAL_LAW_SECTION"].isin(["PL 221.05", "PL 221.10"])]
    assert (marijuana["EVENT_DATE"] < "2019-08-28").all()
    assert (disp["EVENT_DATE"] < "1976-01-01").any()
    old_violation = conv[
        (conv["OFFENSE_CLASS"] == "VIOLATION") & (conv["EVENT_DATE"] < "1991-11-01")
    ]
    assert len(old_violation) > 0
    notices = ev[ev["EVENT_TYPE"] == "NOTICE"]
    assert (notices.loc[notices["NOTICE_ACTION"] == "SEAL", "EVENT_DATE"] >= "2024-11-16").all()


def test_every_scenario_appears(small_world):
    seen = set(small_world.truth["dockets"]["SCENARIO"])
    assert {sc.name for sc in SCENARIOS} <= seen


def test_events_inside_the_calendar(small_world):
    ev = small_world.tables["court_events"]
    arrests = small_world.tables["arrests"].set_index("ARREST_KEY")["ARREST_DATE"]
    assert (ev["EVENT_DATE"] >= ev["ARREST_KEY"].map(arrests)).all()
    assert (ev["EVENT_DATE"] <= END).all()
    assert ev["EVENT_ID"].is_unique
    c = small_world.tables["complaints"]
    assert c["CMPLNT_FR_DT"].between("2016-06-01", END).all()
    a = small_world.tables["arrests"]["ARREST_DATE"]
    assert (a >= "2006-01-01").mean() > 0.85 and (a < "1976-01-01").any()


def test_several_dockets_for_some_arrests(small_world):
    ev = small_world.tables["court_events"]
    named = ev.dropna(subset=["DOCKET_ID"])
    per_arrest = named.groupby("ARREST_KEY")["DOCKET_ID"].nunique()
    share = (per_arrest >= 2).sum() / small_world.tables["arrests"].shape[0]
    assert 0.01 <= share <= 0.08


def test_arrestee_demographics(small_world):
    a = small_world.tables["arrests"]
    race = a["PERP_RACE"].value_counts(normalize=True)
    assert 0.44 <= race["BLACK"] <= 0.51
    assert 0.24 <= race["WHITE HISPANIC"] <= 0.31
    assert 0.08 <= race["WHITE"] <= 0.13
    assert 0.06 <= race["BLACK HISPANIC"] <= 0.10
    assert 0.04 <= race["ASIAN / PACIFIC ISLANDER"] <= 0.07
    assert 0.80 <= (a["PERP_SEX"] == "M").mean() <= 0.86
    counts = a.groupby("PERSON_ID").size()
    assert counts.max() >= 15  # heavy tail of repeat arrests
    persons = small_world.tables["persons"].set_index("PERSON_ID")
    assert (a["PERP_RACE"] == a["PERSON_ID"].map(persons["RACE"])).all()


def test_arrests_lie_in_their_borough(small_world):
    from sanitizer.synth._geography import BORO_CODES, BOXES, PRECINCT_BORO, PRECINCTS

    a = small_world.tables["arrests"]
    b = a["ARREST_BORO"].map({c: i for i, c in enumerate(BORO_CODES)}).to_numpy()
    box = BOXES[b]
    assert ((a["Latitude"] >= box[:, 0]) & (a["Latitude"] <= box[:, 1])).all()
    assert ((a["Longitude"] >= box[:, 2]) & (a["Longitude"] <= box[:, 3])).all()
    pct_boro = a["ARREST_PRECINCT"].map({p: i for i, p in enumerate(PRECINCTS)}).to_numpy()
    assert (PRECINCT_BORO[pct_boro] == b).all()


def test_series_sizes(small_world):
    sizes = small_world.truth["series"]["N_COMPLAINTS"]
    assert 3 <= sizes.median() <= 8
    assert (sizes >= 10).sum() >= 5
    offenders = small_world.truth["complaint_offenders"]
    assert offenders["SERIES_ID"].notna().mean() > 0.25


def test_grants_cover_every_basis_and_outcome(small_world):
    grants = small_world.tables["access_grants"]
    truth = small_world.truth["grants"]
    assert set(grants["BASIS"]) == set(GRANT_BASES)
    assert set(truth["EXPECTED"]) == {"grant", "deny"}
    assert set(truth["GRANT_ID"]) == set(grants["GRANT_ID"])
    assert {
        "EXPIRED_STATUS",
        "VACATED",
        "SUPERSEDED",
        "NO_EXPIRY",
        "CATEGORY_WIDE_STAR",
        "CATEGORY_WIDE_EMPTY",
        "LE_DUTY_FOR_160_50",
        "DISTRICT_DID_NOT_SEAL",
        "WRONG_PURPOSE",
    } <= set(truth["DEFECT"])


def test_arrest_derived_patterns(small_world):
    p = small_world.tables["patterns"]
    arrests = small_world.tables["arrests"].set_index("ARREST_KEY")
    derived = p[p["PATTERN_SOURCE"] == "ARREST_DERIVED"]
    assert len(derived) > 0
    assert derived["ESTABLISHED_BY_ARREST_KEY"].isin(arrests.index).all()
    assert p.groupby("PATTERN_ID").size().min() >= 2
    analyst = p[p["PATTERN_SOURCE"] == "ANALYST"]
    assert analyst["ESTABLISHED_BY_ARREST_KEY"].notna().any()
    # the same person arrested for the same offence more than once within two days
    est = arrests.loc[derived["ESTABLISHED_BY_ARREST_KEY"]]
    g = est.assign(PATTERN_ID=derived["PATTERN_ID"].to_numpy()).groupby("PATTERN_ID")
    assert (g["PERSON_ID"].nunique() == 1).all()
    assert (g["KY_CD"].nunique() == 1).all()
    span = g["ARREST_DATE"].max() - g["ARREST_DATE"].min()
    assert (span <= pd.Timedelta(days=2)).all()
    assert (g.size() >= 2).all()
    links = small_world.tables["complaint_arrests"]
    assert (
        derived.set_index(["CMPLNT_NUM", "ESTABLISHED_BY_ARREST_KEY"])
        .index.isin(links.set_index(["CMPLNT_NUM", "ARREST_KEY"]).index)
        .all()
    )


def test_complaint_links_carry_true_attributes(small_world):
    links = small_world.tables["complaint_arrests"]
    persons = small_world.truth["persons"].set_index("PERSON_ID")
    person = links["ARREST_KEY"].map(
        small_world.tables["arrests"].set_index("ARREST_KEY")["PERSON_ID"]
    )
    assert np.allclose(links["ARRESTEE_HEIGHT_IN"], person.map(persons["HEIGHT_IN"]))
    fav = small_world.truth["arrests"].set_index("ARREST_KEY")["FAVOURABLE"]
    assert links["ARREST_KEY"].map(fav).mean() > 0.2  # some of them get sealed


def test_grant_windows_are_ordered(small_world):
    g = small_world.tables["access_grants"]
    assert not (g["EXPIRES_AT"] < g["EFFECTIVE_FROM"]).any()
