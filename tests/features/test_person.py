"""Person history features: values on a hand-made history, no protected attributes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sanitizer.features import (
    PersonHistoryFeatures,
    age_group,
    history_population,
    history_provenance,
    person_groups,
    rearrest_labels,
)
from sanitizer.features._person import MSG_MISSING_COLUMNS
from sanitizer.tables import make_frame

CUTOFF = "2023-06-01"


def _arrest(key, person, day, law="M", ky="344", boro="K", race="BLACK", sex="M"):
    return {
        "ARREST_KEY": key,
        "PERSON_ID": person,
        "ARREST_DATE": day,
        "KY_CD": ky,
        "LAW_CAT_CD": law,
        "ARREST_BORO": boro,
        "PERP_RACE": race,
        "PERP_SEX": sex,
    }


@pytest.fixture
def tables():
    persons = make_frame(
        "persons",
        [
            {"PERSON_ID": "P1", "BIRTH_YEAR": 1990, "SEX": "M", "RACE": "BLACK"},
            {"PERSON_ID": "P2", "BIRTH_YEAR": 2000, "SEX": "F", "RACE": "WHITE"},
            {"PERSON_ID": "P3", "BIRTH_YEAR": None, "SEX": "M", "RACE": "ASIAN / PACIFIC ISLANDER"},
        ],
    )
    arrests = make_frame(
        "arrests",
        [
            _arrest("A1", "P1", "2023-01-01", "F", "109", boro="M"),  # 151 days before
            _arrest("A2", "P1", "2021-01-01", "M", "344"),
            _arrest("A3", "P1", "2015-01-01", "V", "344"),
            _arrest("A4", "P2", "2019-06-01", "I", "235", boro="Q"),
            _arrest("A5", "P2", "2024-01-01", "M", "235"),  # after the cutoff: label only
            _arrest("A6", "P3", "2024-02-01", "M", "344"),  # no prior: not in population
        ],
    )
    return {"persons": persons, "arrests": arrests}


def test_features_on_a_hand_made_history(tables):
    features = PersonHistoryFeatures(cutoff=CUTOFF, n_offence_codes=1).fit(tables)
    X = features.transform(tables)
    assert list(X.index) == ["P1", "P2"]
    assert features.offence_codes_.tolist() == ["344"]  # 2 prior arrests, the most frequent
    p1, p2 = X.loc["P1"], X.loc["P2"]
    assert p1["prior_arrests"] == 3 and p2["prior_arrests"] == 1
    assert (p1["prior_felony"], p1["prior_misdemeanor"], p1["prior_violation"]) == (1, 1, 1)
    assert p2["prior_infraction"] == 1
    assert (p1["arrests_last_1y"], p1["arrests_last_3y"], p1["arrests_last_5y"]) == (1, 2, 2)
    assert p2["arrests_last_5y"] == 1 and p2["arrests_last_3y"] == 0
    assert p1["days_since_last_arrest"] == 151
    assert p1["age_at_cutoff"] == 33 and p2["age_at_cutoff"] == 23
    assert p1["share_ky_344"] == pytest.approx(2 / 3)
    assert p1["share_ky_other"] == pytest.approx(1 / 3)
    assert p2["share_ky_other"] == 1.0
    assert list(X.columns) == features.get_feature_names_out().tolist()


def test_never_race_or_sex(tables):
    features = PersonHistoryFeatures(cutoff=CUTOFF).fit(tables)
    names = " ".join(features.get_feature_names_out()).lower()
    assert "race" not in names and "sex" not in names
    assert not any("RACE" in n or "SEX" in n for n in features.feature_names_in_)
    # changing every protected column changes nothing
    swapped = {
        "persons": tables["persons"].assign(RACE="WHITE", SEX="F"),
        "arrests": tables["arrests"].assign(PERP_RACE="UNKNOWN", PERP_SEX="U"),
    }
    pd.testing.assert_frame_equal(features.transform(tables), features.transform(swapped))


def test_labels_population_and_provenance(tables):
    population = history_population(tables["arrests"], CUTOFF)
    assert population.tolist() == ["P1", "P2"]
    y, counted = rearrest_labels(tables["arrests"], population, CUTOFF)
    assert y.tolist() == [0, 1]
    assert counted["ARREST_KEY"].tolist() == ["A5"]  # A6 is not a population member's
    prior = tables["arrests"][tables["arrests"]["ARREST_DATE"] < pd.Timestamp(CUTOFF)]
    provenance = history_provenance(population, prior, counted)
    assert sorted(provenance.sources["arrests"].row(0)) == ["A1", "A2", "A3"]
    assert sorted(provenance.sources["arrests"].row(1)) == ["A4", "A5"]
    assert provenance.sources["persons"].to_lists() == [["P1"], ["P2"]]


def test_transform_as_of_a_later_date(tables):
    features = PersonHistoryFeatures(cutoff=CUTOFF).fit(tables)
    later = features.transform(tables, as_of="2026-06-01")
    assert list(later.index) == ["P1", "P2", "P3"]
    assert later.loc["P2", "prior_arrests"] == 2


def test_groups_are_for_fairness_only(tables):
    groups = person_groups(tables, ["P1", "P2"], CUTOFF)
    assert groups["race"].tolist() == ["BLACK", "WHITE"]
    assert groups["borough"].tolist() == ["M", "Q"]  # the last arrest before the cutoff
    assert groups["age_group"].tolist() == ["25-44", "18-24"]
    assert age_group([np.nan, 17, 18, 24, 25, 64, 65]).tolist() == [
        "UNKNOWN",
        "<18",
        "18-24",
        "18-24",
        "25-44",
        "45-64",
        "65+",
    ]


def test_missing_column_is_named(tables):
    broken = {"persons": tables["persons"], "arrests": tables["arrests"].drop(columns="KY_CD")}
    expected = MSG_MISSING_COLUMNS.split("{missing}")[0].format(table="arrests")
    with pytest.raises(ValueError, match=re.escape(expected)):
        PersonHistoryFeatures(cutoff=CUTOFF).fit(broken)
