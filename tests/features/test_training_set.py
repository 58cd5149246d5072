"""A training set refuses rows without keys or provenance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanitizer.features import TrainingSet
from sanitizer.sanitize import KeySets, Provenance


def test_every_row_needs_its_key_and_provenance():
    X = pd.DataFrame({"f": [1.0, 2.0]})
    keys = pd.DataFrame({"PERSON_ID": ["P1", "P2"]})
    good = Provenance(2, {"persons": KeySets.identity(["P1", "P2"])})
    assert len(TrainingSet(X, np.array([0, 1]), keys, good)) == 2
    with pytest.raises(ValueError, match="every row needs its key and its provenance"):
        TrainingSet(X, None, keys, Provenance(1, {"persons": KeySets.identity(["P1"])}))
    with pytest.raises(ValueError, match="y has 3"):
        TrainingSet(X, np.array([0, 1, 1]), keys, good)


def test_matrix_state_covers_matrix_labels_keys_and_sources():
    X = pd.DataFrame({"f": [1.0]})
    training = TrainingSet(
        X,
        np.array([1]),
        pd.DataFrame({"k": ["a"]}),
        Provenance(1, {"arrests": KeySets.identity(["A1"])}),
    )
    state = training.matrix_state()
    assert set(state) == {"X", "y", "row_keys", "sources"}
    assert state["sources"]["arrests"].tolist() == ["A1"]


def test_take_keeps_each_rows_features_label_key_and_sources_together():
    """Held-out splits and refits select rows; a row must never lose its own provenance."""
    keys = ["P1", "P2", "P3"]
    training = TrainingSet(
        pd.DataFrame({"f": [1.0, 2.0, 3.0]}, index=[10, 11, 12]),
        np.array([0, 1, 0]),
        pd.DataFrame({"PERSON_ID": keys}),
        Provenance(3, {"arrests": KeySets.identity(["A1", "A2", "A3"])}),
        {"component": "shared"},
    )
    part = training.take([2, 0])
    assert part.X["f"].tolist() == [3.0, 1.0] and part.X.index.tolist() == [0, 1]
    assert part.y.tolist() == [0, 0]
    assert part.row_keys["PERSON_ID"].tolist() == ["P3", "P1"]
    assert part.provenance.take([0]).used_keys("arrests").tolist() == ["A3"]
    assert part.components is training.components
    unlabelled = TrainingSet(training.X, None, training.row_keys, training.provenance)
    assert unlabelled.take([1]).y is None and len(training.take([])) == 0
