"""HistoryIndex: the query API a serving process holds (rank, explain, block, measure loss)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from sanitizer._errors import BadInput
from sanitizer.features import FAMILIES, PairFeaturizer
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import make_frame
from sanitizer.train import (
    HistoryIndex,
    PatternPipeline,
    ShardedForest,
    pattern_members,
    rank_history,
)
from sanitizer.train import _query as query_module
from sanitizer.train._query import MSG_DUPLICATE_KEYS, MSG_ONE_COMPLAINT, _positive_scores

COLUMNS = [
    "rank",
    "CMPLNT_NUM",
    "score",
    *[f"sim_{family}" for family in FAMILIES],
    "distance_m",
    "days_apart",
    "narrative_cosine",
]


class LatestFirst:
    """A stand-in model: the fewer days apart, the higher the score (ignores distance)."""

    def predict_proba(self, X):
        score = 1.0 / (1.0 + X["days_apart"].to_numpy())
        return np.c_[1 - score, score]


def complaint(key, day, lat, month=1):
    return {
        "CMPLNT_NUM": key,
        "CMPLNT_FR_DT": f"2022-{month:02d}-{day:02d}",
        "CMPLNT_FR_TM": "12:00:00",
        "Latitude": lat,
        "Longitude": -73.95,
        "KY_CD": "107",
        "NARRATIVE": "FORCED DOOR TOOK LAPTOP",
    }


def corner_history():
    """Query Q on Jan 20 at 40.70; candidates near (~30 m) or far (~5.5 km) on other days."""
    rows = [complaint("Q", 20, 40.70)]
    rows += [complaint(f"N{d:02d}", d, 40.7003) for d in (18, 10, 2)]  # near
    rows += [complaint(f"F{d:02d}", d, 40.75) for d in (19, 17, 16, 5)]  # far
    rows += [complaint("LATER", 25, 40.7001)]  # after the query: never a candidate
    return make_frame("complaints", rows)


@pytest.fixture(scope="module")
def corner():
    history = corner_history()
    featurizer = PairFeaturizer(min_df=1).fit(history)
    return history, featurizer, HistoryIndex(featurizer, history)


def test_ranks_the_window_before_the_query_without_itself(corner):
    history, _, index = corner
    query = history[history["CMPLNT_NUM"] == "Q"]
    top = index.query(LatestFirst(), query, k=20)
    assert list(top.columns) == COLUMNS
    assert top["CMPLNT_NUM"].tolist() == ["F19", "N18", "F17", "F16", "N10", "F05", "N02"]
    assert top["rank"].tolist() == list(range(1, 8))
    assert top["days_apart"].iloc[0] == pytest.approx(1.0)
    assert top["sim_date_time"].iloc[0] > top["sim_date_time"].iloc[-1]
    narrow = index.query(LatestFirst(), query, k=20, history_days=4)
    assert narrow["CMPLNT_NUM"].tolist() == ["F19", "N18", "F17", "F16"]


def test_a_new_complaint_is_ranked_against_the_whole_window(corner):
    history, _, index = corner
    new = history[history["CMPLNT_NUM"] == "Q"].assign(CMPLNT_NUM="NEW")
    top = index.query(LatestFirst(), new, k=3)
    assert top["CMPLNT_NUM"].tolist() == ["Q", "F19", "N18"]  # Q is history now: day 0 gap


def test_blocking_drops_far_candidates_and_reports_what_it_loses(corner):
    history, _, index = corner
    query = history[history["CMPLNT_NUM"] == "Q"]
    full = index.query(LatestFirst(), query, k=4)
    blocked = index.query(LatestFirst(), query, k=4, block_m=1000.0)
    assert full["CMPLNT_NUM"].tolist() == ["F19", "N18", "F17", "F16"]
    assert blocked["CMPLNT_NUM"].tolist() == ["N18", "N10", "N02"]
    sets = pd.DataFrame(
        {
            "SET_ID": ["S", "S", "S", "S", "OTHER", "OTHER"],
            # N10 near, F05 far, LATER outside the window; OTHER does not hold Q
            "CMPLNT_NUM": ["Q", "N10", "F05", "LATER", "N02", "F16"],
        }
    )
    loss = index.blocking_recall(query, 1000.0, model=LatestFirst(), k=4, sets=sets)
    assert loss["top_k"] == 4 and loss["top_k_lost"] == 0.75  # F19, F17, F16 of 4
    assert loss["pattern_targets"] == 2 and loss["pattern_lost"] == 0.5  # F05 of N10, F05
    assert loss["candidates_mean"] == 7 and loss["candidates_blocked_mean"] == 3
    geometric = index.blocking_recall(query, 1000.0, sets=sets)
    assert geometric["top_k_lost"] is None and geometric["pattern_lost"] == 0.5


def test_one_complaint_per_query_and_unique_history_keys(corner):
    history, featurizer, index = corner
    with pytest.raises(BadInput, match="takes one complaint") as caught:
        index.query(LatestFirst(), history.iloc[:2])
    assert str(caught.value) == MSG_ONE_COMPLAINT.format(n=2)
    with pytest.raises(BadInput, match="got 0 rows"):
        index.query(LatestFirst(), history.iloc[:0])
    with pytest.raises(BadInput, match="k must be a positive"):
        index.query(LatestFirst(), history.iloc[:1], k=0)
    with pytest.raises(BadInput, match="duplicated CMPLNT_NUM"):
        HistoryIndex(featurizer, pd.concat([history, history.iloc[:1]]))
    assert "duplicated" in MSG_DUPLICATE_KEYS
    with pytest.raises(BadInput, match="lack column"):
        index.query(LatestFirst(), history.iloc[:1].drop(columns="Latitude"))
    with pytest.raises(BadInput, match="no CMPLNT_FR_DT"):
        index.query(LatestFirst(), history.iloc[:1].assign(CMPLNT_FR_DT=pd.NaT))


@pytest.fixture(scope="module")
def trained(tiny_tables):
    snapshot = build_snapshot(tiny_tables, date(2026, 6, 1), "strict")
    pipeline = PatternPipeline("burglary", n_estimators=8)
    training = pipeline.build(tiny_tables, snapshot)
    # any fitted classifier over the pair features serves; a plain forest keeps this test
    # about the index, not about how the pipeline trains
    model = RandomForestClassifier(n_estimators=8, min_samples_leaf=5, random_state=0)
    model.fit(training.X, training.y)
    history, _ = pattern_members(sanitize(tiny_tables, snapshot).tables, pipeline.ky_cd)
    return model, training.components["featurizer"], history


def brute_force(model, featurizer, query, history, k, history_days, block_m=None):
    """Every candidate scored one pair at a time from the plain tables, then sorted."""
    moment = pd.to_datetime(history["CMPLNT_FR_DT"]) + pd.to_timedelta(history["CMPLNT_FR_TM"])
    at = moment[history["CMPLNT_NUM"] == query["CMPLNT_NUM"].iloc[0]].iloc[0]
    keep = (moment <= at) & (moment >= at - pd.Timedelta(days=history_days))
    keep &= history["CMPLNT_NUM"] != query["CMPLNT_NUM"].iloc[0]
    candidates = history[keep.to_numpy()].reset_index(drop=True)
    both = pd.concat([query, candidates], ignore_index=True)
    X = featurizer.transform(both, np.zeros(len(candidates), int), np.arange(1, len(both)))
    if block_m is not None:
        inside = (X["distance_m"] <= block_m).to_numpy()
        X, candidates = X[inside], candidates[inside]
    score = model.predict_proba(X)[:, 1]
    ranked = pd.DataFrame({"CMPLNT_NUM": candidates["CMPLNT_NUM"].to_numpy(), "score": score})
    return ranked.sort_values(["score", "CMPLNT_NUM"], ascending=[False, True]).head(k)


@pytest.mark.parametrize("block_m", [None, 2000.0])
def test_same_ranking_as_scoring_every_pair(trained, block_m):
    model, featurizer, history = trained
    index = HistoryIndex(featurizer, history.sample(frac=1.0, random_state=0))
    queries = history.iloc[np.linspace(len(history) // 2, len(history) - 1, 6).astype(int)]
    many = index.query_many(model, queries, k=15, history_days=400, block_m=block_m)
    assert many["query"].unique().tolist() == queries["CMPLNT_NUM"].tolist()
    for i in range(len(queries)):
        query = queries.iloc[[i]]
        expected = brute_force(model, featurizer, query, history, 15, 400, block_m)
        got = index.query(model, query, k=15, history_days=400, block_m=block_m)
        assert len(got) > 0
        assert got["CMPLNT_NUM"].tolist() == expected["CMPLNT_NUM"].tolist()
        np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-6)
        mine = many[many["query"] == query["CMPLNT_NUM"].iloc[0]]
        pd.testing.assert_frame_equal(mine.drop(columns="query").reset_index(drop=True), got)
    wrapped = rank_history(model, featurizer, queries.iloc[[0]], history, 15, 400, block_m)
    pd.testing.assert_frame_equal(wrapped, index.query(model, queries.iloc[[0]], 15, 400, block_m))


def test_explanations_are_percentiles_among_the_scored_candidates(trained):
    model, featurizer, history = trained
    index = HistoryIndex(featurizer, history)
    query = history.iloc[[len(history) - 1]]
    top = index.query(model, query, k=len(history))
    sims = top[[f"sim_{family}" for family in FAMILIES]].to_numpy()
    assert ((sims > 0) & (sims <= 1)).all()
    # the closest candidate is the best located one; distance percentiles follow distance
    closest = top["distance_m"].idxmin()
    assert top.loc[closest, "sim_location"] == top["sim_location"].max()
    assert top["narrative_cosine"].between(0, 1.0001).all()


def test_forest_scores_are_predict_proba_bit_for_bit(trained, monkeypatch):
    model, featurizer, history = trained
    index = HistoryIndex(featurizer, history)
    query = history.iloc[[len(history) - 1]]
    encoded = featurizer.encode(query)
    rows = index._candidates(encoded, 0, 1095, None)
    X = featurizer.pair_features(
        encoded, np.zeros(len(rows), int), rows, right_encoded=index._encoded
    )
    sharded = ShardedForest(RandomForestClassifier(n_estimators=12), n_shards=4).fit(
        X, (X["distance_m"] < 2000).to_numpy(int)
    )
    for forest in (model, sharded):
        assert np.array_equal(_positive_scores(forest, X), forest.predict_proba(X)[:, 1])
    # thread chunks change nothing
    monkeypatch.setattr(query_module, "_MIN_CHUNK", 16)
    threaded = HistoryIndex(featurizer, history, n_jobs=2)
    pd.testing.assert_frame_equal(
        threaded.query(model, query, k=25), index.query(model, query, k=25)
    )
