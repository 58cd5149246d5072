"""Provenance: for every row of a derived table, the keys of every source record that reached it.

The lineage ``provenance`` check reads these and asks one question: is any key excluded by
the snapshot? So the carrier has to be exact (a complaint pair carries both complaints and
every arrest whose data reached either side; a person's history feature carries every
arrest it counted) and compact enough for `nyc` scale: millions of rows with a handful of
keys each. Python sets per row would cost gigabytes, so each source table's keys are held
as a CSR structure: ``keys`` (sorted unique key strings), ``codes`` (int32 indices into
``keys``) and ``indptr`` (row ``i``'s keys are ``codes[indptr[i]:indptr[i + 1]]``). Every
operation is a handful of numpy calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import isin, position_in

__all__ = ["KeySets", "Provenance"]


def _as_keys(values) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _sorted_codes(keys) -> tuple[np.ndarray, np.ndarray]:
    """(codes, sorted unique keys) through pandas' hash factorizer, not Python sorting."""
    codes, unique = pd.factorize(pd.Series(keys, dtype="str"), sort=True)
    return codes.astype(np.int32), unique.to_numpy(dtype=object)


@dataclass(frozen=True, eq=False)
class KeySets:
    """Per-row sets of keys of one source table, in CSR form (see module docstring)."""

    indptr: np.ndarray
    codes: np.ndarray
    keys: np.ndarray

    def __post_init__(self):
        if self.indptr.ndim != 1 or self.indptr[0] != 0 or self.indptr[-1] != len(self.codes):
            raise ValueError("indptr must start at 0 and end at len(codes)")

    # --- construction --------------------------------------------------------------------
    @classmethod
    def empty(cls, n_rows: int) -> KeySets:
        return cls(np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int32), _as_keys([]))

    @classmethod
    def identity(cls, keys: Iterable[str]) -> KeySets:
        """Row ``i`` came from exactly one source record, ``keys[i]``."""
        keys = _as_keys(list(keys))
        if not len(keys):
            return cls.empty(0)
        codes, unique = _sorted_codes(keys)
        return cls(np.arange(len(keys) + 1, dtype=np.int64), codes, unique)

    @classmethod
    def from_pairs(cls, rows: np.ndarray, keys: Iterable[str], n_rows: int) -> KeySets:
        """Build from (row, key) pairs, e.g. the arrests each person's feature counted."""
        rows = np.asarray(rows, dtype=np.int64)
        keys = _as_keys(list(keys))
        if len(rows) != len(keys):
            raise ValueError("rows and keys must have the same length")
        if len(rows) and (rows.min() < 0 or rows.max() >= n_rows):
            raise ValueError(f"row numbers must lie in [0, {n_rows})")
        if not len(keys):
            return cls.empty(n_rows)
        codes, unique = _sorted_codes(keys)
        return cls.from_codes(rows, codes, unique, n_rows)

    # --- shape -----------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row(self, i: int) -> list[str]:
        return self.keys[self.codes[self.indptr[i] : self.indptr[i + 1]]].tolist()

    def to_lists(self) -> list[list[str]]:
        return [self.row(i) for i in range(self.n_rows)]

    def used_keys(self) -> np.ndarray:
        """Every key that reached at least one row (sorted)."""
        return self.keys[np.unique(self.codes)] if len(self.codes) else _as_keys([])

    # --- operations ------------------------------------------------------------------------
    def take(self, rows: np.ndarray) -> KeySets:
        """The key sets of ``rows`` (a selection or reordering, repeats allowed)."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        indptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        starts = np.repeat(self.indptr[:-1][rows] - indptr[:-1], lengths)
        gather = starts + np.arange(indptr[-1], dtype=np.int64)
        return KeySets(indptr, self.codes[gather], self.keys)

    def union(self, other: KeySets) -> KeySets:
        """Row-wise union with another carrier of the same rows (a pair's two sides)."""
        if self.n_rows != other.n_rows:
            raise ValueError(f"cannot unite {self.n_rows} rows with {other.n_rows} rows")
        _, keys = _sorted_codes(np.concatenate([self.keys, other.keys]))
        codes_a = position_in(self.keys, keys).astype(np.int32)[self.codes]
        codes_b = position_in(other.keys, keys).astype(np.int32)[other.codes]
        rows = np.concatenate(
            [
                np.repeat(np.arange(self.n_rows), self.lengths),
                np.repeat(np.arange(other.n_rows), other.lengths),
            ]
        )
        codes = np.concatenate([codes_a, codes_b])
        return KeySets.from_codes(rows, codes, keys, self.n_rows)

    @classmethod
    def from_codes(
        cls, rows: np.ndarray, codes: np.ndarray, keys: np.ndarray, n_rows: int
    ) -> KeySets:
        """Like :meth:`from_pairs` with keys already coded against sorted ``keys``."""
        if not len(rows):
            return cls(np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int32), keys)
        order = np.lexsort((codes, rows))
        rows, codes = rows[order], codes[order]
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1])
        rows, codes = rows[keep], codes[keep]
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(indptr, codes.astype(np.int32), keys)

    def rows_touching(self, keys: Iterable[str]) -> np.ndarray:
        """Boolean mask of rows whose key set meets ``keys`` (e.g. the excluded set)."""
        wanted = isin(self.keys, list(keys) if not isinstance(keys, pd.Series) else keys)
        hits = np.zeros(len(self.codes) + 1, dtype=np.int64)
        if len(self.codes):
            np.cumsum(wanted[self.codes], out=hits[1:])
        return (hits[self.indptr[1:]] - hits[self.indptr[:-1]]) > 0

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.codes.nbytes)


@dataclass(frozen=True, eq=False)
class Provenance:
    """Source keys of every row of one derived table, one :class:`KeySets` per source table.

    ``sources`` maps a source table name (``arrests``, ``complaints``, ``court_events``,
    ``persons``) to the key sets of that table's records that reached each row.
    """

    n_rows: int
    sources: Mapping[str, KeySets]

    def __post_init__(self):
        for name, sets in self.sources.items():
            if sets.n_rows != self.n_rows:
                raise ValueError(
                    f"{name} provenance has {sets.n_rows} rows, expected {self.n_rows}"
                )

    def take(self, rows: np.ndarray) -> Provenance:
        rows = np.asarray(rows, dtype=np.int64)
        return Provenance(len(rows), {n: s.take(rows) for n, s in self.sources.items()})

    def union(self, other: Provenance) -> Provenance:
        names = sorted(set(self.sources) | set(other.sources))
        empty_self, empty_other = KeySets.empty(self.n_rows), KeySets.empty(other.n_rows)
        return Provenance(
            self.n_rows,
            {
                n: self.sources.get(n, empty_self).union(other.sources.get(n, empty_other))
                for n in names
            },
        )

    def used_keys(self, source: str) -> np.ndarray:
        sets = self.sources.get(source)
        return sets.used_keys() if sets is not None else _as_keys([])

    def rows_touching(self, source: str, keys: Iterable[str]) -> np.ndarray:
        sets = self.sources.get(source)
        if sets is None:
            return np.zeros(self.n_rows, dtype=bool)
        return sets.rows_touching(keys)
