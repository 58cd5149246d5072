"""PatternPipeline: sanitize first, clean positives, reproducible negatives, lineage checks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer.lineage import fingerprint, run_checks
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.train import (
    CRIME_TYPES,
    PatternPipeline,
    load_pattern_config,
    pattern_members,
)

AS_OF = date(2026, 6, 1)
TREES = 8


def snapshot_fn(tables):
    return build_snapshot(tables, AS_OF, "strict")


@pytest.fixture(scope="module")
def world(tiny_tables):
    return tiny_tables, snapshot_fn(tiny_tables)


@pytest.fixture(scope="module")
def built(world):
    raw, snapshot = world
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    return pipeline, pipeline.build(raw, snapshot)


def test_config_is_read_from_models_toml():
    config = load_pattern_config()
    assert config["gates"]["partial_rebuild_min"] == 0.5
    assert config["sampling"]["negatives_per_positive"] == 5
    assert config["crime_types"] == CRIME_TYPES


def test_unknown_crime_type_is_refused():
    with pytest.raises(ValueError, match="unknown crime type 'arson'"):
        PatternPipeline("arson")
    assert PatternPipeline("109").name == "patternizr-grand-larceny"


def test_run_checks_pass_on_tiny(world):
    raw, snapshot = world
    result = run_checks(PatternPipeline("burglary", n_estimators=TREES), raw, snapshot, snapshot_fn)
    assert result.passed, result.to_dict()
    figures = result.results["invariance"].figures
    assert all(figures[k]["matrix_identical"] for k in ("alter", "delete", "add"))
    assert figures["model_identical"] and figures["probe_predictions_identical"]
    assert set(result.results["fitted_state"].figures["components"]) == {"featurizer", "sampler"}


def test_positives_share_a_clean_pattern_and_negatives_do_not(world, built):
    raw, snapshot = world
    pipeline, training = built
    clean = sanitize(raw, snapshot).tables
    complaints, members = pattern_members(clean, pipeline.ky_cd)
    assert set(complaints["KY_CD"]) == {"107"}
    together = members.merge(members, on="PATTERN_ID")
    linked = set(zip(together["CMPLNT_NUM_x"], together["CMPLNT_NUM_y"], strict=True))
    keys = training.row_keys
    pairs = list(zip(keys["left"], keys["right"], strict=True))
    assert all(left < right for left, right in pairs)
    assert len(set(pairs)) == len(pairs)
    positive = training.y == 1
    assert all(p in linked for p, y in zip(pairs, positive, strict=True) if y)
    assert not any(p in linked for p, y in zip(pairs, positive, strict=True) if not y)
    ratio = load_pattern_config()["sampling"]["negatives_per_positive"]
    for split in ("train", "test"):
        rows = (keys["split"] == split).to_numpy()
        assert (training.y[rows] == 0).sum() == ratio * (training.y[rows] == 1).sum()


def test_split_is_by_pattern(world, built):
    raw, snapshot = world
    pipeline, training = built
    sampler = training.components["sampler"]
    assert not set(sampler.test_patterns_) & set(sampler.train_patterns_)
    assert len(sampler.test_patterns_) > 0 and len(sampler.train_patterns_) > 0
    _, members = pattern_members(sanitize(raw, snapshot).tables, pipeline.ky_cd)
    in_test = members["PATTERN_ID"].isin(set(sampler.test_patterns_))
    test_only = set(members.loc[in_test, "CMPLNT_NUM"]) - set(members.loc[~in_test, "CMPLNT_NUM"])
    keys = training.row_keys[training.y == 1]
    trained = set(keys.loc[keys["split"] == "train", "left"]) | set(
        keys.loc[keys["split"] == "train", "right"]
    )
    assert not trained & test_only  # no training positive touches a held-out-only complaint


def test_provenance_names_the_memberships_and_arrests_behind_each_label(built, world):
    raw, snapshot = world
    pipeline, training = built
    patterns = training.provenance.sources["patterns"]
    arrests = training.provenance.sources["arrests"]
    positive = training.y == 1
    assert (patterns.lengths[positive] >= 2).all()
    assert (patterns.lengths[~positive] == 0).all()
    assert (arrests.lengths[~positive] == 0).all()
    clean = sanitize(raw, snapshot).tables["patterns"]
    established = set(clean["ESTABLISHED_BY_ARREST_KEY"].dropna())
    assert set(arrests.used_keys()) <= established and len(arrests.used_keys()) > 0
    assert "complaint_arrests" not in training.provenance.sources  # arrestee data never read


def test_same_seed_same_model_whatever_n_jobs(world, built):
    raw, snapshot = world
    pipeline, training = built
    again = PatternPipeline("burglary", n_estimators=TREES, n_jobs=2)
    rebuilt = again.build(raw, snapshot)
    assert fingerprint(rebuilt.matrix_state()) == fingerprint(training.matrix_state())
    assert fingerprint(pipeline.fit(training)) == fingerprint(again.fit(rebuilt))
    other = PatternPipeline("burglary", seed=1, n_estimators=TREES)
    assert fingerprint(other.build(raw, snapshot).matrix_state()) != fingerprint(
        training.matrix_state()
    )


def test_suspect_race_never_reaches_the_training_matrix(world, built):
    raw, snapshot = world
    pipeline, training = built
    complaints = raw["complaints"].assign(SUSP_RACE="WHITE", SUSP_SEX="F", ADDR_PCT_CD="1")
    changed = pipeline.build(raw.replace(complaints=complaints), snapshot)
    pd.testing.assert_frame_equal(changed.X, training.X)
    assert np.array_equal(changed.y, training.y)
