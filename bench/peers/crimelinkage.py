"""Pair-model quality on the crimelinkage example data: our forest beside its naive Bayes.

The R package crimelinkage (M. D. Porter, 0.0.4, GPL-3) ships 490 fictitious but
realistic residential burglaries with their offenders; ``../shared/data/crimelinkage``
holds them as CSV (read from there, never copied into the repository). This module
rebuilds, in numpy, what the package's vignette does with them, and adapts the same
crimes to our featurizer:

1. :func:`make_pairs` is ``makeSeriesData`` + ``makePairs(thres=365, m=40)``: every pair
   of one offender's crimes within 365 days (weight 1/number of the offender's pairs),
   and ``m`` unlinked pairs per crime group (connected component of the co-offending
   graph) drawn against other groups.
2. :func:`evidence` is ``compareCrimes(binary=TRUE)``: Euclidean distance in km, the
   Monte Carlo expected absolute gaps in days, time of day and day of week over the two
   FR/TO windows (2,000 draws, as in R, seeded), and one match/no-match per MO column.
3. :class:`HistogramNaiveBayes` is ``naiveBayes(df=10, nbins=15, partition='quantile')``:
   quantile bins, weighted counts per bin shrunk by pseudo-counts worth ``df`` degrees of
   freedom, Bayes factor ``p(bin | linked) / p(bin | unlinked)``, score the sum of log
   Bayes factors (``predictNB``).
4. :func:`as_complaints` maps the crimes onto the contract's complaint columns so that
   :class:`~sanitizer.features.PairFeaturizer` (with ``mo_columns`` MO1-MO3) computes the
   location, date-time and MO families on the same pairs.

The split (:func:`split_groups`) is by crime group, stratified into groups with and
without linked pairs: a pair is a test pair when either crime belongs to a held-out
group, so no test crime, and no test series, is seen in training.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from sanitizer.features import FAMILIES
from sanitizer.features._pairs import _LAT0, _LON0, _M_PER_DEG_LAT, _M_PER_DEG_LON

from .._harness import ROOT

DATA = ROOT.parent / "shared" / "data" / "crimelinkage"
MO = ("MO1", "MO2", "MO3")
#: The crimelinkage evidence variables used by the vignette's models.
EVIDENCE = ("spatial", "temporal", "tod", "dow", *MO)
_DAY = 86_400.0
_DRAWS_PER_BLOCK = 50


# -- data ------------------------------------------------------------------------------------
def load(directory=DATA) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``crimes`` (DT.FROM/DT.TO as datetimes, MO as strings) and ``offenders``.

    Offender rows of crimes absent from ``crimes.csv`` (the package's wider set) are
    dropped, as ``makeSeriesData`` does.
    """
    crimes = pd.read_csv(directory / "crimes.csv", dtype={c: "str" for c in ("crimeID", *MO)})
    for column in ("DT.FROM", "DT.TO"):
        crimes[column] = pd.to_datetime(crimes[column]).astype("datetime64[s]")
    offenders = pd.read_csv(directory / "offenders.csv", dtype="str")
    offenders = offenders[offenders["crimeID"].isin(set(crimes["crimeID"]))]
    offenders = offenders.drop_duplicates().reset_index(drop=True)
    return crimes.reset_index(drop=True), offenders


def as_complaints(crimes: pd.DataFrame) -> pd.DataFrame:
    """The crimes in the contract's complaint columns, for :class:`PairFeaturizer`.

    ``X, Y`` (planar metres) become the latitude and longitude that the featurizer's
    fixed projection maps back onto ``X, Y``, so its ``distance_m`` is the Euclidean
    distance of the data; FR/TO split into date and ``HH:MM:SS``; MO1-MO3 kept under
    their names (pass ``mo_columns=MO_COLUMNS_HERE``); suspect, narrative and property
    columns are empty (the data has none).
    """
    start = crimes["DT.FROM"]
    end = crimes["DT.TO"]
    empty = pd.Series(pd.NA, index=crimes.index, dtype="str")
    out = pd.DataFrame(
        {
            "CMPLNT_NUM": crimes["crimeID"].astype("str"),
            "CMPLNT_FR_DT": start.dt.floor("D"),
            "CMPLNT_FR_TM": start.dt.strftime("%H:%M:%S").astype("str"),
            "CMPLNT_TO_DT": end.dt.floor("D"),
            "CMPLNT_TO_TM": end.dt.strftime("%H:%M:%S").astype("str"),
            "Latitude": _LAT0 + crimes["Y"].to_numpy(np.float64) / _M_PER_DEG_LAT,
            "Longitude": _LON0 + crimes["X"].to_numpy(np.float64) / _M_PER_DEG_LON,
        }
    )
    for column in MO:
        out[column] = crimes[column].astype("str")
    out["PROPERTY_TAKEN"] = empty
    out["SUSP_AGE_GROUP"] = empty
    out["SUSP_HEIGHT_IN"] = np.nan
    out["SUSP_WEIGHT_LB"] = np.nan
    out["SUSP_COUNT"] = pd.array([pd.NA] * len(crimes), dtype="Int64")
    out["NARRATIVE"] = empty
    return out


