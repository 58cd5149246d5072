"""The Patternizr-style pattern model of one crime type, as a lineage-checkable pipeline.

One random forest per crime type (burglary 107, robbery 105, grand larceny 109) scores a
pair of complaints with the probability that both belong to one crime pattern
(Chohlas-Wood & Levine 2019). :class:`PatternPipeline` implements the lineage checks'
``LineagePipeline`` protocol, so the same object that trains the model is the one the
``provenance``, ``invariance`` and ``fitted_state`` checks re-run on perturbed raw data.

Order of work in :meth:`PatternPipeline.build` (DESIGN.md: sanitize first, then
everything else):

1. ``sanitize(raw, snapshot)``. Nothing is read from ``raw`` after this line.
2. The clean complaints of the type, sorted by ``CMPLNT_NUM``, and the clean pattern
   memberships of those complaints (ANALYST rows, and ARREST_DERIVED rows whose arrest
   survived; patterns left with fewer than two members of the type are dropped).
3. :class:`PairSampler` draws the labelled pairs: positives are every pair of complaints
   sharing a clean pattern; negatives a seeded sample of pairs sharing none. Patterns are
   split into train and test by a hash of their ``PATTERN_ID``, so whether a pattern is
   held out depends on that pattern alone, never on how many others exist.
4. :class:`~sanitizer.features.PairFeaturizer` is fitted on the clean complaints of the
   type and computes the pair features.

The model is a :class:`~sanitizer.train.ShardedForest` (SISA-style, ``[shards] n_shards``
of the config): a positive pair belongs to the shard of its pattern (a stable hash of the
``PATTERN_ID``; the lowest such shard when two patterns share the pair), a negative to
the shard whose own anchors and seed drew it. A shard's rows thus depend on its own
patterns and on the complaints (which sealing never removes), so sealing an arrest that
established a membership changes only that pattern's shard, and
:meth:`PatternPipeline.refit` retrains only the shards whose rows changed. With
``[shards] share_arrest_free`` (the default), a pair linked by two memberships that no
arrest established, which no sealing can ever remove, is shared by every shard instead,
with the negatives drawn around such pairs: each shard's forest then learns from about
nine tenths of the data rather than one sixteenth, and the ensemble ranks nearly as well
as one unsharded forest.

Provenance of each row: ``complaints`` (both sides); ``patterns`` (``PATTERN_ID/CMPLNT_NUM``
of the memberships that made a positive label); ``arrests`` (their
``ESTABLISHED_BY_ARREST_KEY``, when set). Negatives carry only their complaints: their
label says that no clean membership links them, and the check that no *excluded*
membership reached them is the invariance check (the draw must not move when excluded
memberships are added or deleted).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier

from .._config import load_toml_config
from ..features import PairFeaturizer, TrainingSet
from ..registry import Snapshot
from ..sanitize import KeySets, Provenance, sanitize
from ..tables import Tables, isin, position_in
from ._shards import (
    DEFAULT_N_SHARDS,
    SHARED,
    ShardedForest,
    _mix64,
    refit_shards,
    shard_digests,
    shard_seed,
    stable_shard,
)

__all__ = [
    "CRIME_TYPES",
    "PairSampler",
    "PatternPipeline",
    "load_pattern_config",
    "pattern_members",
]

#: Crime type name -> KY_CD (CONTRACT.md, complaints).
CRIME_TYPES = {"burglary": "107", "robbery": "105", "grand-larceny": "109"}
#: Where the hyper-parameters and gate thresholds live.
CONFIG_PATH = Path(__file__).resolve().parents[2] / "models" / "patternizr.toml"
_DEFAULTS = {
    "sampling": {
        "negatives_per_positive": 5,
        "anchored_fraction": 0.5,
        "negative_window_days": 1095,
        "test_fraction": 0.25,
    },
    "forest": {
        "n_estimators": 200,
        "min_samples_leaf": 5,
        "max_features": "sqrt",
        "class_weight": "balanced_subsample",
        "max_samples": 0.5,
    },
    "features": {"cell_m": 500.0, "max_property_items": 64, "min_df": 2},
    "evaluation": {"history_days": 1095, "recall_at": [10, 50], "block_m": 3000.0},
    "gates": {"partial_rebuild_min": 0.5},
    "shards": {"n_shards": DEFAULT_N_SHARDS, "share_arrest_free": True},
    "published": {"perfect_rebuild": 0.33, "partial_rebuild": 0.80},
}

MSG_UNKNOWN_TYPE = "unknown crime type {given!r}; expected one of {names} or a KY_CD in {codes}"
MSG_NO_MEMBERSHIPS = (
    "no pattern memberships for {crime_type}: nothing to learn from (no pattern links two "
    "KY_CD {ky_cd} complaints once sealed-derived memberships are removed, so there is no "
    "positive training pair); add {crime_type} patterns to the patterns table"
)
MSG_NO_TRAINING_PAIRS = (
    "no training pattern for {crime_type}: nothing to learn from (all {n} clean pattern(s) "
    "are held out for testing, so there is no positive training pair); add {crime_type} "
    "patterns to the patterns table"
)
MSG_NO_TEST_PATTERNS = (
    "no held-out pattern for {crime_type}: quality cannot be measured (all {n} clean "
    "pattern(s) train the model, none is left to rebuild); add {crime_type} patterns to the "
    "patterns table"
)


def load_pattern_config(path: Path | str | None = None) -> dict:
    """The pattern models' configuration: ``models/patternizr.toml`` over built-in defaults.

    Parameters
    ----------
    path : path, optional
        Another TOML file with the same sections; missing keys take the defaults, so a
        file may override only what it changes. A named file that does not exist is an
        error.

    Returns
    -------
    dict
        Sections ``sampling``, ``forest``, ``features``, ``evaluation``, ``gates``,
        ``shards``, ``published``.
    """
    return load_toml_config(_DEFAULTS, CONFIG_PATH, path, None, "pattern config")


def _ky_cd(crime_type: str) -> str:
    if crime_type in CRIME_TYPES:
        return CRIME_TYPES[crime_type]
    if crime_type in CRIME_TYPES.values():
        return crime_type
    raise ValueError(
        MSG_UNKNOWN_TYPE.format(
            given=crime_type, names=sorted(CRIME_TYPES), codes=sorted(CRIME_TYPES.values())
        )
    )


def pattern_members(clean: Tables, ky_cd: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The type's complaints (sorted by key) and its pattern memberships (sorted).

    Memberships are kept only for complaints of the type; a pattern left with fewer than
    two such members is no pattern for this model. Both frames have fresh indexes.

    Parameters
    ----------
    clean : Tables
        Sanitized tables.
    ky_cd : str
        The crime type's KY_CD.

    Returns
    -------
    complaints, memberships : DataFrame
    """
    complaints = clean["complaints"]
    complaints = complaints[(complaints["KY_CD"] == ky_cd).fillna(False).to_numpy(dtype=bool)]
    complaints = complaints.sort_values("CMPLNT_NUM", kind="stable").reset_index(drop=True)
    patterns = clean["patterns"]
    members = patterns[isin(patterns["CMPLNT_NUM"], complaints["CMPLNT_NUM"])]
    members = members.sort_values(["PATTERN_ID", "CMPLNT_NUM"], kind="stable")
    members = members.drop_duplicates(["PATTERN_ID", "CMPLNT_NUM"])
    sizes = members.groupby("PATTERN_ID", sort=False)["CMPLNT_NUM"].transform("size")
    members = members[(sizes >= 2).to_numpy()].reset_index(drop=True)
    return complaints, members


