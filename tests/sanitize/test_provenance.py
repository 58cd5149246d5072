"""Provenance carriers behave like per-row sets, at numpy cost (property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.sanitize import KeySets, Provenance

KEYS = st.sampled_from([f"A{i}" for i in range(12)])


@st.composite
def row_sets(draw, n_rows=None):
    n = draw(st.integers(0, 8)) if n_rows is None else n_rows
    return [draw(st.sets(KEYS, max_size=4)) for _ in range(n)]


def build(sets):
    rows = [r for r, keys in enumerate(sets) for _ in keys]
    keys = [k for ks in sets for k in sorted(ks)]
    return KeySets.from_pairs(np.array(rows, dtype=np.int64), keys, len(sets))


@settings(max_examples=150, deadline=None)
@given(row_sets())
def test_from_pairs_round_trips(sets):
    assert [set(r) for r in build(sets).to_lists()] == sets


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_union_is_row_wise_set_union(data):
    a = data.draw(row_sets())
    b = data.draw(row_sets(n_rows=len(a)))
    united = build(a).union(build(b))
    assert [set(r) for r in united.to_lists()] == [x | y for x, y in zip(a, b, strict=True)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_take_selects_and_reorders_rows(data):
    sets = data.draw(row_sets())
    rows = data.draw(st.lists(st.integers(0, max(len(sets) - 1, 0)), max_size=10)) if sets else []
    taken = build(sets).take(np.array(rows, dtype=np.int64))
    assert [set(r) for r in taken.to_lists()] == [sets[i] for i in rows]


@settings(max_examples=150, deadline=None)
@given(row_sets(), st.sets(KEYS, max_size=5))
def test_rows_touching_finds_every_row_with_an_excluded_key(sets, excluded):
    mask = build(sets).rows_touching(sorted(excluded))
    assert mask.tolist() == [bool(s & excluded) for s in sets]


def test_identity_and_used_keys():
    sets = KeySets.identity(["C2", "C1", "C2"])
    assert sets.to_lists() == [["C2"], ["C1"], ["C2"]]
    assert sets.used_keys().tolist() == ["C1", "C2"]


def test_provenance_unites_per_source_table():
    left = Provenance(2, {"complaints": KeySets.identity(["C1", "C2"])})
    right = Provenance(
        2, {"complaints": KeySets.identity(["C3", "C4"]), "arrests": build([{"A1"}, set()])}
    )
    pair = left.union(right)
    assert pair.sources["complaints"].to_lists() == [["C1", "C3"], ["C2", "C4"]]
    assert pair.rows_touching("arrests", ["A1"]).tolist() == [True, False]
    assert pair.used_keys("arrests").tolist() == ["A1"]
