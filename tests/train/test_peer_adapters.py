"""The bench's peer adapters: crimelinkage data in our featurizer, its pairs and naive Bayes.

Small hand-made crimes, not the GPL example data (which stays in ``../shared/data``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.peers import crimelinkage as cl
from bench.peers.throughput import peer_runs
from sanitizer.features import PairFeaturizer


def crimes_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "crimeID": ["C:1", "C:2", "C:3", "C:4", "C:5"],
            "X": [1000.0, 1300.0, 9000.0, 1000.0, 5000.0],
            "Y": [-2000.0, -1600.0, 4000.0, -2000.0, 0.0],
            "MO1": ["6", "6", "25", "6", "3"],
            "MO2": ["a", None, "b", "a", None],
            "MO3": ["J", "E", "E", "J", "A"],
            "DT.FROM": pd.to_datetime(
                [
                    "1993-01-06 23:55",
                    "1993-01-08 07:00",
                    "1993-03-01 12:00",
                    "1994-06-01 10:00",
                    "1993-01-07 08:00",
                ]
            ).astype("datetime64[s]"),
            "DT.TO": pd.to_datetime(
                [
                    "1993-01-07 04:39",
                    "1993-01-08 17:30",
                    "1993-03-01 12:00",
                    "1994-06-01 12:00",
                    "1993-01-07 09:00",
                ]
            ).astype("datetime64[s]"),
        }
    )


def offenders_frame() -> pd.DataFrame:
    # O:1 and O:2 co-offended on C:2, so C:1, C:2, C:4 form one crime group; C:3 and C:5
    # are single-crime groups
    return pd.DataFrame(
        {
            "offenderID": ["O:1", "O:1", "O:2", "O:2", "O:3", "O:4"],
            "crimeID": ["C:1", "C:2", "C:2", "C:4", "C:3", "C:5"],
        }
    )


def test_featurizer_reads_crimelinkage_geometry_and_windows_unchanged():
    crimes = crimes_frame()
    complaints = cl.as_complaints(crimes)
    featurizer = PairFeaturizer(mo_columns=cl.MO_COLUMNS_HERE, min_df=1).fit(complaints)
    left, right = np.array([0, 0, 1]), np.array([1, 2, 3])
    X = featurizer.pair_features(featurizer.encode(complaints), left, right, text=False)
    x, y = crimes["X"].to_numpy(), crimes["Y"].to_numpy()
    np.testing.assert_allclose(
        X["distance_m"], np.hypot(x[left] - x[right], y[left] - y[right]), atol=0.05
    )
    start = crimes["DT.FROM"].to_numpy("datetime64[s]").astype(np.int64)
    np.testing.assert_allclose(
        X["days_apart"], np.abs(start[left] - start[right]) / 86_400, rtol=1e-5
    )
    # MO1 "6" shared by C:1 and C:2; C:2 lacks MO2, so that match is unknown
    assert X["mo1_match"].iloc[0] > 0 and X["mo1_match"].iloc[1] == 0
    assert np.isnan(X["mo2_match"].iloc[0])


def test_pairs_follow_makepairs_rules():
    crimes, offenders = crimes_frame(), offenders_frame()
    pairs = cl.make_pairs(crimes, offenders, thres=365, m=4, seed=0)
    linked = pairs[pairs["linked"] == 1]
    # C:1-C:2 (O:1); C:2-C:4 is 510 days apart, beyond the 365-day threshold
    assert linked[["i1", "i2"]].values.tolist() == [[0, 1]]
    assert linked["weight"].tolist() == [1.0]
    group = cl.crime_groups(cl.series_data(crimes, offenders), len(crimes))
    assert group[0] == group[1] == group[3] != group[2]
    unlinked = pairs[pairs["linked"] == 0]
    assert len(unlinked) and (group[unlinked["i1"]] != group[unlinked["i2"]]).all()
    assert (unlinked["i1"] < unlinked["i2"]).all()
    again = cl.make_pairs(crimes, offenders, thres=365, m=4, seed=0)
    pd.testing.assert_frame_equal(pairs, again)


def test_evidence_matches_compare_crimes_on_exact_times():
    crimes = crimes_frame()
    pairs = pd.DataFrame({"i1": [2, 0], "i2": [2, 3]})
    E = cl.evidence(crimes, pairs, niters=100)
    assert E["spatial"].iloc[1] == 0.0  # same place
    assert E["temporal"].iloc[0] == 0.0 and E["tod"].iloc[0] == 0.0  # a point against itself
    # C:1 (Wed 23:55 + up to 4.7 h) vs C:4 (Wed 10:00 + up to 2 h): ~511 days apart
    assert 510 < E["temporal"].iloc[1] < 512
    # MO2 both "a", MO3 both "J"; missing MO on one side is a non-match
    assert E[["MO1", "MO2", "MO3"]].iloc[1].tolist() == [1, 1, 1]


def test_cut_include_lowest_and_outside_breaks():
    breaks = np.array([0.0, 1.0, 2.0, 4.0])
    got = cl.bin_index(np.array([0.0, 0.5, 1.0, 1.0001, 4.0, 4.1, -0.1, np.nan]), breaks)
    assert got.tolist() == [0, 0, 0, 1, 2, -1, -1, -1]


def test_naive_bayes_scores_the_linked_like_pairs_higher():
    rng = np.random.default_rng(0)
    n = 400
    y = (np.arange(n) < 40).astype(int)
    X = pd.DataFrame(
        {
            "spatial": np.where(y == 1, rng.uniform(0, 1, n), rng.uniform(0.5, 10, n)),
            "temporal": rng.uniform(0, 300, n),  # uninformative
            "tod": rng.uniform(0, 12, n),
            "dow": rng.uniform(0, 3.5, n),
            "MO1": np.where(y == 1, 1, rng.integers(0, 2, n) * (rng.random(n) < 0.2)),
        }
    )
    weight = np.where(y == 1, 1 / 40, 1.0)
    nb = cl.HistogramNaiveBayes().fit(X, y, weight)
    score = nb.decision_function(X)
    assert score[y == 1].mean() > score[y == 0].mean() + 2
    # outside the training range a component says nothing (Bayes factor 1)
    far = X.iloc[:1].assign(spatial=1e6, temporal=1e6, tod=1e6, dow=1e6, MO1=7)
    assert nb.decision_function(far)[0] == pytest.approx(0.0)


def test_shrinkage_gives_probabilities_and_pulls_towards_uniform():
    counts = np.array([10.0, 0.0, 0.0, 0.0])
    loose, tight = cl.shrunk_probabilities(counts, 3.5), cl.shrunk_probabilities(counts, 1.5)
    assert loose.sum() == pytest.approx(1.0) and tight.sum() == pytest.approx(1.0)
    assert tight[1] > loose[1] > 0  # fewer degrees of freedom: closer to uniform


def test_peer_runs_only_where_both_windows_have_zero_width_or_neither():
    class Encoded:
        start_s = np.array([0.0, 0.0, 10.0])
        end_s = np.array([0.0, 5.0, 10.0])  # point, span, point

    runs = peer_runs(Encoded, np.array([0, 0, 1, 1]), np.array([2, 1, 1, 2]))
    assert runs.tolist() == [True, False, True, False]
