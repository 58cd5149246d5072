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
    stable_shard,
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
    assert result.results["fitted_state"].figures["components"] == [
        "person_assignment",
        "person_features",
        "sensitive_groups",
    ]


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
    raw, snapshot = world
    reseeded = RecidivismPipeline(seed=1)
    other = reseeded.fit(reseeded.build(raw, snapshot))
    assert fingerprint(other) != fingerprint(result.model)


def test_scorer_returns_risk_and_rule_label(world, checked):
    raw, snapshot = world
    pipeline, result = checked
    clean = sanitize(raw, snapshot).tables
    scores = pipeline.scorer(result.model, result.training).score(clean, as_of="2026-06-01")
    assert list(scores.columns) == [
        "PERSON_ID",
        "risk",
        "recidivist",
        "high_risk",
        "risk_threshold",
    ]
    assert scores["risk"].between(0, 1).all()
    assert (scores["risk_threshold"] == result.model.threshold_).all()
    assert scores["high_risk"].tolist() == (scores["risk"] >= result.model.threshold_).tolist()
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


# --- the decision threshold ----------------------------------------------------------------
def _without(training, rows):
    """``training`` without ``rows`` (positions)."""
    return training.take(np.setdiff1d(np.arange(len(training)), rows))


def test_the_threshold_is_fitted_without_the_held_out_persons(checked):
    """Changing or dropping every held-out person moves neither the forest nor the threshold."""
    from sanitizer.features import TrainingSet

    pipeline, result = checked
    training, model = result.training, result.model
    held = np.flatnonzero(pipeline.held_out(training))
    assert 0 < len(held) < len(training)
    assert np.isfinite(model.threshold_) and 0 < model.threshold_ < 1
    y = np.asarray(training.y).copy()
    y[held] = 1 - y[held]  # every held-out outcome flipped
    X = training.X.copy()
    X.iloc[held] = X.iloc[held[::-1]].to_numpy()  # and their histories shuffled
    scrambled = TrainingSet(X, y, training.row_keys, training.provenance, training.components)
    dropped = _without(training, held)
    for other in (scrambled, dropped):
        again = pipeline.fit(other)
        assert again.threshold_ == model.threshold_
        assert again.decision_ == model.decision_
        assert fingerprint(again) == fingerprint(model)
    # and the development persons do decide it
    moved = y.copy()
    moved[np.flatnonzero(~pipeline.held_out(training))[:40]] = 1
    changed = TrainingSet(
        training.X, moved, training.row_keys, training.provenance, training.components
    )
    assert fingerprint(pipeline.fit(changed)) != fingerprint(model)


def test_the_judged_model_is_the_certified_model(world, checked):
    """The model the gates judge on held-out persons is the one ``fit`` returns to certify."""
    raw, snapshot = world
    pipeline, result = checked
    holdout = pipeline.holdout(sanitize(raw, snapshot).tables, result.training)
    assert fingerprint(holdout.model) == fingerprint(result.model)
    assert holdout.threshold == result.model.threshold_
    frame = holdout.frame
    assert frame["y_pred"].tolist() == (frame["risk"] >= holdout.threshold).astype(int).tolist()
    decision = holdout.decision
    assert decision["validation_persons"] == holdout.n_train
    assert decision["dimension"] == "race" and decision["objective"] == "f1"


def test_the_threshold_is_in_the_fingerprint_and_refit_reproduces_it(checked):
    pipeline, result = checked
    model = result.model
    refitted, affected = pipeline.refit(result.training, model)
    assert len(affected) == 0  # same rows: no shard retrained, the threshold chosen again
    assert refitted.threshold_ == model.threshold_
    assert fingerprint(refitted) == fingerprint(model)
    import copy

    nudged = copy.copy(model)
    nudged.threshold_ = model.threshold_ + 1e-9
    assert fingerprint(nudged) != fingerprint(model)


