"""Query a crime type's history for new complaints: the serving side of a pattern model.

Patternizr's analysts seed a search with one complaint and read the ranked history of its
crime type (three years back), each recommendation explained family by family. Scoring
that history is the costly part: a pair-feature gather and a random forest over every
candidate. :class:`HistoryIndex` does everything that does not depend on the query once,
when it is built:

* the history is encoded once (:meth:`PairFeaturizer.encode`: projected coordinates,
  density, MO codes, TF-IDF rows), so a query encodes one row and gathers the rest;
* it is kept sorted by start time (FR date and time), so the history window is a binary
  search and a slice, never a scan of the whole history;
* keys are ranked once, so ties in score are broken by ``CMPLNT_NUM`` without sorting
  strings per query, and the query complaint itself is found by binary search.

Spatial blocking (``block_m``) is a vectorised float32 distance test over the window's
slice: about a millisecond for 300k candidates, less than one tree of the forest, so a
grid would buy nothing once the window has been cut by time. What blocking saves is the
forest: only the candidates within ``block_m`` metres are featurized and scored. What it
costs is recall, which :meth:`HistoryIndex.blocking_recall` measures: the share of the
unblocked top ``k`` that blocking drops, and the share of a pattern's other members in the
window that lie beyond ``block_m`` (issue 5: "Blocking is allowed; measure and report the
recall it loses").

Scores and explanations are exactly those of scoring every candidate pair one by one
(:meth:`PairFeaturizer.pair_features` then ``model.predict_proba``), only computed once.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils.validation import check_is_fitted

from .._errors import BadInput
from ..features import FAMILIES, EncodedComplaints, PairFeaturizer
from ..tables import position_in
from ._pattern import _positive_proba
from ._shards import ShardedForest

__all__ = ["HistoryIndex", "rank_history"]

#: Features where a *smaller* value means *more* similar (gaps and distances).
GAP_FEATURES = frozenset(
    {
        "distance_m",
        "density_distance",
        "days_apart",
        "window_gap_days",
        "time_of_day_gap_h",
        "day_of_week_gap",
        "susp_height_gap",
        "susp_weight_gap",
        "susp_age_gap",
        "susp_count_gap",
    }
)
#: The headline figures every result row carries besides the family similarities.
HEADLINE = ("distance_m", "days_apart", "narrative_cosine")

#: Fewest candidate rows worth a thread of their own.
_MIN_CHUNK = 4096

MSG_ONE_COMPLAINT = (
    "HistoryIndex.query takes one complaint (a one-row DataFrame); got {n} rows; "
    "use query_many to rank several"
)
MSG_NOT_A_FRAME = "complaints must be a pandas DataFrame with the contract's columns; got {kind}"
MSG_DUPLICATE_KEYS = (
    "history has {n} duplicated CMPLNT_NUM value(s), e.g. {examples}; each candidate complaint "
    "must appear once"
)
MSG_UNDATED = (
    "{n} query complaint(s) have no CMPLNT_FR_DT ({keys}); the history window is counted "
    "back from it"
)
MSG_BAD_JOBS = "n_jobs must be a positive whole number of threads; got {n_jobs!r}"
MSG_BAD_K = "k must be a positive whole number; got {k!r}"
MSG_BAD_DAYS = "history_days must be a non-negative number of days; got {days!r}"
MSG_BAD_BLOCK = "block_m must be a positive distance in metres or None; got {block!r}"


def _take(encoded: EncodedComplaints, rows: np.ndarray) -> EncodedComplaints:
    """The encoded complaints at ``rows``, in that order (every per-complaint array)."""
    changes = {}
    for field in dataclasses.fields(encoded):
        value = getattr(encoded, field.name)
        if isinstance(value, tuple):
            changes[field.name] = tuple(v[rows] for v in value)
        else:
            changes[field.name] = value[rows]
    return dataclasses.replace(encoded, **changes)


def _percentiles(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``pd.Series(values).rank(pct=True).fillna(0.5)`` evaluated at ``rows`` only.

    Average rank of ties over the non-missing values, divided by their count; a missing
    value is 0.5. ``len(rows) * len(values)`` comparisons instead of a sort: the result
    needs a handful of rows, the candidates can be hundreds of thousands.
    """
    picked = values[rows]
    valid = int(np.count_nonzero(~np.isnan(values)))
    if not len(rows) or not valid:
        return np.full(len(rows), 0.5)
    less = (values[None, :] < picked[:, None]).sum(axis=1)
    equal = (values[None, :] == picked[:, None]).sum(axis=1)
    out = (less + (equal + 1) / 2.0) / valid
    return np.where(np.isnan(picked), 0.5, out)


