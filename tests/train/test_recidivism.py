"""Recidivism: the rule label, the pipeline's lineage, determinism, config and scoring."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer.lineage import fingerprint, run_checks
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import make_frame
from sanitizer.train import (
    RecidivismPipeline,
    holdout_mask,
    load_recidivism_config,
    recidivist_label,
)

AS_OF = date(2026, 6, 1)


def _arrests(rows):
    return make_frame(
        "arrests",
        [
            {"ARREST_KEY": f"A{i}", "PERSON_ID": p, "ARREST_DATE": d}
            for i, (p, d) in enumerate(rows)
        ],
    )


# --- the rule label ------------------------------------------------------------------------
def test_three_arrests_within_two_years_make_a_recidivist():
    arrests = _arrests(
        [
            ("P1", "2020-01-01"),
            ("P1", "2020-06-01"),
            ("P1", "2021-12-31"),  # third inside two years of the first
            ("P2", "2020-01-01"),
            ("P2", "2020-06-01"),
            ("P2", "2022-01-01"),  # exactly two years later: outside
            ("P3", "2019-01-01"),
            ("P3", "2023-01-01"),
            ("P3", "2023-02-01"),
            ("P3", "2023-03-01"),  # the last three qualify
            ("P4", "2021-01-01"),
            ("P4", "2021-01-01"),
            ("P4", "2026-01-01"),  # after as_of: not counted
        ]
    )
    label = recidivist_label(arrests, "2025-06-01")
    assert label.to_dict() == {"P1": True, "P2": False, "P3": True, "P4": False}


def test_rule_is_configurable_and_reports_unknown_persons_as_false():
    arrests = _arrests([("P1", "2020-01-01"), ("P1", "2022-06-01"), ("P2", "2020-01-01")])
    two_in_three = recidivist_label(
        arrests, "2025-01-01", min_arrests=2, window_years=3, person_ids=["P2", "P1", "P9"]
    )
    assert two_in_three.to_dict() == {"P2": False, "P1": True, "P9": False}
    assert not recidivist_label(arrests, "2025-01-01", min_arrests=2, window_years=2)["P1"]
    with pytest.raises(ValueError, match="min_arrests"):
        recidivist_label(arrests, "2025-01-01", min_arrests=0)


# --- config and split ------------------------------------------------------------------------
def test_config_comes_from_models_toml():
    config = load_recidivism_config()
    assert config["rule"] == {"min_arrests": 3, "window_years": 2}
    assert config["data"]["cutoff"] == "2023-06-01"
    assert load_recidivism_config(rule={"min_arrests": 4})["rule"]["min_arrests"] == 4
    with pytest.raises(FileNotFoundError):
        load_recidivism_config("/nonexistent/recidivism.toml")


def test_holdout_depends_on_the_person_only():
    ids = np.array([f"P{i:05d}" for i in range(2000)], dtype=object)
    mask = holdout_mask(ids, 0.3, seed=0)
    assert 0.25 < mask.mean() < 0.35
    np.testing.assert_array_equal(holdout_mask(ids[::2], 0.3, seed=0), mask[::2])
    assert not np.array_equal(holdout_mask(ids, 0.3, seed=1), mask)


# --- the pipeline on tiny --------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tiny_tables):
    return tiny_tables, build_snapshot(tiny_tables, AS_OF, "strict")


@pytest.fixture(scope="module")
def checked(world):
    raw, snapshot = world
    pipeline = RecidivismPipeline(seed=0)
    return pipeline, run_checks(
        pipeline, raw, snapshot, lambda t: build_snapshot(t, AS_OF, "strict"), seed=0
    )


def test_run_checks_pass_on_tiny(checked):
    _, result = checked
    assert result.passed, result.to_dict()
    figures = result.results["invariance"].figures
    assert figures["model_identical"] and figures["probe_predictions_identical"]
    assert result.results["fitted_state"].figures["components"] == ["person_features"]


def test_population_excludes_people_with_only_excluded_arrests(world, checked):
    raw, snapshot = world
    _, result = checked
    population = set(result.training.row_keys["PERSON_ID"])
    records = snapshot.records
    usable = set(records.loc[~records["excluded"].astype(bool), "person_id"])
    only_excluded = set(records["person_id"]) - usable
    assert only_excluded, "the tiny world should have people whose arrests are all sealed"
    assert not population & only_excluded
    assert not any("RACE" in c.upper() or "SEX" in c.upper() for c in result.training.X.columns)


def test_training_is_deterministic(world, checked):
    pipeline, result = checked
    again = RecidivismPipeline(seed=0).fit(result.training)
    single = RecidivismPipeline(
        seed=0, config=load_recidivism_config(classifier={"n_jobs": 1})
    ).fit(result.training)
    assert fingerprint(again) == fingerprint(result.model) == fingerprint(single)
    np.testing.assert_array_equal(
        pipeline.predict(again, result.training), pipeline.predict(result.model, result.training)
    )
    other = RecidivismPipeline(seed=1).fit(result.training)
    assert fingerprint(other) != fingerprint(result.model)


def test_scorer_returns_risk_and_rule_label(world, checked):
    raw, snapshot = world
    pipeline, result = checked
    clean = sanitize(raw, snapshot).tables
    scores = pipeline.scorer(result.model, result.training).score(clean, as_of="2026-06-01")
    assert list(scores.columns) == ["PERSON_ID", "risk", "recidivist"]
    assert scores["risk"].between(0, 1).all()
    expected = recidivist_label(clean["arrests"], "2026-06-01", person_ids=scores["PERSON_ID"])
    assert scores["recidivist"].tolist() == expected.tolist()
    assert set(scores["PERSON_ID"]) <= set(clean["persons"]["PERSON_ID"])
    some = scores["PERSON_ID"].head(3).tolist()
    subset = pipeline.scorer(result.model, result.training).score(clean, "2026-06-01", some)
    assert subset["PERSON_ID"].tolist() == some


def test_holdout_auc_is_computed(world, checked):
    raw, snapshot = world
    pipeline, result = checked
    clean = sanitize(raw, snapshot).tables
    holdout = pipeline.holdout(clean, result.training)
    frame = holdout.frame
    assert set(frame.columns) >= {"race", "sex", "age_group", "borough", "y_true", "risk"}
    assert 0.5 < holdout.auc <= 1.0
    assert holdout.n_train + len(frame) == len(result.training)
    assert isinstance(frame["risk"], pd.Series)
