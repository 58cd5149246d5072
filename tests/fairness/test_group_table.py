"""The per-group table the fairness gate reads is fairlearn's, person for person.

``binary_group_table`` hands ``MetricFrame`` one weighted row per (group, outcome,
decision) instead of one row per person (4 s per dimension at nyc). The rates are ratios
of counts, so the table must be exactly, not approximately, the one ``MetricFrame``
gives on the persons themselves: held here to that, in every corner (a group with no
positives, none flagged, a single person, empty-string and numeric-looking labels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.fairness._metrics import binary_group_table


def per_person(y_true, y_pred, groups) -> pd.DataFrame:
    frame = MetricFrame(
        metrics={
            "n": count,
            "n_positive": lambda t, p: int(np.sum(t == 1)),
            "selection_rate": selection_rate,
            "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate,
            "true_positive_rate": true_positive_rate,
        },
        y_true=np.asarray(y_true, dtype=int),
        y_pred=np.asarray(y_pred, dtype=int),
        sensitive_features=pd.Series(np.asarray(groups, dtype=object), name="group"),
    )
    return frame.by_group.reset_index()


person = st.tuples(st.sampled_from(["A", "B", "", "10", "Z z"]), st.booleans(), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(person, min_size=1, max_size=60))
def test_the_weighted_table_is_the_per_person_table(persons):
    groups = [g for g, _, _ in persons]
    y_true = [int(t) for _, t, _ in persons]
    y_pred = [int(p) for _, _, p in persons]
    table = binary_group_table(y_true, y_pred, groups, min_group_size=3)
    reference = per_person(y_true, y_pred, groups)
    assert table["group"].tolist() == reference["group"].astype(str).tolist()
    assert table["n"].tolist() == reference["n"].astype(int).tolist()
    assert table["n_positive"].tolist() == reference["n_positive"].astype(int).tolist()
    for rate in (
        "selection_rate",
        "false_positive_rate",
        "false_negative_rate",
        "true_positive_rate",
    ):
        expected = reference[rate].to_numpy(dtype=float)
        # the table reports a rate with an empty denominator as NaN, not fairlearn's 0
        if rate == "false_positive_rate":
            expected = np.where(table["n_negative"] == 0, np.nan, expected)
        elif rate != "selection_rate":
            expected = np.where(table["n_positive"] == 0, np.nan, expected)
        np.testing.assert_array_equal(table[rate].to_numpy(dtype=float), expected)
