"""Arrow-backed set membership agrees with Python sets, whichever side is larger."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.tables import isin, position_in
from sanitizer.tables._arrow import value_set

keys = st.one_of(st.none(), st.text(alphabet="abcé", max_size=3))


def _expected(values, known) -> list[bool]:
    present = {k for k in known if k is not None}
    return [v is not None and v in present for v in values]


@settings(max_examples=150, deadline=None)
@given(st.lists(keys, max_size=30), st.lists(keys, max_size=30), st.integers(0, 2000))
def test_isin_is_set_membership_with_nulls_never_in(values, known, padding):
    """``padding`` unrelated known keys push the larger side past the point where isin
    hashes the values and probes the known ones instead; the answer must not change."""
    known = known + [f"pad-{i}" for i in range(padding)]
    as_series = pd.Series(values, dtype="str")
    expected = _expected(values, known)
    assert isin(as_series, pd.Series(known, dtype="str")).tolist() == expected
    assert isin(as_series, value_set(pd.Series(known, dtype="str"))).tolist() == expected
    assert isin(values, known).tolist() == expected


def test_position_in_finds_the_first_occurrence():
    assert position_in(["b", "x", None], ["a", "b", "b"]).tolist() == [1, -1, -1]