def test_a_large_population_chooses_the_threshold_on_a_stable_sample(checked):
    """Above ``max_validation_persons`` the threshold is chosen on a hash sample of the
    development persons: the same persons whatever the row order, and a fitted model
    that stays deterministic and refits to the same fingerprint."""
    from sanitizer.train import PersonAssignment, validation_rows

    ids = pd.Series([f"P{i:05d}" for i in range(5000)])
    assignment = PersonAssignment(holdout_fraction=0.3, n_shards=16).fit()
    rows = validation_rows(assignment.transform(ids)["draw"], 1000)
    assert 800 < len(rows) < 1200
    shuffled = ids.sample(frac=1.0, random_state=1).reset_index(drop=True)
    again = validation_rows(assignment.transform(shuffled)["draw"], 1000)
    assert set(shuffled.iloc[again]) == set(ids.iloc[rows])
    assert len(validation_rows(assignment.transform(ids)["draw"], 5000)) == 5000

    pipeline, result = checked
    n_dev = int((~pipeline.held_out(result.training)).sum())
    config = load_recidivism_config(decision={"max_validation_persons": n_dev // 2})
    capped = RecidivismPipeline(config=config)
    model = capped.fit(result.training)
    assert model.decision_["validation_persons"] < n_dev
    assert fingerprint(capped.fit(result.training)) == fingerprint(model)
    again, affected = capped.refit(result.training, model)
    assert len(affected) == 0 and fingerprint(again) == fingerprint(model)


def _sealed(raw, snapshot, pipeline, training):
    """The raw tables with one OPEN arrest of a development person dismissed (sealed)."""
    development = training.row_keys.loc[~pipeline.held_out(training), "PERSON_ID"]
    records = snapshot.records
    candidates = records[(records["status"] == "OPEN") & records["person_id"].isin(development)]
    for key in candidates["arrest_key"].head(20):
        event = make_frame(
            "court_events",
            [
                {
                    "EVENT_ID": f"TEST-SEAL-{key}",
                    "ARREST_KEY": key,
                    "EVENT_TYPE": "DISPOSITION",
                    "EVENT_DATE": pd.Timestamp("2026-05-01"),
                    "SOURCE": "OCA",
                    "DISPOSITION": "DISMISSAL",
                    "ENTIRE_INSTRUMENT": True,
                }
            ],
        )
        sealed = raw.replace(court_events=pd.concat([raw["court_events"], event]))
        after = build_snapshot(sealed, AS_OF, "strict")
        if after.is_excluded(key):
            return sealed, after
    raise AssertionError("no OPEN arrest of a development person is sealed by a dismissal")


def test_a_refit_scores_only_its_refitted_shards_and_the_changed_rows(world, checked, monkeypatch):
    """Choosing the threshold again after a sealing needs every validation person's
    out-of-shard risk; the model keeps each shard's scores of them, so a refit scores
    the refitted shard, and the kept shards only the rows the sealing changed. The
    result is the full fit's, stored scores included."""
    from sanitizer.train import _recidivism

    raw, snapshot = world
    pipeline, result = checked
    model = result.model
    sealed, after = _sealed(raw, snapshot, pipeline, result.training)
    training = pipeline.build(sealed, after)
    full = pipeline.fit(training)
    scored = []
    original = _recidivism._shard_score

    def counting(forest, values):
        scored.append((id(forest), len(values)))
        return original(forest, values)

    monkeypatch.setattr(_recidivism, "_shard_score", counting)
    refitted, affected = pipeline.refit(training, model)
    assert fingerprint(refitted) == fingerprint(full)
    np.testing.assert_array_equal(refitted.validation_scores_, full.validation_scores_)
    assert 1 <= len(affected) < pipeline.n_shards
    n_rows = len(refitted.validation_rows_)
    kept = {id(f) for k, f in enumerate(model.estimators_) if k not in set(affected)}
    by_kept = [rows for forest, rows in scored if forest in kept]
    by_refitted = [rows for forest, rows in scored if forest not in kept]
    assert by_refitted == [n_rows] * len(affected)
    assert all(rows <= 5 for rows in by_kept), by_kept  # one person's rows at most
    # what the model keeps to do so names no person and holds no features
    persons = set(training.row_keys["PERSON_ID"].astype(str))
    for value in vars(refitted).values():
        if isinstance(value, np.ndarray) and value.dtype.kind in "UO":
            assert not persons & set(map(str, value.ravel().tolist()))
    assert refitted.validation_scores_.shape == (n_rows, pipeline.n_shards)


def test_the_split_shard_and_draw_are_made_once_at_build_and_bound_to_the_pipeline(checked):
    """The training set carries each person's split, shard and draw (so fitting hashes
    nothing); they are the documented hashes, and a pipeline with another seed or shard
    count refuses the set rather than fitting on a split it did not make."""
    pipeline, result = checked
    keys = result.training.row_keys
    ids = keys["PERSON_ID"].to_numpy(dtype=object)
    np.testing.assert_array_equal(pipeline.held_out(result.training), holdout_mask(ids, 0.3, 0))
    np.testing.assert_array_equal(pipeline.shards(result.training), stable_shard(ids, 16))
    assert keys["draw"].between(0.0, 1.0, inclusive="left").all()
    for other in (RecidivismPipeline(seed=1), RecidivismPipeline(config=load_recidivism_config(
        shards={"n_shards": 8}
    ))):  # fmt: skip
        with pytest.raises(ValueError, match="split and sharded with"):
            other.fit(result.training)


def test_the_decision_config_rejects_a_fixed_threshold():
    config = load_recidivism_config(decision={"threshold": 0.2})
    with pytest.raises(ValueError, match="threshold is fitted"):
        RecidivismPipeline(config=config).sensitive_groups()


def test_sensitive_groups_are_read_for_the_threshold_only(world, checked):
    raw, snapshot = world
    _, result = checked
    groups = result.training.components["sensitive_groups"]
    clean = sanitize(raw, snapshot).tables
    ids = result.training.row_keys["PERSON_ID"].head(5)
    persons = clean["persons"].set_index("PERSON_ID")
    assert groups.transform(ids).tolist() == persons.loc[ids.tolist(), "RACE"].tolist()
    assert groups.transform(["NO-SUCH-PERSON"]).tolist() == ["UNKNOWN"]
    assert not any("race" in c.lower() for c in result.training.X.columns)
    assert "risk" not in result.training.components  # nothing about groups is served


def test_out_of_shard_risk_leaves_each_rows_own_shard_out():
    from sklearn.ensemble import RandomForestClassifier

    from sanitizer.train import ShardedForest, out_of_shard_risk

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] + rng.normal(scale=0.5, size=200) > 0).astype(int).to_numpy()
    shard = np.repeat([0, 1], 100)
    model = ShardedForest(RandomForestClassifier(n_estimators=4), n_shards=2).fit(X, y, shard)
    risk = out_of_shard_risk(model, X, shard)
    other = [f.predict_proba(X)[:, 1] for f in model.estimators_]
    np.testing.assert_array_equal(risk[:100], other[1][:100])
    np.testing.assert_array_equal(risk[100:], other[0][100:])


