"""A crime type with no clean pattern: refused with a reason, never an IndexError.

The contract allows an empty ``patterns`` table, and sealing can strip every membership of
a type. Then no positive pair exists, the forest never sees class 1, and every place that
reads the class-1 probability must score 0, while ``retrain`` refuses the model (exit 1,
an MLflow run with its reasons, never a version).
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from typer.testing import CliRunner

from sanitizer._retrain import MSG_NOT_JUDGED, _Incremental
from sanitizer.certify import ModelStore
from sanitizer.cli import app
from sanitizer.lineage import run_checks
from sanitizer.registry import Registry, build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import write_tables
from sanitizer.train import (
    HistoryIndex,
    PatternPipeline,
    ShardedForest,
    load_pattern_config,
    pattern_members,
    rebuild,
    score_pairs,
)
from sanitizer.train._pattern import (
    MSG_NO_MEMBERSHIPS,
    MSG_NO_TEST_PATTERNS,
    MSG_NO_TRAINING_PAIRS,
    _held_out,
    _positive_proba,
)
from sanitizer.train._query import _positive_scores

AS_OF = date(2026, 6, 1)
TREES = 8


def snapshot_fn(tables):
    return build_snapshot(tables, AS_OF, "strict")


@pytest.fixture(scope="module")
def snapshot(tiny_tables):
    return snapshot_fn(tiny_tables)


@pytest.fixture(scope="module")
def no_patterns(tiny_tables):
    """The tiny world with its patterns table cut to the header (valid input)."""
    return tiny_tables.replace(patterns=tiny_tables["patterns"].iloc[0:0])


@pytest.fixture(scope="module")
def trained(tiny_tables, snapshot):
    """A burglary pipeline, its training set on the full world and a model fitted on it."""
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    training = pipeline.build(tiny_tables, snapshot)
    return pipeline, training, pipeline.fit(training)


@pytest.fixture(scope="module")
def positive_free(no_patterns, snapshot):
    """A sharded forest fitted without a single positive pair (no rows at all)."""
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    model = pipeline.fit(pipeline.build(no_patterns, snapshot))
    assert isinstance(model, ShardedForest) and len(model.classes_) == 0
    return model


def patterns_split(tables, side: str):
    """``tables`` keeping only the patterns the pipeline holds out (``test``) or trains on."""
    patterns = tables["patterns"]
    ids = patterns["PATTERN_ID"].to_numpy(dtype=object).astype(str)
    held = _held_out(ids, float(load_pattern_config()["sampling"]["test_fraction"]), 0)
    return tables.replace(patterns=patterns[held if side == "test" else ~held])


# --- the reason -----------------------------------------------------------------------------
@pytest.mark.parametrize("crime_type", ["burglary", "robbery", "grand-larceny"])
def test_no_pattern_builds_an_empty_training_set_and_names_the_reason(
    no_patterns, snapshot, crime_type
):
    pipeline = PatternPipeline(crime_type, n_estimators=TREES)
    training = pipeline.build(no_patterns, snapshot)
    assert len(training) == 0
    expected = MSG_NO_MEMBERSHIPS.format(crime_type=crime_type, ky_cd=pipeline.ky_cd)
    assert pipeline.insufficient_data(training) == expected
    assert expected.startswith(f"no pattern memberships for {crime_type}: nothing to learn from")


def test_a_world_with_patterns_on_both_sides_has_no_such_reason(trained):
    pipeline, training, _ = trained
    assert pipeline.insufficient_data(training) is None


def test_only_held_out_patterns_leave_nothing_to_learn(tiny_tables, snapshot):
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    tables = patterns_split(tiny_tables, "test")
    training = pipeline.build(tables, snapshot)
    _, members = pattern_members(sanitize(tables, snapshot).tables, pipeline.ky_cd)
    n = members["PATTERN_ID"].nunique()
    assert n > 0 and (training.y == 1).any()  # test positives, no training one
    assert pipeline.insufficient_data(training) == MSG_NO_TRAINING_PAIRS.format(
        crime_type="burglary", n=n
    )
    model = pipeline.fit(training)
    assert not np.any(pipeline.predict(model, training))


def test_only_training_patterns_leave_nothing_to_judge_on(tiny_tables, snapshot):
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    tables = patterns_split(tiny_tables, "train")
    training = pipeline.build(tables, snapshot)
    n = len(training.components["sampler"].train_patterns_)
    assert n > 0
    assert pipeline.insufficient_data(training) == MSG_NO_TEST_PATTERNS.format(
        crime_type="burglary", n=n
    )


# --- scoring a model that never saw class 1 ---------------------------------------------------
def test_a_forest_that_never_saw_class_1_scores_zero(trained, positive_free):
    pipeline, training, model = trained
    X = training.X.iloc[:50]
    negatives_only = RandomForestClassifier(n_estimators=4, random_state=0)
    negatives_only.fit(X, np.zeros(len(X), dtype=np.int8))
    for forest in (negatives_only, positive_free):
        assert np.array_equal(_positive_proba(forest, X), np.zeros(len(X)))
        assert np.array_equal(_positive_scores(forest, X), np.zeros(len(X)))
    assert np.array_equal(pipeline.predict(positive_free, training), np.zeros(len(training)))
    # a model that saw both classes is scored exactly as before
    assert np.array_equal(pipeline.predict(model, training), model.predict_proba(training.X)[:, 1])


def test_rebuild_and_the_query_score_zero_with_such_a_model(
    trained, positive_free, tiny_tables, snapshot
):
    pipeline, training, _ = trained
    featurizer = training.components["featurizer"]
    complaints, members = pattern_members(sanitize(tiny_tables, snapshot).tables, pipeline.ky_cd)
    encoded = featurizer.encode(complaints)
    left, right = np.zeros(5, np.int64), np.arange(1, 6)
    assert np.array_equal(score_pairs(positive_free, featurizer, encoded, left, right), np.zeros(5))
    sets = members.rename(columns={"PATTERN_ID": "SET_ID"})[["SET_ID", "CMPLNT_NUM"]]
    result = rebuild(positive_free, featurizer, complaints, sets)
    assert result.n_sets > 0 and 0.0 <= result.summary()["partial_rebuild"] <= 1.0
    top = HistoryIndex(featurizer, complaints).query(positive_free, complaints.iloc[[-1]], k=5)
    assert len(top) == 5 and not top["score"].any()


# --- the lineage checks and the incremental retrain -------------------------------------------
def test_the_lineage_checks_run_on_a_type_without_patterns(no_patterns, snapshot):
    pipeline = PatternPipeline("grand-larceny", n_estimators=TREES)
    result = run_checks(pipeline, no_patterns, snapshot, snapshot_fn)
    assert result.passed, result.to_dict()
    assert len(result.training) == 0


def test_an_incremental_retrain_that_loses_every_pattern_is_checked_then_named(
    trained, no_patterns, snapshot
):
    """``events apply`` retrains from the previous forest: all its shards go, nothing crashes."""
    pipeline, _, previous = trained
    incremental = _Incremental(PatternPipeline("burglary", n_estimators=TREES), previous)
    result = run_checks(incremental, no_patterns, snapshot, snapshot_fn)
    assert result.passed, result.to_dict()
    fitted = [k for k, forest in enumerate(previous.estimators_) if forest is not None]
    assert incremental.affected == fitted
    assert all(forest is None for forest in result.model.estimators_)
    assert incremental.insufficient_data(result.training) == MSG_NO_MEMBERSHIPS.format(
        crime_type="burglary", ky_cd="107"
    )


# --- the command: a recorded refusal ----------------------------------------------------------
def test_retrain_refuses_a_type_without_patterns_exit_1(tmp_path, no_patterns, model_home):
    data = tmp_path / "headeronly"
    write_tables(no_patterns, data, "csv")
    assert (data / "patterns.csv").read_text().count("\n") == 1  # the header alone
    args = ["retrain", "patternizr", "--crime-type", "grand-larceny", "--data", data]
    args += ["--home", model_home.path, "--as-of", AS_OF.isoformat(), "--trees", TREES, "--json"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    payload = json.loads(result.stdout)
    reason = MSG_NO_MEMBERSHIPS.format(crime_type="grand-larceny", ky_cd="109")
    assert payload["certified"] is False
    assert payload["model_uri"] is None and payload["version"] is None
    assert payload["gates"]["quality"] == {"passed": False, "detail": reason}
    assert payload["gates"]["fairness"] == {"passed": False, "detail": MSG_NOT_JUDGED}
    assert all(payload["gates"][g]["passed"] for g in ("provenance", "invariance", "fitted_state"))
    assert f"quality gate failed: {reason}" in payload["reasons"]
    store = ModelStore.for_home(model_home)
    assert store.versions("patternizr-grand-larceny") == []
    run = store.client.get_run(payload["run_id"])
    assert run.data.tags["sanitizer.outcome"] == "refused"
    assert json.loads(run.data.tags["sanitizer.refusal_reasons"]) == payload["reasons"]
    report = store.read_json(payload["run_id"], "fairness/fairness_report.json")
    assert report["judged"] is False and report["reason"] == reason
    audit = Registry(model_home).audit
    assert audit.details("MODEL_REFUSED")[-1]["reasons"] == payload["reasons"]
    assert audit.entries("MODEL_CERTIFIED") == []


def test_evaluate_names_a_type_without_patterns_instead_of_crashing(tmp_path, no_patterns):
    """``evaluate`` ranks held-out patterns; with none it says which type and why, exit 2,
    and writes no report (it used to fail deep in the fairness table on zero queries)."""
    data = tmp_path / "headeronly"
    write_tables(no_patterns, data, "csv")
    out = tmp_path / "evaluation"
    args = ["evaluate", "--model", "patternizr", "--crime-type", "grand-larceny", "--data", data]
    args += ["--out", out, "--as-of", AS_OF.isoformat(), "--trees", TREES, "--json"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    reason = MSG_NO_MEMBERSHIPS.format(crime_type="grand-larceny", ky_cd="109")
    message = json.loads(result.stdout)["error"]
    assert message.startswith("cannot evaluate patternizr-grand-larceny") and reason in message
    assert not out.exists() or not any(out.iterdir())
