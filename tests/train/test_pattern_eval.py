"""Rebuild-rate evaluation: the metric definitions on a hand-made history, then tiny data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer.features import FAMILIES, PairFeaturizer
from sanitizer.registry import build_snapshot
from sanitizer.tables import make_frame
from sanitizer.train import (
    PUBLISHED,
    PatternPipeline,
    evaluate_pattern_pipeline,
    quality_gate,
    rank_history,
    rebuild,
)


class NearestFirst:
    """A stand-in model: the closer the pair, the higher the score."""

    def predict_proba(self, X):
        score = 1.0 / (1.0 + X["distance_m"].to_numpy())
        return np.c_[1 - score, score]


def history():
    rows = []
    # set A: three complaints at one corner; set B: two, far apart (B cannot rebuild)
    for i, (lat, day) in enumerate(
        [(40.70, 1), (40.7001, 5), (40.7002, 9), (40.80, 3), (40.60, 20)]
    ):
        rows.append(
            {
                "CMPLNT_NUM": f"{i:03d}",
                "CMPLNT_FR_DT": f"2022-01-{day:02d}",
                "CMPLNT_FR_TM": "12:00:00",
                "Latitude": lat,
                "Longitude": -73.95,
                "KY_CD": "107",
                "NARRATIVE": "TEXT",
            }
        )
    # filler complaints between the two B members
    for j in range(20):
        rows.append(
            {
                "CMPLNT_NUM": f"9{j:02d}",
                "CMPLNT_FR_DT": "2022-01-10",
                "CMPLNT_FR_TM": "12:00:00",
                "Latitude": 40.62 + j * 0.001,
                "Longitude": -73.95,
                "KY_CD": "107",
                "NARRATIVE": "TEXT",
            }
        )
    return make_frame("complaints", rows)


def test_rebuild_definitions():
    complaints = history()
    featurizer = PairFeaturizer(min_df=1).fit(complaints)
    sets = pd.DataFrame(
        {"SET_ID": ["A", "A", "A", "B", "B"], "CMPLNT_NUM": ["000", "001", "002", "003", "004"]}
    )
    result = rebuild(NearestFirst(), featurizer, complaints, sets, recall_at=(10, 50))
    per_set = result.per_set.set_index("SET_ID")
    assert per_set.loc["A", "hits_k"] == 2 and per_set.loc["A", "size"] == 3
    assert per_set.loc["B", "hits_k"] == 0 and per_set.loc["B", "hits_10"] == 0
    assert per_set.loc["B", "recall_at_50"] == 1.0
    summary = result.summary()
    assert summary["perfect_rebuild"] == 0.5 and summary["partial_rebuild"] == 0.5
    assert summary["recall_at_10"] == 0.5 and summary["recall_at_50"] == 1.0
    gate = quality_gate(result, {"gates": {"partial_rebuild_min": 0.5}})
    assert gate["passed"] and gate["sets"] == 2


def test_rebuild_can_keep_each_querys_recommendations_and_pool():
    complaints = history()
    featurizer = PairFeaturizer(min_df=1).fit(complaints)
    sets = pd.DataFrame(
        {"SET_ID": ["A", "A", "A", "B", "B"], "CMPLNT_NUM": ["000", "001", "002", "003", "004"]}
    )
    result = rebuild(NearestFirst(), featurizer, complaints, sets, keep_top=2)
    plain = rebuild(NearestFirst(), featurizer, complaints, sets)
    pd.testing.assert_frame_equal(result.per_set, plain.per_set)  # nothing else changes
    assert plain.recommended is None and plain.pools is None
    assert result.queries["SEED"].tolist() == ["002", "004"]  # the latest members
    top = result.recommended[result.recommended["SET_ID"] == "A"]
    assert top["CMPLNT_NUM"].tolist() == ["001", "000"] and top["rank"].tolist() == [1, 2]
    assert top["target"].all() and (np.diff(top["score"]) <= 0).all()
    assert not result.recommended.loc[result.recommended["SET_ID"] == "B", "target"].any()
    pools = result.pools.groupby("SET_ID").size()
    assert pools.to_dict() == plain.per_set.set_index("SET_ID")["candidates"].to_dict()
    assert "004" not in set(result.pools.loc[result.pools["SET_ID"] == "B", "CMPLNT_NUM"])


def test_history_window_looks_back_from_the_latest_member():
    complaints = history()
    featurizer = PairFeaturizer(min_df=1).fit(complaints)
    sets = pd.DataFrame({"SET_ID": ["A", "A"], "CMPLNT_NUM": ["000", "002"]})
    result = rebuild(NearestFirst(), featurizer, complaints, sets, history_days=3)
    row = result.per_set.iloc[0]
    assert row["in_history"] == 0 and row["hits_k"] == 0  # day 1 is outside 3 days of day 9


@pytest.fixture(scope="module")
def evaluation(tiny_tables, tiny_world):
    snapshot = build_snapshot(tiny_tables, date(2026, 6, 1), "strict")
    pipeline = PatternPipeline("burglary", n_estimators=8)
    return evaluate_pattern_pipeline(
        pipeline, tiny_tables, snapshot, truth_dir=tiny_world / "truth"
    )


def test_evaluation_on_tiny(evaluation):
    assert set(evaluation.results) == {
        "sanitized/patterns",
        "sanitized/truth",
        "raw/patterns",
        "raw/truth",
        "sanitized+blocking/patterns",
    }
    table = evaluation.table()
    assert table.iloc[-1]["perfect_rebuild"] == PUBLISHED["perfect_rebuild"]
    for name, result in evaluation.results.items():
        summary = result.summary()
        assert summary["sets"] > 0, name
        for key in ("perfect_rebuild", "partial_rebuild", "recall_at_10", "recall_at_50"):
            assert 0.0 <= summary[key] <= 1.0, (name, key)
        assert summary["perfect_rebuild"] <= summary["partial_rebuild"]
        assert summary["recall_at_10"] <= summary["recall_at_50"]
    # both models rebuild the same held-out patterns
    sanitized = evaluation.results["sanitized/patterns"].per_set["SET_ID"]
    assert sanitized.equals(evaluation.results["raw/patterns"].per_set["SET_ID"])
    assert (
        evaluation.figures["raw"]["train_positives"]
        >= evaluation.figures["sanitized"]["train_positives"]
    )
    assert set(evaluation.gate) >= {"passed", "partial_rebuild", "threshold"}
    assert evaluation.to_dict()["published"] == PUBLISHED
    blocked = evaluation.results["sanitized+blocking/patterns"].per_set
    full = evaluation.results["sanitized/patterns"].per_set
    assert (blocked["candidates"] <= full["candidates"]).all()


def test_rank_history_explains_each_family():
    complaints = history()
    featurizer = PairFeaturizer(min_df=1).fit(complaints)
    query = complaints.iloc[[2]]
    top = rank_history(NearestFirst(), featurizer, query, complaints, k=3)
    # nearest first; never itself, never a later complaint (the 9xx filler is on day 10)
    assert top["CMPLNT_NUM"].tolist() == ["001", "000", "003"]
    assert top["rank"].tolist() == [1, 2, 3]
    assert {f"sim_{f}" for f in FAMILIES} <= set(top.columns)
    assert top["sim_location"].iloc[0] == 1.0  # the closest candidate of all
    blocked = rank_history(NearestFirst(), featurizer, query, complaints, k=3, block_m=100)
    assert blocked["CMPLNT_NUM"].tolist() == ["001", "000"]
