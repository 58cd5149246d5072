"""SISA-style sharded forests: sealing a record retrains only the shards that saw it.

Bourtoule et al. (2021, "Machine Unlearning") split the training rows into disjoint
shards, fit one model per shard and aggregate their predictions; forgetting a record then
means refitting only the shard it was in. Here every shard is a seeded
:class:`~sklearn.ensemble.RandomForestClassifier` and :class:`ShardedForest` averages
their probabilities.

What makes a cheap retrain *identical* to a retrain from scratch (same fingerprint):

- a row's shard is a stable hash of what the row is about (its pattern, its person), never
  of its position, so removing other rows moves no one between shards. Rows that no
  sealing can ever change may be marked :data:`SHARED` instead: they train every shard
  (the pattern models share the pairs of memberships no arrest established, so each
  shard's forest sees nearly all the data and the ensemble loses little against one
  unsharded forest, while a sealing still reaches one shard);
- each shard's forest is seeded by :func:`shard_seed` (the pipeline seed and the shard
  number) and sees only its own rows and the shared ones, in their order, so it is a
  function of those rows;
- which shards to refit is not guessed from the sealed record: :func:`shard_digests`
  hashes each shard's rows (features, labels, row keys) and :func:`affected_shards`
  compares the digests of the old and new training sets. Any change is caught, whatever
  its cause: a sealed membership in the shard, a negative draw it moved, or a refitted
  global component (a featurizer, offence codes) that changed every row, in which case
  every shard is refitted, as it must be.

:meth:`ShardedForest.refit` checks the shards it is told to keep against the digests the
previous model stored, so it cannot silently keep a forest fitted on other rows.
"""

from __future__ import annotations

import copy
import hashlib
import math

import numpy as np
import pandas as pd
import pyarrow as pa
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "DEFAULT_N_SHARDS",
    "SHARED",
    "TRUSTED_TYPES",
    "ShardedForest",
    "affected_shards",
    "refit_shards",
    "shard_digests",
    "shard_seed",
    "stable_shard",
]

#: Shards per model unless the config's ``[shards] n_shards`` says otherwise.
DEFAULT_N_SHARDS = 16
#: The shard number of a row that trains every shard (it can never be unlearned).
SHARED = -1

#: Types a skops file of this package's models may hold beyond skops' defaults, for
#: ``skops.io.loads(data, trusted=list(TRUSTED_TYPES))``. Listed from
#: ``skops.io.get_untrusted_types`` on what is persisted: a pattern model (sharded forest
#: and its pair featurizer) and the recidivism scorer (sharded forest and person history
#: features). skops trusts the sklearn forests and trees themselves, not the node arrays
#: of ``Tree``; anything else found in a file is refused.
TRUSTED_TYPES = (
    "sanitizer.features._pairs.PairFeaturizer",
    "sanitizer.features._person.PersonHistoryFeatures",
    "sanitizer.train._recidivism.RecidivismScorer",
    "sanitizer.train._shards.ShardedForest",
    "sklearn.tree._tree.Tree",
)

MSG_SHARD_RANGE = "shard numbers must lie in [0, {n_shards}) or be SHARED (-1); got {low}..{high}"
MSG_SHARD_LENGTH = "shard has {got} entries but X has {rows} rows; give one shard per row"
MSG_NOT_SHARDED = "previous must be a fitted ShardedForest, got {kind}"
MSG_OTHER_PARAMS = (
    "the previous model has other hyper-parameters ({names}); refit every shard (fit) "
    "instead of reusing its forests"
)
MSG_NOT_FITTED_ON = (
    "the previous model was not fitted on the previous training set (shard(s) {shards} "
    "differ from the digests it stored); pass the training set it was fitted on"
)
MSG_KEPT_SHARD_CHANGED = (
    "shard(s) {shards} changed since the previous model was fitted but are not among the "
    "shards to refit; pass affected_shards(previous.shard_digests_, new digests)"
)


