"""SISA shards: one sealing reaches one shard, and a partial refit is a full refit."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from court_events import dismissals
from sklearn.ensemble import RandomForestClassifier
from skops.io.exceptions import UntrustedTypesFoundException

from sanitizer.lineage import fingerprint
from sanitizer.registry import build_snapshot
from sanitizer.tables import isin
from sanitizer.train import (
    SHARED,
    TRUSTED_TYPES,
    PatternPipeline,
    RecidivismPipeline,
    ShardedForest,
    affected_shards,
    load_recidivism_config,
    shard_digests,
    shard_seed,
    stable_shard,
)
from sanitizer.train._shards import MSG_KEPT_SHARD_CHANGED, MSG_NOT_FITTED_ON

AS_OF = date(2026, 6, 1)
TREES = 16  # one tree per shard: the tests are about which shards move, not about quality


def snapshot_fn(tables):
    return build_snapshot(tables, AS_OF, "strict")


def seal(raw, key):
    """The raw tables plus a dismissal of ``key`` (CPL 160.50 seals the arrest)."""
    event = dismissals([key])
    return raw.replace(court_events=pd.concat([raw["court_events"], event], ignore_index=True))


def delete(raw, key):
    """The raw tables without arrest ``key`` and everything that points at it."""
    keys = pd.Series([key], dtype="str")
    frames = {
        name: raw[name][~isin(raw[name][column], keys)].reset_index(drop=True)
        for name, column in (
            ("arrests", "ARREST_KEY"),
            ("court_events", "ARREST_KEY"),
            ("complaint_arrests", "ARREST_KEY"),
            ("patterns", "ESTABLISHED_BY_ARREST_KEY"),
        )
    }
    return raw.replace(**frames)


def excluded_set(snapshot):
    records = snapshot.records
    return set(records.loc[records["excluded"].astype(bool), "arrest_key"])


def used_arrests(training, rows):
    return sorted(training.provenance.take(rows).used_keys("arrests").astype(str))


def rows_by_shard(training, shard, n_shards):
    """Per shard, its own rows and the shared ones (X, y, keys), as the forest sees them."""
    out = []
    for s in range(n_shards):
        rows = np.flatnonzero((shard == s) | (shard == SHARED))
        out.append(
            (
                training.X.iloc[rows].reset_index(drop=True),
                np.asarray(training.y)[rows],
                training.row_keys.iloc[rows].reset_index(drop=True),
            )
        )
    return out


def changed_shards(before, after):
    """Shards whose rows differ, compared frame by frame (not through the digests)."""
    changed = []
    for s, ((xa, ya, ka), (xb, yb, kb)) in enumerate(zip(before, after, strict=True)):
        same = xa.equals(xb) and np.array_equal(ya, yb) and ka.equals(kb)
        if not same:
            changed.append(s)
    return changed


# --- the pattern model ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def pattern(tiny_tables):
    raw = tiny_tables
    snapshot = snapshot_fn(raw)
    pipeline = PatternPipeline("burglary", n_estimators=TREES)
    training = pipeline.build(raw, snapshot)
    model = pipeline.fit(training)
    return pipeline, raw, snapshot, training, model


def one_pattern_arrest(pipeline, raw, snapshot, training):
    """A training arrest whose memberships are all in one pattern, and that pattern."""
    train = np.flatnonzero((training.row_keys["split"] == "train").to_numpy())
    patterns = raw["patterns"]
    for key in used_arrests(training, train):
        established = patterns.loc[patterns["ESTABLISHED_BY_ARREST_KEY"] == key, "PATTERN_ID"]
        if established.nunique() != 1:
            continue
        sealed = seal(raw, key)
        after = snapshot_fn(sealed)
        if excluded_set(after) == excluded_set(snapshot) | {key}:
            return key, established.iloc[0]
    pytest.fail("the tiny world should have a training arrest that a dismissal seals")


@pytest.fixture(scope="module")
def pattern_change(pattern):
    pipeline, raw, snapshot, training, _ = pattern
    key, pattern_id = one_pattern_arrest(pipeline, raw, snapshot, training)
    return key, pattern_id


@pytest.mark.parametrize("how", [seal, delete], ids=["sealed", "deleted"])
def test_one_arrest_changes_only_its_patterns_shard(pattern, pattern_change, how):
    pipeline, raw, snapshot, training, _ = pattern
    key, pattern_id = pattern_change
    changed_raw = how(raw, key)
    changed = pipeline.build(changed_raw, snapshot_fn(changed_raw))
    assert key not in set(changed.provenance.used_keys("arrests"))
    assert key in set(training.provenance.used_keys("arrests"))
    n = pipeline.n_shards
    before = rows_by_shard(training, training.row_keys["shard"].to_numpy(), n)
    after = rows_by_shard(changed, changed.row_keys["shard"].to_numpy(), n)
    home = int(stable_shard([pattern_id], n)[0])
    assert changed_shards(before, after) == [home]
    digests = affected_shards(pipeline.shard_digests(training), pipeline.shard_digests(changed))
    assert digests.tolist() == [home]


def test_refit_equals_a_full_fit_and_touches_one_shard(pattern, pattern_change):
    pipeline, raw, snapshot, training, model = pattern
    key, pattern_id = pattern_change
    sealed = seal(raw, key)
    new_training = pipeline.build(sealed, snapshot_fn(sealed))
    refitted, affected = pipeline.refit(new_training, model, training)
    scratch = pipeline.fit(new_training)
    assert affected.tolist() == [int(stable_shard([pattern_id], pipeline.n_shards)[0])]
    assert fingerprint(refitted) == fingerprint(scratch) != fingerprint(model)
    np.testing.assert_array_equal(
        pipeline.predict(refitted, new_training), pipeline.predict(scratch, new_training)
    )
    kept = [s for s in range(pipeline.n_shards) if s not in set(affected)]
    assert all(refitted.estimators_[s] is model.estimators_[s] for s in kept)
    # without the old training set, the digests stored in the model decide
    again, affected_again = pipeline.refit(new_training, model)
    assert affected_again.tolist() == affected.tolist()
    assert fingerprint(again) == fingerprint(scratch)


def test_fingerprint_covers_every_shards_trees(pattern):
    pipeline, _, _, training, model = pattern
    other = pipeline.fit(training)
    assert fingerprint(other) == fingerprint(model)
    last = max(s for s, f in enumerate(other.estimators_) if f is not None)
    other.estimators_[last] = RandomForestClassifier(n_estimators=1, random_state=1).fit(
        training.X.iloc[:50], training.y[:50]
    )
    assert fingerprint(other) != fingerprint(model)


def test_refit_refuses_to_keep_a_shard_whose_rows_changed(pattern, pattern_change):
    pipeline, raw, _, training, model = pattern
    key, _ = pattern_change
    sealed = seal(raw, key)
    new_training = pipeline.build(sealed, snapshot_fn(sealed))
    X, y, shard, keys = pipeline._fit_rows(new_training)
    with pytest.raises(ValueError) as error:
        pipeline.make_model().refit(X, y, model, shards=[], shard=shard, keys=keys)
    affected = pipeline.refit(new_training, model, training)[1].tolist()
    assert str(error.value) == MSG_KEPT_SHARD_CHANGED.format(shards=affected)
    with pytest.raises(ValueError) as error:  # the model was not fitted on that training set
        pipeline.refit(new_training, model, new_training)
    assert str(error.value) == MSG_NOT_FITTED_ON.format(shards=affected)


# --- the recidivism model -------------------------------------------------------------------
@pytest.fixture(scope="module")
def recidivism(tiny_tables):
    raw = tiny_tables
    snapshot = snapshot_fn(raw)
    pipeline = RecidivismPipeline(seed=0)
    training = pipeline.build(raw, snapshot)
    return pipeline, raw, snapshot, training, pipeline.fit(training)


def test_recidivism_refit_after_sealing_equals_a_full_fit(recidivism):
    pipeline, raw, snapshot, training, model = recidivism
    arrests = raw["arrests"]
    for key in used_arrests(training, np.arange(len(training))):
        sealed = seal(raw, key)
        sealed_snapshot = snapshot_fn(sealed)
        if excluded_set(sealed_snapshot) == excluded_set(snapshot) | {key}:
            break
    person = arrests.loc[arrests["ARREST_KEY"] == key, "PERSON_ID"].iloc[0]
    new_training = pipeline.build(sealed, sealed_snapshot)
    refitted, affected = pipeline.refit(new_training, model, training)
    assert fingerprint(refitted) == fingerprint(pipeline.fit(new_training))
    same_codes = fingerprint(new_training.components) == fingerprint(training.components)
    if same_codes:  # the person's shard alone
        assert affected.tolist() == stable_shard([person], pipeline.n_shards).tolist()
    else:  # the offence codes moved: every row changed
        assert len(affected) == pipeline.n_shards


def test_a_changed_global_component_or_parameter_refits_every_shard(recidivism):
    pipeline, raw, snapshot, training, model = recidivism
    config = load_recidivism_config(features={"n_offence_codes": 3})
    fewer_codes = RecidivismPipeline(seed=0, config=config)
    other = fewer_codes.build(raw, snapshot)
    refitted, affected = fewer_codes.refit(other, model, training)
    assert affected.tolist() == list(range(fewer_codes.n_shards))
    assert fingerprint(refitted) == fingerprint(fewer_codes.fit(other))
    deeper = RecidivismPipeline(seed=0, config=load_recidivism_config(classifier={"max_depth": 3}))
    refitted, affected = deeper.refit(training, model, training)
    assert len(affected) == deeper.n_shards
    assert fingerprint(refitted) == fingerprint(deeper.fit(training))


# --- the estimator --------------------------------------------------------------------------
def test_shard_seeds_are_deterministic_and_distinct():
    assert shard_seed(0, 0) == shard_seed(0, 0) == 3_290_613_077
    seeds = {shard_seed(seed, shard) for seed in range(3) for shard in range(16)}
    assert len(seeds) == 48
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    shard = np.arange(200) % 4
    model = ShardedForest(RandomForestClassifier(n_estimators=8), n_shards=4, random_state=7)
    model.fit(X, y, shard=shard)
    assert [f.random_state for f in model.estimators_] == [shard_seed(7, k) for k in range(4)]
    assert [len(f.estimators_) for f in model.estimators_] == [2, 2, 2, 2]
    again = ShardedForest(RandomForestClassifier(n_estimators=8), 4, 7, n_jobs=2)
    assert fingerprint(again.fit(X, y, shard=shard)) == fingerprint(model)


def test_probabilities_are_the_mean_over_shards_with_missing_classes_as_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    y = np.r_[np.zeros(30, int), rng.integers(0, 2, 60)]
    shard = np.r_[np.zeros(30, int), np.ones(30, int), np.full(30, 2)]  # shard 0: one class
    model = ShardedForest(RandomForestClassifier(n_estimators=6), n_shards=4).fit(X, y, shard)
    assert model.estimators_[3] is None and model.shard_sizes_.tolist() == [30, 30, 30, 0]
    parts = []
    for forest in model.estimators_[:3]:
        p = np.zeros((len(X), 2))
        p[:, np.searchsorted([0, 1], forest.classes_)] = forest.predict_proba(X)
        parts.append(p)
    np.testing.assert_allclose(model.predict_proba(X), np.mean(parts, axis=0))
    assert set(model.predict(X)) <= {0, 1}


def test_probabilities_are_the_same_bits_whatever_n_jobs():
    """The invariance check compares probe predictions exactly, and keeps the sharded
    forest's threads: shards run in parallel, each single-threaded (also a shard stored
    with another ``n_jobs``), and are added in shard order."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 4))
    y = (X[:, 0] + rng.normal(size=3000) > 0).astype(int)
    shard = np.arange(3000) % 8
    model = ShardedForest(RandomForestClassifier(n_estimators=64), 8, 3).fit(X, y, shard)
    single = model.predict_proba(X)
    threaded = copy.deepcopy(model).set_params(n_jobs=2)
    for forest in threaded.estimators_:
        forest.n_jobs = 4  # as if stored so: its trees must still be summed in order
    for _ in range(3):
        assert threaded.predict_proba(X).tobytes() == single.tobytes()