def _held_out(pattern_ids: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Whether each pattern is a test pattern: a hash of (seed, PATTERN_ID) below ``fraction``.

    A hash rather than a permutation, so a pattern's side of the split depends on its id
    alone: adding or removing other patterns (a sealed arrest's) moves no one.
    """
    out = np.zeros(len(pattern_ids), dtype=bool)
    for i, pattern in enumerate(pattern_ids):
        digest = hashlib.sha256(f"{seed}\x1f{pattern}".encode()).digest()
        out[i] = int.from_bytes(digest[:8], "little") / 2.0**64 < fraction
    return out


def _positive_proba(model, X) -> np.ndarray:
    """Each row's probability of label 1 (same pattern); zeros if the model never saw it.

    ``predict_proba`` has one column per class the model was fitted on, so a forest fitted
    without a positive pair (a type with no clean pattern, or every pattern held out) has
    no column 1: indexing ``[:, 1]`` would crash where the right answer is "never the same
    pattern". Scoring such a model is legitimate (the lineage checks score it before the
    retrain refuses it, see :meth:`PatternPipeline.insufficient_data`; the evaluation
    rebuilds the true series with it), so it scores 0, as a shard of a
    :class:`~sanitizer.train.ShardedForest` that saw one class adds 0.
    """
    classes = getattr(model, "classes_", None)
    if classes is None:  # not a scikit-learn classifier: trust its column order
        return np.asarray(model.predict_proba(X))[:, 1]
    classes = list(classes)
    if 1 not in classes:
        return np.zeros(X.shape[0], dtype=np.float64)
    return np.asarray(model.predict_proba(X))[:, classes.index(1)]


def _within_group_pairs(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (i < j) inside each group of consecutive rows ``[start, start + size)``."""
    left, right = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for size in np.unique(sizes):
        if size < 2:
            continue
        offsets = starts[sizes == size]
        iu, ju = np.triu_indices(int(size), 1)
        left.append((offsets[:, None] + iu[None, :]).ravel())
        right.append((offsets[:, None] + ju[None, :]).ravel())
    return np.concatenate(left), np.concatenate(right)


class PairSampler(BaseEstimator):
    """Draws the labelled complaint pairs of one crime type from clean data.

    Positives: every pair of complaints sharing a clean pattern. Negatives:
    ``negatives_per_positive`` times as many pairs sharing no pattern, drawn with a
    seeded generator from candidate pools sorted by key, so the draw is a function of the
    clean complaints, the clean memberships and the seed only. A share
    ``anchored_fraction`` of negatives starts from a pattern member (so the forest learns
    what separates a pattern member from its neighbours, the ranking task it serves), the
    rest from any complaint; the other side is drawn among complaints within
    ``window_days`` of the first (the ranking looks at three years of history, so pairs
    ten years apart would teach it nothing).

    Sharded (SISA): a positive belongs to the shard of its pattern (``stable_shard`` of
    the ``PATTERN_ID``, the lowest one when several patterns share the pair), or, with
    ``share_arrest_free``, to :data:`~sanitizer.train.SHARED` when one of the patterns
    links it through two memberships without an establishing arrest (sanitizing never
    removes such memberships, so the pair is a positive whatever is sealed). Each shard,
    and the shared group,
    draws its own ``negatives_per_positive`` negatives per positive of each split, with
    its own generator (:func:`~sanitizer.train.shard_seed`), anchored on its own
    positives' complaints, and keeps only candidate pairs whose pair hash falls in the
    shard, so no pair is drawn by two shards. A shard's negatives therefore depend on its
    own patterns and the complaints (never removed by sealing) alone, with one exception
    that keeps the labels right: a candidate that is a positive pair anywhere is rejected,
    so a shard's draw moves with another shard's patterns in the rare case one of its
    candidates was such a pair. Which shards changed is never assumed: retraining
    compares per-shard digests of the rows (:func:`~sanitizer.train.shard_digests`).

    Parameters
    ----------
    negatives_per_positive : int, default 5
    anchored_fraction : float, default 0.5
    window_days : int, default 1095
    test_fraction : float, default 0.25
        Share of patterns held out, by hash of ``PATTERN_ID`` (see ``_held_out``).
    seed : int, default 0
    n_shards : int, default 16
    share_arrest_free : bool, default True

    Attributes
    ----------
    pairs_ : DataFrame
        ``left``, ``right`` (``CMPLNT_NUM``, left < right), ``label`` (1/0), ``split``
        (``train``/``test``), ``shard`` (-1 for shared rows): positives sorted by key,
        then negatives by shard, split and draw order.
    test_patterns_ : ndarray
        Sorted ids of the held-out patterns.
    train_patterns_ : ndarray
        Sorted ids of the training patterns.
    """

    def __init__(
        self,
        negatives_per_positive: int = 5,
        anchored_fraction: float = 0.5,
        window_days: int = 1095,
        test_fraction: float = 0.25,
        seed: int = 0,
        n_shards: int = DEFAULT_N_SHARDS,
        share_arrest_free: bool = True,
    ):
        self.negatives_per_positive = negatives_per_positive
        self.anchored_fraction = anchored_fraction
        self.window_days = window_days
        self.test_fraction = test_fraction
        self.seed = seed
        self.n_shards = n_shards
        self.share_arrest_free = share_arrest_free

    def fit(self, complaints: pd.DataFrame, memberships: pd.DataFrame) -> PairSampler:
        """Draw the pairs (see the class docstring).

        Parameters
        ----------
        complaints : DataFrame
            Clean complaints of the type, sorted by ``CMPLNT_NUM``.
        memberships : DataFrame
            Their clean pattern memberships, sorted by ``PATTERN_ID, CMPLNT_NUM``.

        Returns
        -------
        self
        """
        positives, _ = self.positive_pairs(complaints, memberships)
        keys = complaints["CMPLNT_NUM"].to_numpy(dtype=object)
        n = len(keys)
        known = positives["code"].to_numpy()
        start = complaints["CMPLNT_FR_DT"].to_numpy("datetime64[s]").astype(np.int64)
        order = np.lexsort((np.arange(n), start))
        days = start[order]
        lpos, rpos = positives["lpos"].to_numpy(), positives["rpos"].to_numpy()
        pair_shard = positives["shard"].to_numpy(np.int64)
        pair_split = positives["split"].to_numpy(dtype=object)
        frames = [
            pd.DataFrame(
                {
                    "lpos": np.zeros(0, np.int64),
                    "rpos": np.zeros(0, np.int64),
                    "split": np.zeros(0, object),
                    "shard": np.zeros(0, np.int64),
                }
            )
        ]
        for shard in np.unique(pair_shard):
            taken = np.zeros(0, np.int64)
            for index, split in enumerate(("train", "test")):
                chosen = (pair_shard == shard) & (pair_split == split)
                if not chosen.any():
                    continue
                anchors = np.unique(np.r_[lpos[chosen], rpos[chosen]])
                wanted = int(self.negatives_per_positive) * int(chosen.sum())
                rng = np.random.default_rng([shard_seed(self.seed, int(shard)), index])
                codes = self._draw(rng, wanted, n, anchors, order, days, known, taken, shard)
                taken = np.r_[taken, codes]
                frames.append(
                    pd.DataFrame(
                        {
                            "lpos": codes // max(n, 1),
                            "rpos": codes % max(n, 1),
                            "split": split,
                            "shard": np.full(len(codes), shard, np.int64),
                        }
                    )
                )
        negatives = pd.concat(frames, ignore_index=True)
        pos = positives[["lpos", "rpos", "split", "shard"]]
        both = pd.concat([pos.assign(label=1), negatives.assign(label=0)], ignore_index=True)
        self.pairs_ = pd.DataFrame(
            {
                "left": pd.Series(keys[both["lpos"].to_numpy(np.int64)], dtype="str"),
                "right": pd.Series(keys[both["rpos"].to_numpy(np.int64)], dtype="str"),
                "label": both["label"].to_numpy(np.int8),
                "split": pd.Series(both["split"].to_numpy(dtype=object), dtype="str"),
                "shard": both["shard"].to_numpy(np.int64),
            }
        )
        pattern_ids = np.unique(memberships["PATTERN_ID"].to_numpy(dtype=object).astype(str))
        held = _held_out(pattern_ids, self.test_fraction, self.seed)
        self.test_patterns_ = pattern_ids[held].astype(object)
        self.train_patterns_ = pattern_ids[~held].astype(object)
        return self

    def positive_pairs(
        self, complaints: pd.DataFrame, memberships: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Distinct positive pairs and, per pair, the membership rows that made it.

        Returns
        -------
        pairs : DataFrame
            ``lpos``, ``rpos`` (positions in ``complaints``, lpos < rpos), ``code``
            (``lpos * n + rpos``), ``split``, ``shard`` (the lowest shard of the
            patterns sharing the pair, or ``SHARED``); sorted by code.
        sources : DataFrame
            ``pair`` (row of ``pairs``) and ``member`` (row of ``memberships``).
        """
        n = len(complaints)
        pattern_ids = memberships["PATTERN_ID"].to_numpy(dtype=object).astype(str)
        position = position_in(memberships["CMPLNT_NUM"], complaints["CMPLNT_NUM"])
        if not len(pattern_ids):
            empty = pd.DataFrame(
                {
                    "lpos": np.zeros(0, np.int64),
                    "rpos": np.zeros(0, np.int64),
                    "code": np.zeros(0, np.int64),
                    "split": pd.Series([], dtype="str"),
                    "shard": np.zeros(0, np.int64),
                }
            )
            return empty, pd.DataFrame({"pair": [], "member": []}, dtype=np.int64)
        boundaries = np.flatnonzero(np.r_[True, pattern_ids[1:] != pattern_ids[:-1]])
        sizes = np.diff(np.r_[boundaries, len(pattern_ids)])
        mi, mj = _within_group_pairs(boundaries, sizes)
        a, b = position[mi], position[mj]
        lpos, rpos = np.minimum(a, b), np.maximum(a, b)
        code = lpos * n + rpos
        distinct, pair_of = np.unique(code, return_inverse=True)
        held = _held_out(pattern_ids[boundaries], self.test_fraction, self.seed)
        group = np.repeat(np.arange(len(boundaries)), sizes)
        in_test = held[group[mi]]
        # a pair trains only when every pattern containing it is a training pattern
        test_pair = np.zeros(len(distinct), dtype=bool)
        np.logical_or.at(test_pair, pair_of, in_test)
        # a pair shared by several patterns goes to the lowest of their shards
        n_shards = int(self.n_shards)
        pattern_shard = stable_shard(pattern_ids[boundaries], n_shards)
        pair_shard = np.full(len(distinct), n_shards, np.int64)
        np.minimum.at(pair_shard, pair_of, pattern_shard[group[mi]])
        if self.share_arrest_free:
            # ... or to every shard when no sealing can remove it
            free = memberships["ESTABLISHED_BY_ARREST_KEY"].isna().to_numpy(dtype=bool)
            fixed = np.zeros(len(distinct), dtype=bool)
            np.logical_or.at(fixed, pair_of, free[mi] & free[mj])
            pair_shard[fixed] = SHARED
        pairs = pd.DataFrame(
            {
                "lpos": distinct // n,
                "rpos": distinct % n,
                "code": distinct,
                "split": pd.Series(np.where(test_pair, "test", "train"), dtype="str"),
                "shard": pair_shard,
            }
        )
        sources = pd.DataFrame(
            {"pair": np.r_[pair_of, pair_of], "member": np.r_[mi, mj]}
        ).drop_duplicates()
        return pairs, sources.sort_values(["pair", "member"]).reset_index(drop=True)

    def _draw(self, rng, wanted, n, anchors, order, days, known, taken, shard) -> np.ndarray:
        """``wanted`` negative pair codes of ``shard``, in draw order (rejection sampling).

        Candidates whose pair hash (:func:`_pair_shard`) is another shard's slot are
        rejected like known positives, so shards never draw the same pair.
        """
        if wanted <= 0 or n < 2:
            return np.zeros(0, np.int64)
        n_shards = int(self.n_shards) + (1 if self.share_arrest_free else 0)
        slot = n_shards - 1 if shard == SHARED else shard
        window = int(self.window_days) * 86_400
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n)
        accepted = np.zeros(0, np.int64)
        for _ in range(50):
            need = wanted - len(accepted)
            if need <= 0:
                break
            batch = min(int(need * 1.5 * n_shards) + 16, _MAX_BATCH)
            anchored = rng.random(batch) < self.anchored_fraction
            if len(anchors):
                first = np.where(
                    anchored,
                    anchors[rng.integers(0, len(anchors), batch)],
                    rng.integers(0, n, batch),
                )
            else:
                first = rng.integers(0, n, batch)
            first_day = days[rank[first]]
            lo = np.searchsorted(days, first_day - window, side="left")
            hi = np.searchsorted(days, first_day + window, side="right")
            second = order[lo + np.floor(rng.random(batch) * (hi - lo)).astype(np.int64)]
            lpos, rpos = np.minimum(first, second), np.maximum(first, second)
            codes = lpos * n + rpos
            ok = (lpos != rpos) & (_pair_shard(codes, n_shards) == slot)
            ok &= ~np.isin(codes, known) & ~np.isin(codes, taken)
            codes = np.r_[accepted, codes[ok]]
            _, first_seen = np.unique(codes, return_index=True)
            accepted = codes[np.sort(first_seen)]
        return accepted[:wanted]


#: Most candidate pairs drawn at once (bounds memory at ``nyc``; the draw loops until full).
_MAX_BATCH = 4_000_000


def _pair_shard(codes: np.ndarray, n_shards: int) -> np.ndarray:
    """The slot allowed to draw each negative pair code (a SplitMix64 hash of the code).

    Slots are the shards, plus one last slot for the shared group when there is one.

    Codes are ``lpos * n + rpos`` over the type's complaints, which sealing never removes,
    so a pair's hash shard never moves.
    """
    return (_mix64(codes.astype(np.uint64)) % np.uint64(n_shards)).astype(np.int64)


class PatternPipeline:
    """Sanitize, sample pairs, featurize and train one crime type's pattern model.

    Implements the lineage checks' ``LineagePipeline`` protocol.

    Parameters
    ----------
    crime_type : str
        ``burglary``, ``robbery``, ``grand-larceny`` or its KY_CD.
    seed : int, default 0
        Seeds the split hash, the negative draw and the forest.
    config : dict, optional
        As returned by :func:`load_pattern_config` (default: ``models/patternizr.toml``).
    n_estimators : int, optional
        Overrides the configured number of trees, in total over the shards (tests use few).
    n_jobs : int, default 1
        Shard parallelism; does not change the fitted model.
    """

    def __init__(
        self,
        crime_type: str,
        seed: int = 0,
        config: Mapping | None = None,
        n_estimators: int | None = None,
        n_jobs: int = 1,
    ):
        self.crime_type = crime_type
        self.ky_cd = _ky_cd(crime_type)
        self.seed = seed
        self.config = load_pattern_config() if config is None else config
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        name = {v: k for k, v in CRIME_TYPES.items()}[self.ky_cd]
        self.name = f"patternizr-{name}"

    # -- components --------------------------------------------------------------------------
    def make_featurizer(self) -> PairFeaturizer:
        """An unfitted featurizer with the configured parameters."""
        params = self.config["features"]
        return PairFeaturizer(
            cell_m=float(params["cell_m"]),
            max_property_items=int(params["max_property_items"]),
            min_df=int(params["min_df"]),
        )

    def make_sampler(self) -> PairSampler:
        """An unfitted sampler with the configured parameters and this pipeline's seed."""
        params = self.config["sampling"]
        return PairSampler(
            negatives_per_positive=int(params["negatives_per_positive"]),
            anchored_fraction=float(params["anchored_fraction"]),
            window_days=int(params["negative_window_days"]),
            test_fraction=float(params["test_fraction"]),
            seed=self.seed,
            n_shards=self.n_shards,
            share_arrest_free=bool(self.config.get("shards", {}).get("share_arrest_free", True)),
        )

    def refit_components(self, clean: Tables) -> dict[str, object]:
        """The featurizer and sampler re-fitted on ``clean`` alone (``fitted_state`` check)."""
        complaints, members = pattern_members(clean, self.ky_cd)
        return {
            "featurizer": self.make_featurizer().fit(complaints),
            "sampler": self.make_sampler().fit(complaints, members),
        }

    # -- protocol ------------------------------------------------------------------------------
    def build(self, raw: Tables, snapshot: Snapshot) -> TrainingSet:
        """Sanitize, then draw, featurize and label the pairs (see the module docstring)."""
        clean = sanitize(raw, snapshot).tables
        return self._assemble(clean)

    def _assemble(self, tables: Tables, provenance: bool = True) -> TrainingSet:
        """The training set of already-chosen tables (clean ones, except in evaluation).

        Private: only :meth:`build` (after sanitizing) and the before/after-sanitization
        comparison of the evaluation, which trains a deliberately unsanitized model that
        is never registered, call it; the benchmark also calls it with
        ``provenance=False`` (empty provenance) to time what recording provenance costs.
        """
        complaints, members = pattern_members(tables, self.ky_cd)
        components = {
            "featurizer": self.make_featurizer().fit(complaints),
            "sampler": self.make_sampler().fit(complaints, members),
        }
        featurizer, sampler = components["featurizer"], components["sampler"]
        pairs = sampler.pairs_
        left = position_in(pairs["left"], complaints["CMPLNT_NUM"])
        right = position_in(pairs["right"], complaints["CMPLNT_NUM"])
        X = featurizer.transform(complaints, left, right)
        provenance = (
            self._provenance(complaints, members, sampler, pairs)
            if provenance
            else Provenance(len(pairs), {})
        )
        row_keys = pairs[["left", "right", "split", "shard"]].reset_index(drop=True)
        return TrainingSet(X, pairs["label"].to_numpy(np.int8), row_keys, provenance, components)

    def _provenance(self, complaints, members, sampler, pairs) -> Provenance:
        n_rows = len(pairs)
        positives, sources = sampler.positive_pairs(complaints, members)
        # positives come first in pairs_, in the same (code) order
        rows = sources["pair"].to_numpy()
        member = members.iloc[sources["member"].to_numpy()]
        pattern_keys = (member["PATTERN_ID"] + "/" + member["CMPLNT_NUM"]).to_numpy(dtype=object)
        arrest = member["ESTABLISHED_BY_ARREST_KEY"].to_numpy(dtype=object, na_value=None)
        has_arrest = member["ESTABLISHED_BY_ARREST_KEY"].notna().to_numpy(dtype=bool)
        return Provenance(
            n_rows,
            {
                # object arrays: iterating an Arrow-backed Series is a Python loop
                "complaints": KeySets.identity(pairs["left"].to_numpy(dtype=object)).union(
                    KeySets.identity(pairs["right"].to_numpy(dtype=object))
                ),
                "patterns": KeySets.from_pairs(rows, pattern_keys, n_rows),
                "arrests": KeySets.from_pairs(rows[has_arrest], arrest[has_arrest], n_rows),
            },
        )

    @property
    def n_shards(self) -> int:
        """``[shards] n_shards`` of the config (16 when the config has no such section)."""
        return int(self.config.get("shards", {}).get("n_shards", DEFAULT_N_SHARDS))

    def make_forest(self) -> RandomForestClassifier:
        """The seeded, unsharded forest with the configured hyper-parameters.

        The template of every shard's forest (:meth:`make_model`), and the unsharded
        baseline the unlearning benchmark compares against.
        """
        params = dict(self.config["forest"])
        if self.n_estimators is not None:
            params["n_estimators"] = self.n_estimators
        return RandomForestClassifier(
            n_estimators=int(params["n_estimators"]),
            min_samples_leaf=int(params["min_samples_leaf"]),
            max_features=params["max_features"],
            class_weight=params.get("class_weight") or None,
            max_samples=params.get("max_samples"),
            random_state=self.seed,
            n_jobs=self.n_jobs,
        )

    def make_model(self) -> ShardedForest:
        """The unfitted sharded forest: :meth:`make_forest` split over ``n_shards`` shards."""
        return ShardedForest(
            self.make_forest(), n_shards=self.n_shards, random_state=self.seed, n_jobs=self.n_jobs
        )

    def _fit_rows(self, training: TrainingSet):
        """The training-split rows: X, y, shard and row keys."""
        train = (training.row_keys["split"] == "train").to_numpy(dtype=bool)
        keys = training.row_keys[train].reset_index(drop=True)
        X = training.X[train].reset_index(drop=True)
        return X, np.asarray(training.y)[train], keys["shard"].to_numpy(np.int64), keys

    def fit(self, training: TrainingSet) -> ShardedForest:
        """Fit the sharded forest on the training-split rows; deterministic for a given seed."""
        X, y, shard, keys = self._fit_rows(training)
        return self.make_model().fit(X, y, shard=shard, keys=keys)

    def shard_digests(self, training: TrainingSet) -> np.ndarray:
        """Per-shard digests of the rows :meth:`fit` would fit on (see ``shard_digests``)."""
        X, y, shard, keys = self._fit_rows(training)
        return shard_digests(X, y, shard, self.n_shards, keys)

    def refit(
        self,
        training: TrainingSet,
        previous_model: ShardedForest,
        previous_training: TrainingSet | None = None,
    ) -> tuple[ShardedForest, np.ndarray]:
        """Retrain only the shards whose rows changed; equal to :meth:`fit` (same fingerprint).

        Parameters
        ----------
        training : TrainingSet
            Built on the new snapshot.
        previous_model : ShardedForest
            The model to update (fitted by this pipeline's configuration).
        previous_training : TrainingSet, optional
            What ``previous_model`` was fitted on. Its per-shard digests are compared
            with the new ones (and must match those the model stored when fitted:
            a model fitted on other rows is refused); without it, the stored digests
            are compared directly.

        Returns
        -------
        model : ShardedForest
        affected_shards : ndarray of int
            The shards refitted (all of them when the hyper-parameters changed).
        """
        X, y, shard, keys = self._fit_rows(training)
        old = None if previous_training is None else self.shard_digests(previous_training)
        return refit_shards(self.make_model(), X, y, shard, keys, previous_model, old)

    def insufficient_data(self, training: TrainingSet) -> str | None:
        """Why ``training`` cannot give a certifiable model, or None when it can.

        A type whose clean data has no pattern (none recorded, or every membership
        sealed-derived), or whose patterns all fall on one side of the train/test split,
        still builds and fits (a forest that saw no positive pair scores every pair 0, so
        the lineage checks run as usual), but there is nothing to learn from or nothing to
        judge it on. Retraining refuses such a model with this reason instead of a gate
        figure computed over no patterns at all.

        Parameters
        ----------
        training : TrainingSet
            As returned by :meth:`build`.

        Returns
        -------
        str or None
            One of :data:`MSG_NO_MEMBERSHIPS`, :data:`MSG_NO_TRAINING_PAIRS`,
            :data:`MSG_NO_TEST_PATTERNS`, filled in.
        """
        sampler = training.components["sampler"]
        n_train, n_test = len(sampler.train_patterns_), len(sampler.test_patterns_)
        crime_type = self.name.removeprefix("patternizr-")
        if n_train + n_test == 0:
            return MSG_NO_MEMBERSHIPS.format(crime_type=crime_type, ky_cd=self.ky_cd)
        train = (training.row_keys["split"] == "train").to_numpy(dtype=bool)
        if not (np.asarray(training.y)[train] == 1).any():
            return MSG_NO_TRAINING_PAIRS.format(crime_type=crime_type, n=n_train + n_test)
        if n_test == 0:
            return MSG_NO_TEST_PATTERNS.format(crime_type=crime_type, n=n_train)
        return None

    def predict(self, model: ShardedForest, training: TrainingSet) -> np.ndarray:
        """Same-pattern probability of every row of ``training`` (0 if class 1 never seen)."""
        return _positive_proba(model, training.X)
