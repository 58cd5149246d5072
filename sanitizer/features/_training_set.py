"""The training set: what a pipeline fits on, and where every row of it came from.

Pattern pairs, person histories, labels and samples all end up here, so the lineage
checks have one thing to inspect whatever the model: the matrix ``X``, the labels ``y``,
the key of every row, the provenance of every row, and every component fitted to build
them (vocabularies, IDF weights, scalers, encoders, samplers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..sanitize import Provenance

__all__ = ["TrainingSet"]


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """A feature matrix with labels, row keys, provenance and fitted components; read-only.

    Attributes
    ----------
    X : DataFrame
        One row per training example, named feature columns.
    y : ndarray or None
        Labels (None for an unlabelled probe set).
    row_keys : DataFrame
        What each row is (e.g. ``left``/``right`` complaint numbers, or ``PERSON_ID``).
    provenance : Provenance
        The source records that reached each row, per source table.
    components : mapping
        Every component fitted to build ``X`` or draw the rows, by name.
    """

    X: pd.DataFrame
    y: np.ndarray | None
    row_keys: pd.DataFrame
    provenance: Provenance
    components: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.X)
        if len(self.row_keys) != n or self.provenance.n_rows != n:
            raise ValueError(
                f"X has {n} rows but row_keys has {len(self.row_keys)} and provenance "
                f"{self.provenance.n_rows}; every row needs its key and its provenance"
            )
        if self.y is not None and len(self.y) != n:
            raise ValueError(f"X has {n} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.X)

    def take(self, rows) -> TrainingSet:
        """The training set of these rows (positions, in this order), components shared."""
        rows = np.asarray(rows, dtype=np.int64)
        return TrainingSet(
            self.X.iloc[rows].reset_index(drop=True),
            None if self.y is None else np.asarray(self.y)[rows],
            self.row_keys.iloc[rows].reset_index(drop=True),
            self.provenance.take(rows),
            self.components,
        )

    def matrix_state(self) -> dict:
        """What the invariance fingerprint covers: the matrix, labels, keys and sources."""
        return {
            "X": self.X.reset_index(drop=True),
            "y": None if self.y is None else np.asarray(self.y),
            "row_keys": self.row_keys.reset_index(drop=True),
            "sources": {
                name: self.provenance.used_keys(name) for name in sorted(self.provenance.sources)
            },
        }
