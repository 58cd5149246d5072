"""Patternizr's race test and the recall@k report for the pattern model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanitizer.fairness import (
    INSUFFICIENT,
    PatternFairnessReport,
    RaceTest,
    load_gates,
    recall_at_k,
)


def _pool(n_queries=40, size=20):
    rows = []
    for q in range(n_queries):
        races = ["BLACK"] * (size // 2) + ["WHITE"] * (size // 4) + ["ASIAN"] * (size // 4)
        rows += [{"query": f"Q{q}", "race": r} for r in races]
    return pd.DataFrame(rows)


def test_recommendations_matching_the_pool_pass():
    pool = _pool()
    # 4 recommendations per query in the pool's proportions (2 / 1 / 1)
    recommended = pd.DataFrame(
        [
            {"query": f"Q{q}", "race": r}
            for q in range(40)
            for r in ("BLACK", "BLACK", "WHITE", "ASIAN")
        ]
    )
    test = RaceTest(recommended, pool, n_samples=50, seed=0)
    table = test.table.set_index("race")
    assert table.loc["BLACK", "random_share"] == pytest.approx(0.5)
    assert table.loc["WHITE", "recommended_share"] == pytest.approx(0.25)
    assert test.max_abs_difference == pytest.approx(0.0)
    assert test.passed
    assert table.loc["BLACK", "random_low"] <= 0.5 <= table.loc["BLACK", "random_high"]


def test_skewed_recommendations_fail_and_small_races_get_no_verdict():
    pool = _pool()
    recommended = pd.DataFrame(
        [{"query": f"Q{q}", "race": "BLACK"} for q in range(40) for _ in range(4)]
        + [{"query": "Q0", "race": "OTHER"}]
    )
    pool = pd.concat([pool, pd.DataFrame([{"query": "Q0", "race": "OTHER"}])])
    test = RaceTest(recommended, pool, n_samples=20, seed=0)
    table = test.table.set_index("race")
    assert table.loc["OTHER", "status"] == INSUFFICIENT
    assert test.max_abs_difference > 0.4 and not test.passed
    # the sampling is seeded
    again = RaceTest(recommended, pool, n_samples=20, seed=0)
    pd.testing.assert_frame_equal(test.table, again.table)


def test_pool_must_cover_the_recommendations():
    pool = pd.DataFrame({"query": ["Q1"], "race": ["BLACK"]})
    recommended = pd.DataFrame({"query": ["Q1", "Q1"], "race": ["BLACK", "WHITE"]})
    with pytest.raises(ValueError, match="fewer pool rows than recommendations"):
        RaceTest(recommended, pool)


def test_recall_at_k_and_its_ratio_gate():
    assert recall_at_k([2, 4, 0], [1, 4, 3]) == pytest.approx(0.75)
    rng = np.random.default_rng(0)
    n = 200
    groups = pd.DataFrame({"race": np.where(np.arange(n) % 2 == 0, "BLACK", "WHITE")})
    relevant = np.full(n, 4)
    hits = np.where(groups["race"] == "BLACK", 2, 4)  # recall .5 vs 1.0: ratio .5
    race_test = RaceTest(
        pd.DataFrame({"query": ["Q"] * 40, "race": ["BLACK"] * 20 + ["WHITE"] * 20}),
        pd.DataFrame({"query": ["Q"] * 80, "race": ["BLACK"] * 40 + ["WHITE"] * 40}),
        n_samples=10,
    )
    report = PatternFairnessReport(
        groups, relevant, hits, race_test=race_test, partial_rebuild_rate=0.7, n_boot=30
    )
    ratio = report.disparities.set_index("dimension").loc["race"]
    assert ratio["value"] == pytest.approx(0.5)
    assert not report.gates["fairness"]["passed"] and report.gates["quality"]["passed"]
    fair = PatternFairnessReport(groups, relevant, np.full(n, 3), race_test=race_test, n_boot=30)
    assert fair.gates["fairness"]["passed"]
    # no rebuild rate given: the quality gate cannot pass silently
    assert not fair.gates["quality"]["passed"]
    loose = load_gates(patternizr={"fairness": {"min_recall_ratio": 0.4}})
    assert PatternFairnessReport(
        groups, relevant, hits, partial_rebuild_rate=0.6, gates=loose, n_boot=30
    ).passed
    assert rng is not None