def test_shared_rows_train_every_shard_and_enter_every_digest():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(60, 2)), rng.integers(0, 2, 60)
    shard = np.r_[np.full(40, SHARED), np.arange(20) % 2]
    model = ShardedForest(RandomForestClassifier(n_estimators=2), n_shards=2).fit(X, y, shard)
    assert model.shard_sizes_.tolist() == [50, 50]

    def affected_by_flipping(row):
        changed = y.copy()
        changed[row] = 1 - changed[row]
        return affected_shards(model.shard_digests_, shard_digests(X, changed, shard, 2)).tolist()

    assert affected_by_flipping(0) == [0, 1]  # a shared row
    assert affected_by_flipping(41) == [1]  # shard 1's own row


# --- persistence ----------------------------------------------------------------------------
def test_skops_round_trip_needs_exactly_the_listed_types(pattern, recidivism):
    pipeline, _, _, training, model = pattern
    weights = {"featurizer": training.components["featurizer"], "model": model}
    r_pipeline, _, _, r_training, r_model = recidivism
    scorer = r_pipeline.scorer(r_model, r_training)
    for obj in (weights, {"scorer": scorer}):
        data = sio.dumps(obj)
        untrusted = set(sio.get_untrusted_types(data=data))
        assert untrusted <= set(TRUSTED_TYPES)
        assert "sanitizer.train._shards.ShardedForest" in untrusted
        with pytest.raises(UntrustedTypesFoundException):
            sio.loads(data, trusted=[])
        with pytest.raises(UntrustedTypesFoundException):
            sio.loads(data, trusted=sorted(untrusted - {"sklearn.tree._tree.Tree"}))
        loaded = sio.loads(data, trusted=list(TRUSTED_TYPES))
        plain = {name: vars(v) if name == "scorer" else v for name, v in loaded.items()}
        original = {name: vars(v) if name == "scorer" else v for name, v in obj.items()}
        assert fingerprint(plain) == fingerprint(original)
    loaded = sio.loads(sio.dumps(weights), trusted=list(TRUSTED_TYPES))
    np.testing.assert_array_equal(
        pipeline.predict(loaded["model"], training), pipeline.predict(model, training)
    )