def _plain_forest(model) -> bool:
    """A fitted single-output scikit-learn random forest whose predict_proba is sklearn's."""
    return (
        isinstance(model, RandomForestClassifier)
        and type(model).predict_proba is RandomForestClassifier.predict_proba
        and hasattr(model, "estimators_")
        and model.n_outputs_ == 1
    )


def _forest_column(forest, X32: np.ndarray, label) -> np.ndarray | None:
    """``forest.predict_proba(X)[:, column of label]`` with sklearn's own float64 sums.

    Tree by tree, in the forest's order, the leaf's class fraction is added, then the sum
    is divided by the number of trees: the additions ``predict_proba`` makes (with
    ``n_jobs=1``), for one column instead of all. None when the forest never saw ``label``.
    """
    where = np.flatnonzero(forest.classes_ == label)
    if not len(where):
        return None
    column = int(where[0])
    total = np.zeros(len(X32))
    for tree in forest.estimators_:
        nodes = tree.tree_
        total += nodes.value[:, 0, column][nodes.apply(X32)]
    return total / len(forest.estimators_)


def _positive_scores(model, X: pd.DataFrame) -> np.ndarray:
    """``model.predict_proba(X)[:, 1]``, bit for bit, without per-tree overhead for forests.

    For a scikit-learn random forest, or a :class:`ShardedForest` of them, the trees are
    applied to one float32 copy of ``X`` and the positive class's leaf fractions summed in
    the model's own order, so scores and therefore ties are exactly ``predict_proba``'s
    (a test holds both to equality). It matters at serving scale: per tree,
    ``predict_proba`` re-validates the input, dispatches through joblib and gathers every
    class, which costs as much as the tree walks on ~20k candidates. Any other model, or
    features not in the order the model was fitted on, goes through ``predict_proba``.
    """
    if isinstance(model, ShardedForest) and type(model).predict_proba is (
        ShardedForest.predict_proba
    ):
        forests = [f for f in getattr(model, "estimators_", []) if f is not None]
        fast = len(forests) > 0 and len(model.classes_) > 1 and all(map(_plain_forest, forests))
    else:
        forests = [model]
        fast = _plain_forest(model) and len(model.classes_) > 1
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        fast = fast and getattr(model, "n_features_in_", -1) == X.shape[1]
    else:
        fast = fast and list(names) == list(X.columns)
    if not fast:  # a model that never saw a positive pair scores 0, never an IndexError
        return _positive_proba(model, X)
    X32 = np.ascontiguousarray(X.to_numpy(dtype=np.float32))
    label = model.classes_[1]
    if len(forests) == 1 and forests[0] is model:
        return _forest_column(model, X32, label)
    total = np.zeros(len(X32))  # ShardedForest: shard by shard, then the mean
    for forest in forests:
        part = _forest_column(forest, X32, label)
        if part is not None:
            total += part
    return total / len(forests)