def _synthetic(n=4000, gap=0.0, separation=0.25, seed=0):
    """Validation persons: two big groups whose negatives' risk differs by ``gap``."""
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.5, "A", "B")
    y = (rng.random(n) < 0.1).astype(int)
    risk = np.clip(0.1 + separation * y + rng.normal(scale=0.08, size=n), 0, 1)
    risk = risk + np.where((group == "A") & (y == 0), gap, 0.0)
    return risk, y, group


def test_select_threshold_maximises_f1_when_fairness_is_not_at_stake():
    from sanitizer.train import select_threshold

    risk, y, group = _synthetic()
    record = select_threshold(risk, y, group, n_holdout=1700)
    assert record["constraint_met"] and record["pass_probability"] >= 0.8
    best = max(
        (2 * ((risk >= t) & (y == 1)).sum() / ((risk >= t).sum() + y.sum()), t)
        for t in np.unique(np.quantile(risk, 1 - np.arange(1, 51) / 100, method="higher"))
    )
    assert record["threshold"] == best[1]
    assert record == select_threshold(risk, y, group, n_holdout=1700)  # seeded


def test_select_threshold_gives_up_recall_to_meet_equalized_odds():
    from sanitizer.train import select_threshold

    risk, y, group = _synthetic(gap=0.05, separation=0.1)

    def fpr_gap(threshold):
        flags = risk >= threshold
        a, b = (flags[(group == g) & (y == 0)].mean() for g in ("A", "B"))
        return abs(a - b)

    free = select_threshold(risk, y, group, n_holdout=1700, max_equalized_odds_difference=1.0)
    bound = select_threshold(risk, y, group, n_holdout=1700)
    assert fpr_gap(free["threshold"]) > 0.10  # the best-F1 threshold would fail the gate
    assert bound["constraint_met"] and bound["pass_probability"] >= 0.8
    assert bound["threshold"] > free["threshold"]
    assert bound["validation_recall"] < free["validation_recall"]
    assert fpr_gap(bound["threshold"]) < 0.10
    # an unattainable limit: no admissible candidate, the likeliest to pass is reported
    none = select_threshold(risk, y, group, n_holdout=1700, max_equalized_odds_difference=-1)
    assert not none["constraint_met"] and none["admissible"] == 0


def test_select_threshold_without_evidence_is_unconstrained():
    from sanitizer.train import select_threshold

    risk, y, group = _synthetic(n=300, gap=0.2)
    record = select_threshold(risk, y, group, n_holdout=50)
    assert record["pass_probability"] == 1.0  # no group of 30 at the held-out size: no verdict
    free = select_threshold(risk, y, group, n_holdout=50, max_equalized_odds_difference=1.0)
    assert record["threshold"] == free["threshold"]
    assert np.isnan(select_threshold([], [], [], n_holdout=1)["threshold"])