def test_shard_digests_keep_their_bytes():
    """Stored models compare their ``shard_digests_`` with freshly computed ones to decide
    which shards to refit: a change in how the digests are computed (faster hashing, new
    conversions) must not change them, or every stored model silently refits in full.
    The values were computed by the implementation every stored model used."""
    n = 40
    row = np.arange(n)
    X = pd.DataFrame({"a": row / 7.0, "b": np.where(row % 9 == 0, np.nan, -row.astype(float))})
    keys = pd.DataFrame(
        {
            "left": pd.Series([None if i % 11 == 0 else f"C{i}é" for i in row], dtype="str"),
            "flag": [bool(i % 3) for i in row],
            "shard": (row * 5) % 4 - (row % 13 == 0),
        }
    )
    shard = np.where(row % 13 == 0, SHARED, (row * 5) % 4)
    digests = shard_digests(X, row % 2, shard, 4, keys)
    assert [d[:16] for d in digests] == [
        "a0fa34b361bb237e",
        "c0593d4033454780",
        "1e15b2898939f0f1",
        "c8d2c2ada7d7f475",
    ]
    # no shared rows (each shard one contiguous slice of the shard-sorted rows), one empty
    row = np.arange(30)
    keys = pd.DataFrame({"PERSON_ID": pd.Series([f"P{i}" for i in row], dtype="str")})
    digests = shard_digests(pd.DataFrame({"a": row / 3.0}), row % 2, (row * 7) % 3, 4, keys)
    assert [d[:16] for d in digests] == [
        "15e427811bf73302",
        "630d630bce0a5b7d",
        "14d468d5e6f7fe12",
        "3af64c773fd3a974",
    ]