#: ``mo_columns`` for the featurizer on this data (PROPERTY_TAKEN: it always reads it).
MO_COLUMNS_HERE = (*MO, "PROPERTY_TAKEN")
#: Our features in the three families the data supports (no property, suspect, text).
OUR_FEATURES = (
    *FAMILIES["location"],
    *FAMILIES["date_time"],
    *(f"{c.lower()}_match" for c in MO),
)


# -- pairs (makeSeriesData, makeGroups, makePairs) -------------------------------------------
def series_data(crimes: pd.DataFrame, offenders: pd.DataFrame) -> pd.DataFrame:
    """One row per (offender, crime) with the crime's midpoint ``TIME`` and row ``Index``."""
    index = pd.Index(crimes["crimeID"])
    rows = offenders.sort_values(["offenderID", "crimeID"], kind="stable").reset_index(drop=True)
    position = index.get_indexer(rows["crimeID"])
    start = crimes["DT.FROM"].to_numpy("datetime64[s]").astype(np.int64)[position]
    end = crimes["DT.TO"].to_numpy("datetime64[s]").astype(np.int64)[position]
    rows["Index"] = position
    rows["TIME"] = (start + end) / 2.0
    return rows


def crime_groups(series: pd.DataFrame, n_crimes: int) -> np.ndarray:
    """Crime group of every crime (``makeGroups(method=1)``); -1 for unsolved crimes.

    Two offenders who ever co-offended are in one group, with all their crimes: the
    connected components of the crime-offender graph.
    """
    offenders, who = np.unique(series["offenderID"].to_numpy(dtype=object), return_inverse=True)
    crime = series["Index"].to_numpy()
    n = n_crimes + len(offenders)
    graph = sparse.coo_matrix((np.ones(len(crime)), (crime, n_crimes + who)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    solved = np.zeros(n_crimes, bool)
    solved[crime] = True
    _, group = np.unique(labels[:n_crimes][solved], return_inverse=True)
    out = np.full(n_crimes, -1, np.int64)
    out[solved] = group
    return out


def make_pairs(
    crimes: pd.DataFrame,
    offenders: pd.DataFrame,
    thres: float = 365.0,
    m: int = 40,
    seed: int = 0,
) -> pd.DataFrame:
    """Linked and unlinked crime pairs with weights, as ``makePairs(thres, m)``.

    Returns
    -------
    DataFrame
        ``i1, i2`` (row positions in ``crimes``, ``i1 < i2``), ``weight``, ``linked``
        (1/0); linked pairs first, each part sorted.
    """
    series = series_data(crimes, offenders)
    n = len(crimes)
    # linked: every pair of one offender's crimes no more than `thres` days apart
    codes, weights = [], []
    for _, rows in series.groupby("offenderID", sort=True):
        idx, time = rows["Index"].to_numpy(), rows["TIME"].to_numpy()
        a, b = np.triu_indices(len(idx), 1)
        near = np.abs(time[a] - time[b]) <= thres * _DAY
        lo, hi = np.minimum(idx[a], idx[b])[near], np.maximum(idx[a], idx[b])[near]
        code = np.unique((lo * n + hi)[lo != hi])
        codes.append(code)
        weights.append(np.full(len(code), 1.0 / max(len(code), 1)))
    code, weight = np.concatenate(codes), np.concatenate(weights)
    order = np.lexsort((weight, code))  # a pair in several series keeps its smallest weight
    code, weight = code[order], weight[order]
    first = np.r_[True, code[1:] != code[:-1]]
    linked = pd.DataFrame({"i1": code[first] // n, "i2": code[first] % n, "weight": weight[first]})
    # unlinked: m crimes of each group against crimes of other groups, weighted so that
    # every other group is equally likely
    group = crime_groups(series, n)
    time = np.full(n, np.nan)
    time[series["Index"].to_numpy()] = series["TIME"].to_numpy()
    solved = np.flatnonzero(group >= 0)
    n_groups = int(group.max()) + 1
    sizes = np.bincount(group[solved], minlength=n_groups)
    wt = 1.0 / ((n_groups - 1) * sizes[group[solved]])
    rng = np.random.default_rng(seed)
    found = []
    for g in range(n_groups):
        mine = solved[group[solved] == g]
        others = group[solved] != g
        i1 = rng.choice(mine, m, replace=True)
        take = min(m, int(others.sum()))  # R's sample() would stop on a tiny world
        i1 = i1[:take]
        i2 = rng.choice(solved[others], take, replace=False, p=wt[others] / wt[others].sum())
        near = np.abs(time[i1] - time[i2]) <= thres * _DAY
        found.append(np.minimum(i1, i2)[near] * n + np.maximum(i1, i2)[near])
    code = np.unique(np.concatenate(found))
    unlinked = pd.DataFrame({"i1": code // n, "i2": code % n, "weight": 1.0})
    return pd.concat(
        [linked.assign(linked=1), unlinked.assign(linked=0)], ignore_index=True
    ).astype({"i1": np.int64, "i2": np.int64, "linked": np.int8})


def split_groups(
    crimes: pd.DataFrame,
    offenders: pd.DataFrame,
    pairs: pd.DataFrame,
    test_fraction: float = 0.3,
    seed: int = 0,
) -> np.ndarray:
    """Whether each pair is a test pair: either crime lies in a held-out crime group.

    Groups are ordered by a seeded hash of their smallest crime ID and held out in that
    order, separately among groups with linked pairs (series: about ``test_fraction`` of
    all linked pairs, counting a group in when the middle of its pairs falls within that
    share, as series differ much in size) and groups without (``test_fraction`` of them).
    """
    series = series_data(crimes, offenders)
    group = crime_groups(series, len(crimes))
    n_groups = int(group.max()) + 1
    linked = pairs[pairs["linked"] == 1]
    has_series = np.zeros(n_groups, bool)
    has_series[group[linked["i1"].to_numpy()]] = True
    ids = crimes["crimeID"].to_numpy(dtype=object)
    name = pd.Series(ids[group >= 0]).groupby(group[group >= 0]).min().to_numpy(dtype=object)
    score = np.array(
        [int.from_bytes(hashlib.sha256(f"{seed}\x1f{k}".encode()).digest()[:8]) for k in name]
    )
    held = np.zeros(n_groups, bool)
    series_pairs = np.bincount(group[linked["i1"].to_numpy()], minlength=n_groups)
    for kind in (True, False):
        members = np.flatnonzero(has_series == kind)
        members = members[np.argsort(score[members], kind="stable")]
        size = series_pairs[members] if kind else np.ones(len(members))
        middle = np.cumsum(size) - size / 2.0  # held out when its middle is in the share
        held[members[middle <= test_fraction * size.sum()]] = True
    g1, g2 = group[pairs["i1"].to_numpy()], group[pairs["i2"].to_numpy()]
    return held[g1] | held[g2]


# -- evidence variables (compareCrimes) ------------------------------------------------------
def evidence(
    crimes: pd.DataFrame, pairs: pd.DataFrame, niters: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """crimelinkage's evidence variables of each pair (``compareCrimes``, ``binary=TRUE``).

    ``temporal``, ``tod`` and ``dow`` are Monte Carlo means over ``niters`` uniform draws
    inside both FR/TO windows, computed as R's ``compareTemporal`` does, including its
    day-of-week term, which adds the time of day to a fractional weekday that already
    holds it. MO matches: 1 when equal or both missing, else 0 (a categorical level).
    """
    i1, i2 = pairs["i1"].to_numpy(), pairs["i2"].to_numpy()
    x, y = crimes["X"].to_numpy(np.float64), crimes["Y"].to_numpy(np.float64)
    out = {"spatial": np.hypot(x[i1] - x[i2], y[i1] - y[i2]) / 1000.0}
    start = crimes["DT.FROM"].to_numpy("datetime64[s]").astype(np.int64).astype(np.float64)
    end = crimes["DT.TO"].to_numpy("datetime64[s]").astype(np.int64).astype(np.float64)
    hours = np.abs(end - start) / 3600.0
    tod = (start % _DAY) / 3600.0
    # R: dow = match(weekday, Sun..Sat), dow.f = dow + tod/24 - 1; 1970-01-01 a Thursday
    dow_f = ((start // _DAY) + 4) % 7 + tod / 24.0
    t_diff = (start[i1] - start[i2]) / _DAY
    rng = np.random.default_rng(seed)
    total = np.zeros((3, len(i1)))
    for done in range(0, niters, _DRAWS_PER_BLOCK):  # blocks of draws: (draws, pairs)
        shape = (min(_DRAWS_PER_BLOCK, niters - done), len(i1))
        h_a = rng.random(shape) * hours[i1]
        h_b = rng.random(shape) * hours[i2]
        total[0] += np.abs(t_diff + (h_a - h_b) / 24.0).sum(axis=0)
        tod_a, tod_b = tod[i1] + h_a, tod[i2] + h_b
        total[1] += _circular_gap(tod_a % 24.0, tod_b % 24.0, 24.0).sum(axis=0)
        dow_a = (dow_f[i1] + tod_a / 24.0) % 7.0
        dow_b = (dow_f[i2] + tod_b / 24.0) % 7.0
        total[2] += _circular_gap(dow_a, dow_b, 7.0).sum(axis=0)
    out["temporal"], out["tod"], out["dow"] = total / niters
    for column in MO:
        a = crimes[column].to_numpy(dtype=object, na_value=None)[i1]
        b = crimes[column].to_numpy(dtype=object, na_value=None)[i2]
        both_missing = pd.isna(a) & pd.isna(b)
        out[column] = ((a == b) & ~pd.isna(a) | both_missing).astype(np.int8)
    return pd.DataFrame(out)


def _circular_gap(a: np.ndarray, b: np.ndarray, mod: float) -> np.ndarray:
    diff = a - b
    return np.minimum(diff % mod, -diff % mod)


# -- naive Bayes (naiveBayes, getBF, predictNB) ----------------------------------------------
def quantile_breaks(values: np.ndarray, nbins: int) -> np.ndarray:
    """``make.breaks(type='quantile')``: sorted unique quantiles (R's type 7) of the data."""
    values = values[np.isfinite(values)]
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, nbins + 1)))


def bin_index(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """R's ``cut(x, breaks, include.lowest=TRUE)``: bins ``(b[i], b[i+1]]``, the first
    closed on the left; -1 outside the breaks or when missing."""
    idx = np.searchsorted(breaks, values, side="left") - 1
    idx = np.where(values == breaks[0], 0, idx)
    bad = ~np.isfinite(values) | (values < breaks[0]) | (values > breaks[-1])
    return np.where(bad, -1, idx)


def shrunk_probabilities(counts: np.ndarray, df: float) -> np.ndarray:
    """``getBF``'s estimate: pseudo-count ``a`` per level so the fit has ``df`` d.o.f."""
    k = len(counts)
    df = min(df, k - 1e-8)
    n = counts.sum()
    a = (n / k) * ((k - df) / (df - 1.0))
    return (counts + a) / np.sum(counts + a)


class HistogramNaiveBayes:
    """crimelinkage's ``naiveBayes``: histogram densities with shrinkage, per variable.

    Parameters
    ----------
    continuous : tuple of str
        Variables binned at quantiles of the training data; the others are categorical
        with the levels ``levels`` (``compareCrimes(binary=TRUE)`` gives the factor
        ``0/1``, both levels present even when one is never seen).
    df : float, default 10
    nbins : int, default 15
        The vignette's choice (``df=10, nbins=15, partition='quantile'``).
    levels : tuple of float, default (0, 1)
    """

    def __init__(
        self, continuous=("spatial", "temporal", "tod", "dow"), df=10.0, nbins=15, levels=(0, 1)
    ):
        self.continuous = tuple(continuous)
        self.df = df
        self.nbins = nbins
        self.levels = levels

    def fit(self, X: pd.DataFrame, y: np.ndarray, weight: np.ndarray) -> HistogramNaiveBayes:
        """Estimate each variable's log Bayes factor per bin (or level)."""
        linked = np.asarray(y) == 1
        weight = np.asarray(weight, np.float64)
        self.components_ = {}
        for name in X.columns:
            values = X[name].to_numpy(np.float64)
            if name in self.continuous:
                breaks = quantile_breaks(values, self.nbins)
                levels = bin_index(values, breaks)
                n_levels = len(breaks) - 1
            else:
                breaks = np.asarray(self.levels, np.float64)
                levels = _level_index(values, breaks)
                n_levels = len(breaks)
            has_na = bool((levels < 0).any())  # R's addNA(ifany=TRUE): its own level
            codes = np.where(levels < 0, n_levels, levels)
            k = n_levels + has_na
            n_linked = np.bincount(codes[linked], weight[linked], minlength=k)[:k]
            n_unlinked = np.bincount(codes[~linked], weight[~linked], minlength=k)[:k]
            with np.errstate(invalid="ignore", divide="ignore"):
                bf = shrunk_probabilities(n_linked, self.df) / shrunk_probabilities(
                    n_unlinked, self.df
                )
            bf = np.where(np.isfinite(bf), bf, 1.0)
            self.components_[name] = (name in self.continuous, breaks, np.log(bf), has_na)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Sum of log Bayes factors (``predictNB``; off by the log prior odds)."""
        total = np.zeros(len(X))
        for name, (continuous, breaks, log_bf, has_na) in self.components_.items():
            values = X[name].to_numpy(np.float64)
            levels = bin_index(values, breaks) if continuous else _level_index(values, breaks)
            if has_na:  # R matches NA (missing or out of range) to the NA level
                levels = np.where(levels < 0, len(log_bf) - 1, levels)
            total += np.where(levels >= 0, log_bf[np.maximum(levels, 0)], 0.0)
        return total


def _level_index(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Position of each value among the sorted ``levels``; -1 for any other value."""
    at = np.minimum(np.searchsorted(levels, values), len(levels) - 1)
    return np.where(levels[at] == values, at, -1)


# -- the comparison --------------------------------------------------------------------------
def recall_at_fpr(y: np.ndarray, score: np.ndarray, fpr: float = 0.05) -> float:
    """Share of linked test pairs found before ``fpr`` of the unlinked ones (Porter's
    headline: 82% of true links at a 5% false positive rate)."""
    from sklearn.metrics import roc_curve

    false_pos, true_pos, _ = roc_curve(y, score)
    return float(true_pos[false_pos <= fpr].max())


def compare_quality(directory=DATA, seed: int = 0, test_fraction: float = 0.3) -> dict:
    """Pair AUC and recall at 5% FPR of our forest and of the naive Bayes, same split.

    Returns
    -------
    dict
        ``pairs``, ``linked``, ``test_pairs``, ``test_linked`` and, for ``ours`` and
        ``naive_bayes``, ``auc`` and ``recall_at_5pct_fpr``.
    """
    from sklearn.metrics import roc_auc_score

    from sanitizer.features import PairFeaturizer
    from sanitizer.train import PatternPipeline

    crimes, offenders = load(directory)
    pairs = make_pairs(crimes, offenders, seed=seed)
    test = split_groups(crimes, offenders, pairs, test_fraction, seed)
    y = pairs["linked"].to_numpy()
    # theirs: compareCrimes evidence, naiveBayes(df=10, nbins=15), weighted as makePairs
    X_theirs = evidence(crimes, pairs, seed=seed)[list(EVIDENCE)]
    nb = HistogramNaiveBayes().fit(X_theirs[~test], y[~test], pairs["weight"].to_numpy()[~test])
    theirs = nb.decision_function(X_theirs[test])
    # ours: the pattern model's featurizer and seeded forest, three families only
    complaints = as_complaints(crimes)
    pipeline = PatternPipeline("burglary", seed=seed)
    # min_df=1: with no narrative at all, fit's placeholder vocabulary has one document,
    # which TfidfVectorizer refuses under min_df=2 (the text family is unused here)
    featurizer = PairFeaturizer(
        mo_columns=MO_COLUMNS_HERE,
        cell_m=float(pipeline.config["features"]["cell_m"]),
        min_df=1,
    ).fit(complaints)
    X_ours = featurizer.pair_features(
        featurizer.encode(complaints), pairs["i1"].to_numpy(), pairs["i2"].to_numpy(), text=False
    )[list(OUR_FEATURES)]
    forest = pipeline.make_forest().fit(X_ours[~test], y[~test])
    ours = forest.predict_proba(X_ours[test])[:, 1]
    y_test = y[test]
    return {
        "pairs": len(pairs),
        "linked": int(y.sum()),
        "test_pairs": int(test.sum()),
        "test_linked": int(y_test.sum()),
        "ours": {
            "auc": float(roc_auc_score(y_test, ours)),
            "recall_at_5pct_fpr": recall_at_fpr(y_test, ours),
        },
        "naive_bayes": {
            "auc": float(roc_auc_score(y_test, theirs)),
            "recall_at_5pct_fpr": recall_at_fpr(y_test, theirs),
        },
    }
