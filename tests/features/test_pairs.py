"""PairFeaturizer: the five families, what it never reads, and fitted state from its input only."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sanitizer.features import FAMILIES, FORBIDDEN_COLUMNS, PairFeaturizer
from sanitizer.features._pairs import MSG_FORBIDDEN
from sanitizer.lineage import fingerprint
from sanitizer.tables import make_frame


def complaint(num, **values):
    base = {
        "CMPLNT_NUM": num,
        "CMPLNT_FR_DT": "2022-03-01",
        "CMPLNT_FR_TM": "10:00:00",
        "KY_CD": "107",
        "Latitude": 40.75,
        "Longitude": -73.98,
        "PREM_TYP_DESC": "STREET",
        "METHOD_OF_ENTRY": "PUSH-IN",
        "FORCE_USED": "NONE",
        "WEAPON": "NONE",
        "PROPERTY_TAKEN": "CASH, WALLET",
        "PD_CD": "221",
        "SUSP_AGE_GROUP": "25-44",
        "SUSP_RACE": "BLACK",
        "SUSP_SEX": "M",
        "SUSP_HEIGHT_IN": 70.0,
        "SUSP_WEIGHT_LB": 180.0,
        "SUSP_COUNT": 1,
        "BORO_NM": "MANHATTAN",
        "ADDR_PCT_CD": "14",
        "NARRATIVE": "PERP PUSHED IN DOOR AND TOOK CASH",
    }
    base.update(values)
    return base


@pytest.fixture(scope="module")
def history(tiny_tables):
    c = tiny_tables["complaints"]
    return c[c["KY_CD"] == "107"].sort_values("CMPLNT_NUM").reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(history):
    return PairFeaturizer().fit(history)


def test_every_family_is_present(fitted):
    names = list(fitted.get_feature_names_out())
    for family, columns in FAMILIES.items():
        assert set(columns) <= set(names), family
    assert names == [c for cols in FAMILIES.values() for c in cols]


def test_identical_complaints_look_identical(fitted):
    frame = make_frame("complaints", [complaint("1"), complaint("2")])
    X = fitted.transform(frame, [0], [1]).iloc[0]
    assert X["distance_m"] == 0 and X["days_apart"] == 0 and X["window_overlap"] == 1
    assert X["time_of_day_gap_h"] == 0 and X["day_of_week_gap"] == 0
    assert X["prem_typ_desc_match"] > 0 and X["property_item_overlap"] == pytest.approx(1)
    assert X[["susp_height_gap", "susp_weight_gap", "susp_age_gap", "susp_count_gap"]].eq(0).all()
    assert X["narrative_cosine"] == pytest.approx(1, abs=1e-5)


def test_location_time_and_suspect_gaps(fitted):
    frame = make_frame(
        "complaints",
        [
            complaint("1", CMPLNT_TO_DT="2022-03-03", CMPLNT_TO_TM="10:00:00"),
            complaint(
                "2",
                Latitude=40.76,
                CMPLNT_FR_DT="2022-03-02",
                CMPLNT_FR_TM="23:00:00",
                SUSP_HEIGHT_IN=66.0,
                SUSP_AGE_GROUP="45-64",
                SUSP_COUNT=3,
                WEAPON=None,
            ),
        ],
    )
    X = fitted.transform(frame, [0], [1]).iloc[0]
    assert X["distance_m"] == pytest.approx(1105.7, rel=1e-3)  # 0.01 degree of latitude
    assert X["days_apart"] == pytest.approx(1 + 13 / 24, rel=1e-5)
    assert X["window_gap_days"] == 0 and X["window_overlap"] == 1  # a point inside the window
    assert X["time_of_day_gap_h"] == pytest.approx(11)  # 10:00 vs 23:00, circular
    assert X["day_of_week_gap"] == 1
    assert X["susp_height_gap"] == 4 and X["susp_age_gap"] == 1 and X["susp_count_gap"] == 2
    assert np.isnan(X["weapon_match"])  # missing on one side is not a mismatch


def test_rare_shared_values_weigh_more(fitted, history):
    common = history["PREM_TYP_DESC"].value_counts().index[0]
    rare = history["PREM_TYP_DESC"].value_counts().index[-1]
    frame = make_frame(
        "complaints",
        [complaint(str(i), PREM_TYP_DESC=v) for i, v in enumerate([common, common, rare, rare])]
        + [complaint("9", PREM_TYP_DESC="NEVER SEEN"), complaint("10", PREM_TYP_DESC="NEVER SEEN")],
    )
    X = fitted.transform(frame, [0, 2, 4, 0], [1, 3, 5, 2])
    weights = X["prem_typ_desc_match"].to_numpy()
    assert weights[1] > weights[0] > 0
    assert weights[2] >= weights[1]  # an unseen value shared by both: rarest of all
    assert weights[3] == 0


def test_density_term_grows_with_local_density(fitted, history):
    cells = pd.Series(fitted.grid_counts_, index=fitted.grid_cells_)
    assert cells.sum() == len(history)
    busy = history.iloc[[0]]
    lat, lon = busy["Latitude"].iloc[0], busy["Longitude"].iloc[0]
    frame = make_frame(
        "complaints",
        [
            complaint("1", Latitude=lat, Longitude=lon),
            complaint("2", Latitude=lat + 0.002, Longitude=lon),
            complaint("3", Latitude=40.1, Longitude=-75.0),  # far outside the city
            complaint("4", Latitude=40.102, Longitude=-75.0),
        ],
    )
    X = fitted.transform(frame, [0, 2], [1, 3])
    assert X["distance_m"].iloc[0] == pytest.approx(X["distance_m"].iloc[1], rel=1e-3)
    assert X["density_distance"].iloc[0] > X["density_distance"].iloc[1] == 0


def test_race_sex_precinct_and_borough_change_nothing(history):
    rng = np.random.default_rng(0)
    left, right = rng.integers(0, len(history), 500), rng.integers(0, len(history), 500)
    before = PairFeaturizer().fit(history)
    changed = history.assign(
        SUSP_RACE="WHITE", SUSP_SEX="F", ADDR_PCT_CD="999", BORO_NM="STATEN ISLAND"
    )
    after = PairFeaturizer().fit(changed)
    assert fingerprint(before) == fingerprint(after)
    pd.testing.assert_frame_equal(
        before.transform(history, left, right), after.transform(changed, left, right)
    )
    dropped = history.drop(columns=list(FORBIDDEN_COLUMNS))
    pd.testing.assert_frame_equal(
        before.transform(history, left, right),
        PairFeaturizer().fit(dropped).transform(dropped, left, right),
    )


def test_forbidden_columns_cannot_be_mo_columns(history):
    with pytest.raises(ValueError, match=re.escape(MSG_FORBIDDEN.format(column="SUSP_RACE"))):
        PairFeaturizer(mo_columns=("WEAPON", "SUSP_RACE")).fit(history)


def test_fit_depends_on_the_complaints_not_their_order(history, fitted):
    shuffled = history.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert fingerprint(PairFeaturizer().fit(shuffled)) == fingerprint(fitted)
    assert fingerprint(PairFeaturizer().fit(history.iloc[:-5])) != fingerprint(fitted)


def test_encoded_history_serves_queries(fitted, history):
    query = history.iloc[[3]].reset_index(drop=True)
    q, h = fitted.encode(query), fitted.encode(history)
    right = np.arange(len(history))
    across = fitted.pair_features(q, np.zeros(len(right), int), right, right_encoded=h)
    within = fitted.transform(history, np.full(len(right), 3), right)
    pd.testing.assert_frame_equal(across, within)
    without_text = fitted.pair_features(h, right, right, text=False)
    assert "narrative_cosine" not in without_text