def shard_seed(seed: int, shard: int) -> int:
    """The ``random_state`` of one shard's forest: a hash of the pipeline seed and shard.

    A hash rather than ``seed + shard`` so that shard 1 of seed 0 and shard 0 of seed 1
    grow different forests.
    """
    digest = hashlib.sha256(f"{int(seed)}\x1fshard\x1f{int(shard)}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def stable_shard(keys, n_shards: int) -> np.ndarray:
    """The shard of each key (a pattern or person id): SHA-256 of the key, modulo ``n_shards``.

    Depends on the key alone, not on a seed or on which other keys exist, so a pattern or
    a person stays in its shard whatever is sealed elsewhere.
    """
    n_shards = _check_n_shards(n_shards)
    values = np.asarray(keys, dtype=object)
    out = np.fromiter(
        (
            int.from_bytes(hashlib.sha256(f"shard\x1f{k}".encode()).digest()[:8], "little")
            % n_shards
            for k in values
        ),
        dtype=np.int64,
        count=len(values),
    )
    return out


def _check_n_shards(n_shards) -> int:
    if int(n_shards) < 1 or int(n_shards) != n_shards:
        raise ValueError(f"n_shards must be a positive integer, got {n_shards!r}")
    return int(n_shards)


def _check_shard(shard, n_rows: int, n_shards: int) -> np.ndarray:
    shard = np.asarray(shard, dtype=np.int64).ravel()
    if len(shard) != n_rows:
        raise ValueError(MSG_SHARD_LENGTH.format(got=len(shard), rows=n_rows))
    if len(shard) and (shard.min() < SHARED or shard.max() >= n_shards):
        raise ValueError(
            MSG_SHARD_RANGE.format(n_shards=n_shards, low=shard.min(), high=shard.max())
        )
    return shard


def _shard_order(shard: np.ndarray, n_shards: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows sorted by shard (shared rows first), row order kept within each.

    Returns ``(order, bounds)``: the shared rows are ``order[:bounds[0]]`` and shard
    ``s``'s own rows ``order[bounds[s]:bounds[s + 1]]``. A stable sort of small
    integers is a radix sort: 16-bit keys make it ~10x faster.
    """
    keys = shard.astype(np.int16) if n_shards <= np.iinfo(np.int16).max else shard
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(shard[order], np.arange(n_shards + 1))
    return order, bounds


def _shard_rows(shard: np.ndarray, n_shards: int) -> list[np.ndarray]:
    """Per shard, the positions of its own rows and of the shared ones, in row order."""
    shared = shard == SHARED
    if not shared.any():
        order, bounds = _shard_order(shard, n_shards)
        return [order[bounds[s] : bounds[s + 1]] for s in range(n_shards)]
    return [np.flatnonzero(shared | (shard == s)) for s in range(n_shards)]


def _mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic, vectorised)."""
    z = values.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _content_shards(X: np.ndarray, y: np.ndarray, n_shards: int) -> np.ndarray:
    """A shard per row from the row's own feature bytes and label (when none is given)."""
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    h = np.zeros(len(bits), dtype=np.uint64)
    for column in range(bits.shape[1]):
        h = _mix64(h ^ bits[:, column])
    labels = pd.factorize(pd.Series(np.asarray(y)), sort=True)[0].astype(np.uint64)
    return (_mix64(h ^ labels) % np.uint64(n_shards)).astype(np.int64)


# --- digests --------------------------------------------------------------------------------
def _key_columns(keys: pd.DataFrame | None, order: np.ndarray) -> list[tuple[str, str, object]]:
    """Each key column once, in ``order``, as numbers (float64) or strings.

    Strings are (null flags as uint8, large-string Arrow array with nulls as ""): their
    bytes, lengths (offsets) and nulls are hashed from Arrow's buffers, loop-free.
    Converted and gathered once for the whole training set, then sliced shard by shard:
    converting each shard's Python strings again cost more than hashing them at ``nyc``.
    """
    if keys is None:
        return []
    out = []
    for name in keys.columns:
        column = keys[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
            out.append((str(name), "n", np.ascontiguousarray(numbers[order])))
        else:
            strings = pa.array(column.astype("str"), from_pandas=True)  # Arrow-backed: no copy
            if isinstance(strings, pa.ChunkedArray):
                strings = strings.combine_chunks()
            strings = strings.cast(pa.large_string()).take(pa.array(order, type=pa.int64()))
            nulls = np.asarray(strings.is_null(), dtype=np.uint8)
            out.append((str(name), "s", (nulls, strings.fill_null(""))))
    return out


def _feed_strings(digest, strings: tuple[np.ndarray, pa.Array], start: int, stop: int) -> None:
    """Hash rows ``start:stop`` of a string column with their lengths (offsets) and nulls."""
    nulls, filled = strings
    digest.update(nulls[start:stop])
    _, offsets, data = filled.buffers()
    first = filled.offset + start
    bounds = np.frombuffer(offsets, dtype=np.int64)[first : first + (stop - start) + 1]
    digest.update((bounds - bounds[0]).tobytes())
    if data is not None and stop > start:
        digest.update(memoryview(data)[int(bounds[0]) : int(bounds[-1])])


def shard_digests(X, y, shard, n_shards: int, keys: pd.DataFrame | None = None) -> np.ndarray:
    """SHA-256 (hex) of each shard's rows: features, labels and row keys, in row order.

    Parameters
    ----------
    X : DataFrame or array of shape (n_rows, n_features)
    y : array of shape (n_rows,)
    shard : array of int, shape (n_rows,)
        Each row's shard, or :data:`SHARED` for a row in every shard.
    n_shards : int
    keys : DataFrame, optional
        What each row is (``TrainingSet.row_keys`` of the rows), hashed with them.

    Returns
    -------
    ndarray of str, shape (n_shards,)
        Equal for two training sets exactly when the shard's forest would be fitted on
        the same rows in the same order (empty shards included).
    """
    n_shards = _check_n_shards(n_shards)
    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    values = (
        X.to_numpy(dtype=np.float64, na_value=np.nan)
        if isinstance(X, pd.DataFrame)
        else np.asarray(X, dtype=np.float64)
    )
    y = np.asarray(y)
    shard = _check_shard(shard, len(values), n_shards)
    if keys is not None and len(keys) != len(values):
        raise ValueError(f"keys has {len(keys)} rows but X has {len(values)}")
    # every column is gathered once in shard order, so that each shard's rows are one
    # contiguous slice hashed in place (the digests' bytes are those of row order
    # within each shard: the sort is stable)
    order, bounds = _shard_order(shard, n_shards)
    # ``take`` gathers rows about twice as fast as fancy indexing (a DataFrame's values
    # arrive column-major); the result is C-ordered either way
    values = np.ascontiguousarray(np.take(values, order, axis=0))
    y = np.ascontiguousarray(np.take(y, order))
    columns = _key_columns(keys, order)
    header = repr((names, values.shape[1:], y.dtype.str, [(n, k) for n, k, _ in columns]))

    def rows_digest(start: int, stop: int) -> bytes:
        digest = hashlib.sha256(header.encode())
        digest.update(np.int64(stop - start).tobytes())
        digest.update(values[start:stop])
        digest.update(y[start:stop])
        for _, kind, column in columns:
            if kind == "n":
                digest.update(column[start:stop])
            else:
                _feed_strings(digest, column, start, stop)
        return digest.digest()

    # the shared rows are hashed once; each shard adds its own rows and where they fall
    # among the shared ones (the forest sees them interleaved, in row order)
    common = rows_digest(0, int(bounds[0]))
    shared = shard == SHARED
    out = np.empty(n_shards, dtype=object)
    for s in range(n_shards):
        start, stop = int(bounds[s]), int(bounds[s + 1])
        if bounds[0]:
            where = shared[np.flatnonzero(shared | (shard == s))]
        else:
            where = np.zeros(stop - start, dtype=bool)
        digest = hashlib.sha256(b"shard-digest-v1")
        digest.update(common)
        digest.update(rows_digest(start, stop))
        digest.update(np.packbits(where).tobytes())
        digest.update(np.int64(len(where)).tobytes())
        out[s] = digest.hexdigest()
    return out


def affected_shards(previous_digests, digests) -> np.ndarray:
    """Shards whose rows changed: where the two digest arrays differ (sorted numbers).

    Two arrays of different length (another shard count) make every shard affected.
    """
    previous_digests = np.asarray(previous_digests, dtype=object)
    digests = np.asarray(digests, dtype=object)
    if len(previous_digests) != len(digests):
        return np.arange(len(digests), dtype=np.int64)
    return np.flatnonzero(previous_digests != digests).astype(np.int64)


# --- the estimator ----------------------------------------------------------------------------
def _fit_one(template, X, y, rows: np.ndarray):
    if not len(rows):
        return None
    X_rows = X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
    return template.fit(X_rows, y[rows])


def _proba_one(forest, X) -> np.ndarray:
    """One shard's probabilities, its trees summed in tree order.

    A scikit-learn forest with ``n_jobs > 1`` adds its trees' votes in whatever order its
    threads finish, so the last bits of a probability could change from run to run;
    shards are fitted with ``n_jobs=1``, and a shard loaded with another value is
    predicted through a shallow copy with ``n_jobs=1`` (the trees are shared).
    """
    if getattr(forest, "n_jobs", None) not in (None, 1):
        forest = copy.copy(forest)
        forest.n_jobs = 1
    return forest.predict_proba(X)


class ShardedForest(ClassifierMixin, BaseEstimator):
    """One seeded random forest per shard of the rows; probabilities averaged over shards.

    Parameters
    ----------
    estimator : RandomForestClassifier, optional
        The forest's hyper-parameters; its ``n_estimators`` is the total over all shards
        (each shard grows ``ceil(n_estimators / n_shards)`` trees), its ``random_state``
        and ``n_jobs`` are replaced per shard. Default: ``RandomForestClassifier()``.
    n_shards : int, default 16
    random_state : int, default 0
        The pipeline seed; shard ``k`` grows from ``shard_seed(random_state, k)``.
    n_jobs : int, default 1
        Shards fitted and scored in parallel threads (each forest single-threaded); the
        fitted model and its probabilities do not depend on it (shards are summed in
        shard order).

    Attributes
    ----------
    estimators_ : list
        Per shard, its fitted forest, or None when the shard had no rows.
    classes_ : ndarray
        Labels seen in ``y`` over all shards, sorted.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    shard_sizes_ : ndarray of int
        Rows each shard's forest was fitted on (shared rows included).
    shard_seeds_ : ndarray of int
        Each shard's ``random_state``.
    shard_digests_ : ndarray of str
        :func:`shard_digests` of the rows each forest was fitted on, so a later retrain
        can tell which shards changed without the old training set.
    """

    def __init__(
        self,
        estimator=None,
        n_shards: int = DEFAULT_N_SHARDS,
        random_state: int = 0,
        n_jobs: int | None = 1,
    ):
        self.estimator = estimator
        self.n_shards = n_shards
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- pieces -------------------------------------------------------------------------
    def _template(self, shard: int) -> RandomForestClassifier:
        base = RandomForestClassifier() if self.estimator is None else self.estimator
        per_shard = max(1, math.ceil(int(base.n_estimators) / int(self.n_shards)))
        return clone(base).set_params(
            n_estimators=per_shard, random_state=shard_seed(self.random_state, shard), n_jobs=1
        )

    def _prepare(self, X, y, shard, keys):
        n_shards = _check_n_shards(self.n_shards)
        if isinstance(X, pd.DataFrame):
            values = X.reset_index(drop=True)
        else:
            values = np.asarray(X, dtype=np.float64)
            if values.ndim != 2:
                raise ValueError(f"X must be 2-dimensional, got shape {values.shape}")
        y = np.asarray(y)
        if len(y) != len(values):
            raise ValueError(f"X has {len(values)} rows but y has {len(y)}")
        if shard is None:
            plain = values.to_numpy(dtype=np.float64) if hasattr(values, "columns") else values
            shard = _content_shards(plain, y, n_shards)
        shard = _check_shard(shard, len(values), n_shards)
        if keys is not None:
            keys = keys.reset_index(drop=True)
        digests = shard_digests(values, y, shard, n_shards, keys)
        return values, y, shard, digests

    def _fit_shards(self, X, y, shard, which) -> dict[int, object]:
        rows = _shard_rows(shard, int(self.n_shards))
        jobs = [(s, rows[s]) for s in which]
        fitted = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_one)(self._template(s), X, y, rows) for s, rows in jobs
        )
        return {s: forest for (s, _), forest in zip(jobs, fitted, strict=True)}

    def _finish(self, X, y, shard, digests, forests: list) -> ShardedForest:
        self.estimators_ = forests
        self.classes_ = np.unique(y)
        self.n_features_in_ = int(X.shape[1])
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        own = np.bincount(shard[shard != SHARED], minlength=int(self.n_shards))
        self.shard_sizes_ = (own + np.count_nonzero(shard == SHARED)).astype(np.int64)
        self.shard_seeds_ = np.array(
            [shard_seed(self.random_state, s) for s in range(int(self.n_shards))], dtype=np.int64
        )
        self.shard_digests_ = digests
        return self

    # --- fit ----------------------------------------------------------------------------------
    def fit(self, X, y, shard=None, keys: pd.DataFrame | None = None) -> ShardedForest:
        """Fit every shard's forest on its rows.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, n_features)
        y : array of shape (n_rows,)
        shard : array of int, optional
            Each row's shard in ``[0, n_shards)``, or :data:`SHARED` (-1) for a row that
            trains every shard; by default a hash of the row's own values and label
            (stable, but the pipelines pass a pattern or person shard).
        keys : DataFrame, optional
            Row keys, hashed into ``shard_digests_``.

        Returns
        -------
        self
        """
        X, y, shard, digests = self._prepare(X, y, shard, keys)
        fitted = self._fit_shards(X, y, shard, range(int(self.n_shards)))
        return self._finish(X, y, shard, digests, [fitted[s] for s in range(int(self.n_shards))])

    def refit(
        self, X, y, previous: ShardedForest, shards=None, shard=None, keys=None
    ) -> ShardedForest:
        """Fit only ``shards`` on the new rows; take every other shard's forest from ``previous``.

        The result equals ``fit(X, y, shard, keys)`` (same fingerprint) whenever the kept
        shards' rows are unchanged, which is checked against ``previous.shard_digests_``:
        a kept shard whose rows changed is an error, never a stale forest.

        Parameters
        ----------
        X, y, shard, keys
            As for :meth:`fit`: the *new* training rows.
        previous : ShardedForest
            Fitted with the same hyper-parameters.
        shards : iterable of int, optional
            The shards to refit; by default those whose digest differs from
            ``previous.shard_digests_`` (:func:`affected_shards`).

        Returns
        -------
        self
        """
        if not isinstance(previous, ShardedForest):
            raise TypeError(MSG_NOT_SHARDED.format(kind=type(previous).__name__))
        check_is_fitted(previous, "estimators_")
        differing = _differing_params(self, previous)
        if differing:
            raise ValueError(MSG_OTHER_PARAMS.format(names=", ".join(differing)))
        X, y, shard, digests = self._prepare(X, y, shard, keys)
        if shards is None:
            shards = affected_shards(previous.shard_digests_, digests)
        which = sorted({int(s) for s in shards})
        if which and (which[0] < 0 or which[-1] >= int(self.n_shards)):
            raise ValueError(
                f"shards to refit must lie in [0, {self.n_shards}); got {which[0]}..{which[-1]}"
            )
        kept = np.setdiff1d(np.arange(int(self.n_shards)), which)
        stale = kept[previous.shard_digests_[kept] != digests[kept]]
        if len(stale):
            raise ValueError(MSG_KEPT_SHARD_CHANGED.format(shards=stale.tolist()))
        fitted = self._fit_shards(X, y, shard, which)
        forests = [
            fitted[s] if s in fitted else previous.estimators_[s] for s in range(int(self.n_shards))
        ]
        return self._finish(X, y, shard, digests, forests)

    # --- predict ------------------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """Mean over the fitted shards of each forest's class probabilities.

        A shard that saw only some classes contributes zero for the others. Bit for bit
        the same for any ``n_jobs``: shards run in parallel, each single-threaded, and
        their probabilities are added in shard order.
        """
        check_is_fitted(self, "estimators_")
        forests = [f for f in self.estimators_ if f is not None]
        n_rows = X.shape[0]
        proba = np.zeros((n_rows, len(self.classes_)), dtype=np.float64)
        if not forests:
            return proba
        if self.n_jobs in (None, 1):
            parts = (_proba_one(f, X) for f in forests)
        else:
            parts = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(_proba_one)(f, X) for f in forests
            )
        for forest, part in zip(forests, parts, strict=True):  # shard order: deterministic sums
            columns = np.searchsorted(self.classes_, forest.classes_)
            proba[:, columns] += part
        return proba / len(forests)

    def predict(self, X) -> np.ndarray:
        """The class with the highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _comparable_params(model: ShardedForest) -> dict:
    params = model.get_params(deep=True)
    return {
        k: v
        for k, v in params.items()
        if k != "estimator" and k.rsplit("__", 1)[-1] not in ("n_jobs", "verbose")
    }


def _differing_params(a: ShardedForest, b: ShardedForest) -> list[str]:
    pa_, pb = _comparable_params(a), _comparable_params(b)
    names = sorted(set(pa_) | set(pb), key=str)
    return [k for k in names if k not in pa_ or k not in pb or repr(pa_[k]) != repr(pb[k])]


def refit_shards(
    model: ShardedForest, X, y, shard, keys, previous, previous_digests=None
) -> tuple[ShardedForest, np.ndarray]:
    """Fit ``model`` reusing ``previous``'s forests for every shard whose rows are unchanged.

    Parameters
    ----------
    model : ShardedForest
        Unfitted, with the hyper-parameters wanted now.
    X, y, shard, keys
        The new training rows, as for :meth:`ShardedForest.fit`.
    previous : ShardedForest or any fitted model
        The model to update. Anything else than a sharded forest with the same
        hyper-parameters is not reused: every shard is fitted.
    previous_digests : array of str, optional
        :func:`shard_digests` of the old training rows. They must equal the digests
        ``previous`` stored when it was fitted (``shard_digests_``), which decide the
        affected shards either way; a mismatch means ``previous`` was fitted on other
        rows, and is an error.

    Returns
    -------
    model : ShardedForest
        Fitted; equal (fingerprint) to ``model.fit(X, y, shard=shard, keys=keys)``.
    affected : ndarray of int
        The shards fitted anew.
    """
    every = np.arange(_check_n_shards(model.n_shards), dtype=np.int64)
    reusable = isinstance(previous, ShardedForest) and hasattr(previous, "estimators_")
    if not reusable or _differing_params(model, previous):
        return model.fit(X, y, shard=shard, keys=keys), every
    if previous_digests is not None:
        stored = previous.shard_digests_
        mismatch = np.flatnonzero(np.asarray(previous_digests, dtype=object) != stored)
        if len(previous_digests) != len(stored) or len(mismatch):
            raise ValueError(MSG_NOT_FITTED_ON.format(shards=mismatch.tolist()))
    fitted = model.refit(X, y, previous, shards=None, shard=shard, keys=keys)
    return fitted, affected_shards(previous.shard_digests_, fitted.shard_digests_)