def _scores(model, X: pd.DataFrame, n_jobs: int) -> np.ndarray:
    """:func:`_positive_scores` over ``n_jobs`` row chunks in threads (same numbers).

    Each row's score is computed exactly as in one call (trees walk rows independently),
    and the tree walks release the GIL, so two cores halve a large query's forest time.
    """
    if n_jobs <= 1 or len(X) < 2 * _MIN_CHUNK:
        return _positive_scores(model, X)
    parts = min(n_jobs, len(X) // _MIN_CHUNK)
    bounds = np.linspace(0, len(X), parts + 1).astype(np.int64)
    chunks = [X.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(parts) as pool:
        return np.concatenate(list(pool.map(lambda chunk: _positive_scores(model, chunk), chunks)))


def _top(score: np.ndarray, tiebreak: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` best scores, best first, ties by ``tiebreak`` (ascending)."""
    n = len(score)
    pool = np.arange(n)
    if n > k and np.isfinite(score).all():
        kth = np.partition(score, n - k)[n - k]
        pool = np.flatnonzero(score >= kth)  # every row tied with the k-th stays in play
    return pool[np.lexsort((tiebreak[pool], -score[pool]))][:k]


class HistoryIndex:
    """A crime type's candidate history, encoded once, for ranking new complaints against.

    Build one per crime type and model version; a serving process keeps it and calls
    :meth:`query` per request. The index holds no model: the same history serves any
    forest fitted with ``featurizer``.

    Parameters
    ----------
    featurizer : PairFeaturizer
        The fitted featurizer of the model that will score (its vocabulary, MO rarities
        and density grid are the ones the forest was trained on).
    history : DataFrame
        Candidate complaints of the type (the contract's complaint columns; extra columns
        are ignored). The caller passes clean data only: serving filters it against the
        current registry before building the index. ``CMPLNT_NUM`` must be unique.
    n_jobs : int, default 1
        Threads scoring one query's candidates, in row chunks: the results do not depend
        on it (each row is scored exactly as in one call), the latency does.

    Attributes
    ----------
    featurizer : PairFeaturizer
    n_jobs : int
    keys : ndarray of str
        ``CMPLNT_NUM`` of the candidates, in index (start time, then key) order.
    start_s : ndarray of float64
        Their start times (FR date and time, seconds since the epoch), ascending.

    Raises
    ------
    BadInput
        ``history`` is not a DataFrame, lacks a contract column, or repeats a key.

    Examples
    --------
    >>> index = HistoryIndex(featurizer, clean_burglaries)        # doctest: +SKIP
    >>> index.query(forest, new_complaint, k=10, block_m=3000.0)   # doctest: +SKIP
    """

    def __init__(self, featurizer: PairFeaturizer, history: pd.DataFrame, n_jobs: int = 1):
        check_is_fitted(featurizer)
        if not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
            raise BadInput(MSG_BAD_JOBS.format(n_jobs=n_jobs))
        self.n_jobs = int(n_jobs)
        encoded = _encode(featurizer, history)
        keys = encoded.keys.astype(str)
        sorted_keys, first, counts = np.unique(keys, return_index=True, return_counts=True)
        if (counts > 1).any():
            dup = sorted_keys[counts > 1]
            raise BadInput(MSG_DUPLICATE_KEYS.format(n=len(dup), examples=dup[:5].tolist()))
        key_rank = np.empty(len(keys), np.int64)
        key_rank[first] = np.arange(len(keys))
        order = np.lexsort((key_rank, encoded.start_s))
        self.featurizer = featurizer
        self._encoded = _take(encoded, order)
        self.keys = keys[order]
        self.start_s = self._encoded.start_s
        self._key_rank = key_rank[order]
        self._sorted_keys = sorted_keys  # key rank r <-> sorted_keys[r]
        self._position_of_rank = np.argsort(self._key_rank)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"HistoryIndex({len(self):,} candidates)"

    # -- candidates --------------------------------------------------------------------------
    def _window(self, start: float, history_days: float) -> tuple[int, int]:
        """Index rows whose start lies in ``[start - history_days, start]``."""
        lo = np.searchsorted(self.start_s, start - history_days * 86_400.0, side="left")
        hi = np.searchsorted(self.start_s, start, side="right")
        return int(lo), int(hi)

    def _own_position(self, key: str) -> int:
        """Index row of ``key`` if the history holds it, else -1."""
        at = int(np.searchsorted(self._sorted_keys, key))
        if at < len(self._sorted_keys) and self._sorted_keys[at] == key:
            return int(self._position_of_rank[at])
        return -1

    def _near(self, query: EncodedComplaints, i: int, rows: np.ndarray, block_m) -> np.ndarray:
        """Which ``rows`` lie within ``block_m`` metres of query ``i`` (no place: none)."""
        x, y = self._encoded.x_m, self._encoded.y_m
        return np.hypot(x[rows] - query.x_m[i], y[rows] - query.y_m[i]) <= block_m

    def _candidates(self, query, i, history_days, block_m, window=None) -> np.ndarray:
        """Index rows query ``i`` is scored against: the window, minus itself, blocked."""
        lo, hi = window or self._window(query.start_s[i], history_days)
        own = self._own_position(str(query.keys[i]))
        if block_m is None:
            rows = np.arange(lo, hi)
        else:  # a contiguous slice, so the distance test reads memory in order
            x = self._encoded.x_m[lo:hi]
            y = self._encoded.y_m[lo:hi]
            rows = lo + np.flatnonzero(np.hypot(x - query.x_m[i], y - query.y_m[i]) <= block_m)
        if lo <= own < hi:
            rows = rows[rows != own]
        return rows

    # -- ranking -----------------------------------------------------------------------------
    def _ranked(self, model, query, plans, k):
        """Score each query's candidates (one forest call per batch) and rank them.

        ``plans`` yields, for query rows 0, 1, ... in turn, the index rows to score; it
        is consumed lazily, so unblocked plans of many queries are never all in memory.
        Yields ``(frame, chosen)`` per query: the result frame and the index rows it lists.
        """
        budget = 2_000_000  # pairs per forest call: bounds memory on unblocked queries
        batch, owners, pairs = [], [], 0
        for i, rows in enumerate(plans):
            if batch and pairs + len(rows) > budget:
                yield from self._score_batch(model, query, batch, owners, k)
                batch, owners, pairs = [], [], 0
            batch.append(rows)
            owners.append(i)
            pairs += len(rows)
        if batch:
            yield from self._score_batch(model, query, batch, owners, k)

    def _score_batch(self, model, query, batch, owners, k):
        sizes = np.array([len(rows) for rows in batch], dtype=np.int64)
        left = np.repeat(np.asarray(owners, dtype=np.int64), sizes)
        right = np.concatenate(batch)
        X = self.featurizer.pair_features(query, left, right, right_encoded=self._encoded)
        score = _scores(model, X, self.n_jobs) if len(X) else np.zeros(0)
        columns = {name: X[name].to_numpy(dtype=np.float64) for name in X.columns}
        bounds = np.r_[0, np.cumsum(sizes)]
        for j, rows in enumerate(batch):
            part = slice(bounds[j], bounds[j + 1])
            block = {name: values[part] for name, values in columns.items()}
            yield self._explain(block, score[part], rows, k)

    def _explain(self, columns: dict, score: np.ndarray, rows: np.ndarray, k: int):
        """The top ``k`` of one query's scored candidates, with per-family similarities.

        Returns the result frame and the index rows of its entries.
        """
        best = _top(score, self._key_rank[rows], k)
        out = {
            "rank": np.arange(1, len(best) + 1),
            "CMPLNT_NUM": pd.Series(self.keys[rows[best]], dtype="str"),
            "score": score[best].astype(np.float64),
        }
        for family, names in FAMILIES.items():
            present = [n for n in names if n in columns]
            percentiles = [
                _percentiles(-columns[n] if n in GAP_FEATURES else columns[n], best)
                for n in present
            ]
            sim = np.mean(percentiles, axis=0) if percentiles else np.full(len(best), np.nan)
            out[f"sim_{family}"] = np.asarray(sim, dtype=np.float64)
        for name in HEADLINE:
            out[name] = columns[name][best].astype(np.float32)
        out = pd.DataFrame(out)
        return out, rows[best]

    def _prepare(self, complaints, k, history_days, block_m) -> EncodedComplaints:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise BadInput(MSG_BAD_K.format(k=k))
        if not np.isfinite(history_days) or history_days < 0:
            raise BadInput(MSG_BAD_DAYS.format(days=history_days))
        if block_m is not None and not (np.isfinite(block_m) and block_m > 0):
            raise BadInput(MSG_BAD_BLOCK.format(block=block_m))
        query = _encode(self.featurizer, complaints)
        undated = complaints["CMPLNT_FR_DT"].isna().to_numpy(dtype=bool)
        if undated.any():
            keys = query.keys[undated][:5].tolist()
            raise BadInput(MSG_UNDATED.format(n=int(undated.sum()), keys=keys))
        return query

    def query(
        self,
        model,
        complaint: pd.DataFrame,
        k: int = 10,
        history_days: float = 1095,
        block_m: float | None = None,
    ) -> pd.DataFrame:
        """The top ``k`` of the history for one complaint, with per-family explanations.

        Candidates are the history's complaints whose start (FR date and time) lies within
        ``history_days`` before the complaint's, the complaint itself excluded (by
        ``CMPLNT_NUM``), and, with ``block_m``, within ``block_m`` metres of it.

        Parameters
        ----------
        model : fitted classifier
            The type's pattern forest (anything with ``predict_proba`` over the
            featurizer's pair features).
        complaint : DataFrame
            Exactly one complaint (the contract's complaint columns).
        k : int, default 10
        history_days : float, default 1095
            How far back the history reaches (Patternizr: three years).
        block_m : float, optional
            Spatial blocking radius in metres: farther candidates are not scored. Cheaper,
            and loses the recall :meth:`blocking_recall` reports.

        Returns
        -------
        DataFrame
            At most ``k`` rows, best first: ``rank`` (1 = best), ``CMPLNT_NUM``, ``score``
            (same-pattern probability), one ``sim_<family>`` per family of
            :data:`~sanitizer.features.FAMILIES` (mean percentile of the pair's features in
            that family among the scored candidates, 1 = more similar than every other
            candidate, 0.5 where a feature is missing) and the headline figures
            ``distance_m``, ``days_apart``, ``narrative_cosine``. Ties in score go to the
            smaller ``CMPLNT_NUM``.

        Raises
        ------
        BadInput
            ``complaint`` is not exactly one row, lacks a contract column or its
            ``CMPLNT_FR_DT``, or ``k``, ``history_days`` or ``block_m`` is out of range.
        """
        if not isinstance(complaint, pd.DataFrame):
            raise BadInput(MSG_NOT_A_FRAME.format(kind=type(complaint).__name__))
        if len(complaint) != 1:
            raise BadInput(MSG_ONE_COMPLAINT.format(n=len(complaint)))
        found = self.query_many(model, complaint, k, history_days, block_m)
        return found.drop(columns="query").reset_index(drop=True)

    def query_many(
        self,
        model,
        complaints: pd.DataFrame,
        k: int = 10,
        history_days: float = 1095,
        block_m: float | None = None,
    ) -> pd.DataFrame:
        """:meth:`query` for each of several complaints, scored in batched forest calls.

        Each complaint is ranked on its own (its window, its exclusion, its percentiles);
        batching only saves the per-call cost of the forest.

        Returns
        -------
        DataFrame
            :meth:`query`'s columns preceded by ``query`` (the complaint's ``CMPLNT_NUM``),
            in the order of ``complaints``.
        """
        query = self._prepare(complaints, k, history_days, block_m)
        plans = (self._candidates(query, i, history_days, block_m) for i in range(len(query)))
        frames = []
        for i, (frame, _) in enumerate(self._ranked(model, query, plans, k)):
            frames.append(frame.assign(query=str(query.keys[i])))
        if not frames:  # no complaint asked: the columns, no rows
            empty, _ = self._explain(
                {n: np.zeros(0) for n in HEADLINE}, np.zeros(0), np.zeros(0, np.int64), k
            )
            frames = [empty.assign(query=pd.Series([], dtype="str"))]
        out = pd.concat(frames, ignore_index=True)
        out["query"] = out["query"].astype("str")
        return out[["query", *[c for c in out.columns if c != "query"]]]

    # -- what blocking costs ---------------------------------------------------------------
    def blocking_recall(
        self,
        complaints: pd.DataFrame,
        block_m: float,
        model=None,
        k: int = 10,
        history_days: float = 1095,
        sets: pd.DataFrame | None = None,
    ) -> dict:
        """The recall spatial blocking at ``block_m`` loses, for these query complaints.

        Two measures, pooled over the queries:

        ``top_k_lost``
            Share of the *unblocked* top ``k`` lying farther than ``block_m`` (or without
            a place). Blocking removes candidates but changes no score, so every other
            member of the unblocked top ``k`` stays in the blocked top ``k``: this is
            exactly the share of the true top ``k`` that blocking loses. Needs ``model``;
            costs one unblocked query per complaint.
        ``pattern_lost``
            Share of each query's fellow pattern (set) members inside its history window
            that lie farther than ``block_m``: the targets blocking makes unreachable
            whatever the model. Needs ``sets``; no model call.

        Parameters
        ----------
        complaints : DataFrame
            The query complaints.
        block_m : float
        model : fitted classifier, optional
        k : int, default 10
        history_days : float, default 1095
        sets : DataFrame, optional
            ``SET_ID`` and ``CMPLNT_NUM`` (e.g. held-out pattern memberships); a query
            counts for ``pattern_lost`` when it belongs to a set.

        Returns
        -------
        dict
            ``block_m``, ``k``, ``queries``, ``candidates_mean`` and
            ``candidates_blocked_mean`` (per query, before and after blocking),
            ``candidates_kept`` (their ratio), ``top_k`` (unblocked top-k entries
            checked), ``top_k_lost``, ``pattern_targets`` (fellow members in window) and
            ``pattern_lost``; a figure that was not asked for is None.
        """
        query = self._prepare(complaints, k, history_days, block_m)
        n = len(query)
        windows = [self._window(query.start_s[i], history_days) for i in range(n)]
        before, after = np.zeros(n), np.zeros(n)
        for i, (lo, hi) in enumerate(windows):
            before[i] = hi - lo - int(lo <= self._own_position(str(query.keys[i])) < hi)
            after[i] = len(self._candidates(query, i, history_days, block_m, (lo, hi)))
        before = float(before.mean()) if n else float("nan")
        after = float(after.mean()) if n else float("nan")
        out = {
            "block_m": float(block_m),
            "k": int(k),
            "queries": n,
            "candidates_mean": before,
            "candidates_blocked_mean": after,
            "candidates_kept": after / before if before else float("nan"),
            "top_k": None,
            "top_k_lost": None,
            "pattern_targets": None,
            "pattern_lost": None,
        }
        if model is not None:
            top, lost = 0, 0
            plans = (self._candidates(query, i, history_days, None, windows[i]) for i in range(n))
            for i, (_, chosen) in enumerate(self._ranked(model, query, plans, k)):
                top += len(chosen)
                lost += int((~self._near(query, i, chosen, block_m)).sum())
            out["top_k"], out["top_k_lost"] = top, (lost / top if top else float("nan"))
        if sets is not None:
            out["pattern_targets"], out["pattern_lost"] = self._pattern_loss(
                query, windows, sets, block_m
            )
        return out

    def _pattern_loss(self, query, windows, sets, block_m) -> tuple[int, float]:
        """Fellow set members in each query's window, and the share beyond ``block_m``."""
        sets = pd.DataFrame(
            {"SET_ID": sets["SET_ID"].astype("str"), "key": sets["CMPLNT_NUM"].astype("str")}
        ).drop_duplicates()
        asked = pd.DataFrame(
            {"q": np.arange(len(query)), "key": pd.Series(query.keys.astype(str), dtype="str")}
        )
        mine = asked.merge(sets, on="key")[["q", "key", "SET_ID"]]
        fellows = mine.merge(sets, on="SET_ID", suffixes=("", "_fellow"))
        fellows = fellows[(fellows["key_fellow"] != fellows["key"]).to_numpy(dtype=bool)]
        fellows = fellows.drop_duplicates(["q", "key_fellow"])
        q = fellows["q"].to_numpy(np.int64)
        rank = position_in(fellows["key_fellow"], self._sorted_keys)
        row = np.where(rank >= 0, self._position_of_rank[np.maximum(rank, 0)], -1)
        bounds = np.array(windows, dtype=np.int64).reshape(-1, 2)
        inside = (row >= 0) & (row >= bounds[q, 0]) & (row < bounds[q, 1])
        q, row = q[inside], row[inside]
        x, y = self._encoded.x_m, self._encoded.y_m
        near = np.hypot(x[row] - query.x_m[q], y[row] - query.y_m[q]) <= block_m
        targets = int(len(row))
        return targets, (float((~near).sum()) / targets if targets else float("nan"))


def _encode(featurizer: PairFeaturizer, complaints) -> EncodedComplaints:
    """The featurizer's encoding, with a missing column reported as bad input."""
    if not isinstance(complaints, pd.DataFrame):
        raise BadInput(MSG_NOT_A_FRAME.format(kind=type(complaints).__name__))
    try:
        return featurizer.encode(complaints)
    except ValueError as error:
        raise BadInput(str(error)) from error


def rank_history(
    model,
    featurizer: PairFeaturizer,
    complaint: pd.DataFrame,
    history: pd.DataFrame,
    k: int = 10,
    history_days: int = 1095,
    block_m: float | None = None,
) -> pd.DataFrame:
    """The top ``k`` of a type's history for one complaint, with per-family explanations.

    A one-off :class:`HistoryIndex` query: it encodes the whole history on every call, so
    a process answering many queries should build the index once and call
    :meth:`HistoryIndex.query` instead (same results).

    Parameters
    ----------
    model : fitted classifier
        The type's pattern forest.
    featurizer : PairFeaturizer
        Its fitted featurizer.
    complaint : DataFrame
        One complaint (contract columns).
    history : DataFrame
        Candidate complaints of the same type; the caller passes clean data only (the
        serving guard filters it against the current registry).
    k : int, default 10
    history_days : int, default 1095
        Only candidates whose FR date lies within this many days before the complaint.
    block_m : float, optional
        Spatial blocking: drop candidates farther than this many metres before scoring
        (cheaper; the recall it loses is measured by :meth:`HistoryIndex.blocking_recall`
        and ``rebuild(..., block_m=...)``).

    Returns
    -------
    DataFrame
        See :meth:`HistoryIndex.query`.
    """
    return HistoryIndex(featurizer, history).query(model, complaint, k, history_days, block_m)
