"""The recidivism model: a rule label and a two-year re-arrest risk, from clean arrests only.

Two things are returned per person (CONTRACT.md, model ``recidivism``):

``recidivist``
    The rule label NYPD tools attach to people: at least ``min_arrests`` arrests within
    ``window_years`` (default three within two years). The 2023 order's second item is to
    stop using sealed arrests for it, so it counts clean arrests only.
``risk``
    The probability of a re-arrest within two years, from a random forest over the person
    history features of :mod:`sanitizer.features` (never race, never sex).
``high_risk``
    The decision: ``risk`` at or above the model's fitted ``threshold_`` (served with it as
    ``risk_threshold``). The fairness and quality gates judge exactly this decision, made
    by exactly this model: see "The decision" below.

:class:`RecidivismPipeline` implements the lineage checks' ``LineagePipeline`` protocol:
``build`` sanitizes first and computes nothing before; the population (anyone with a clean
arrest before the cutoff), the features, the label (a clean re-arrest in the two years
after the cutoff) and the fitted offence codes all come from the clean tables.

Why a random forest, not gradient boosting: scikit-learn's ``HistGradientBoosting``
sums gradients with a parallel reduction whose floating-point order depends on the thread
count, so a reviewer re-running on a machine with another core count could get a
different fingerprint. A forest grows each tree single-threaded from its own seed: with a
fixed ``random_state`` it is identical across runs, machines and ``n_jobs`` (DESIGN.md).

The forest is sharded (SISA, :class:`~sanitizer.train.ShardedForest`): a person's row
belongs to the shard of a stable hash of the ``PERSON_ID``, each shard grows its own seeded
forest, and the risk is their mean. A person's features and label count that person's
clean arrests only, so sealing one arrest changes one shard's rows (or every shard's,
when it moves the fitted offence codes), and :meth:`RecidivismPipeline.refit` retrains
only the shards whose rows changed.

The decision
------------
The forest is fitted on the *development* persons only: everyone but the held-out persons
(a seeded hash of ``PERSON_ID``, :func:`holdout_mask`), as the pattern models fit on their
train split only. So the certified model is the very model the gates judge on the
held-out persons, not a refit of it on more data.

Its threshold is fitted too, on the development persons and never the held-out ones
(:func:`select_threshold`): each development person is scored by the shards that did not
see them (their *out-of-shard* risk: the SISA shards double as a cross-fitting split, so
every development person is a validation person for the fifteen shards that did not train
on them), and the threshold is the one with the best F1 among those at which a held-out
evaluation of the gate's size is predicted, by resampling those validation scores, to pass
the equalized-odds limit with probability ``power`` (0.8). Why a predicted pass rather
than a point estimate under a margin: on `small` the held-out groups are small (about 50
Asian / Pacific Islander persons not re-arrested), so the measured false-positive-rate gap
between five groups moves by about 0.1 from sampling alone at a flag rate near 20%; a
point estimate picks whichever threshold was lucky on validation. Race is read only for
that choice (the ``sensitive_groups`` component, re-fitted by the ``fitted_state``
check); the threshold is one number for everyone, and race is never an input at serving.
The threshold and the record of its choice are fitted attributes of the model, set by
:meth:`RecidivismPipeline.fit` on the sharded forest it returns (``threshold_`` and
``decision_``, beside the forest's own ``shard_digests_`` and the rest): the model
fingerprint covers them, the invariance check retrains them, the skops weights carry
them (no new type to trust), and serving reads the threshold from the certified weights.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from .._config import load_toml_config, merge_config
from ..features import (
    PersonHistoryFeatures,
    TrainingSet,
    history_population,
    history_provenance,
    person_groups,
    rearrest_labels,
)
from ..registry import Snapshot
from ..sanitize import sanitize
from ..tables import Tables, position_in
from ._shards import DEFAULT_N_SHARDS, ShardedForest, refit_shards, shard_digests, stable_shard

__all__ = [
    "DEFAULT_RECIDIVISM_CONFIG",
    "OBJECTIVES",
    "RECIDIVISM_CONFIG_PATH",
    "RecidivismPipeline",
    "RecidivismScorer",
    "HoldoutPredictions",
    "SensitiveGroups",
    "ASSIGNMENT_COLUMNS",
    "holdout_mask",
    "load_recidivism_config",
    "PersonAssignment",
    "out_of_shard_risk",
    "recidivist_label",
    "select_threshold",
]

#: ``models/recidivism.toml`` of the source checkout (absent in an installed wheel).
RECIDIVISM_CONFIG_PATH = Path(__file__).resolve().parents[2] / "models" / "recidivism.toml"

#: The built-in configuration; ``models/recidivism.toml`` overrides it key by key.
DEFAULT_RECIDIVISM_CONFIG = {
    "data": {"cutoff": "2023-06-01", "horizon_years": 2},
    "features": {"windows_years": [1, 3, 5], "n_offence_codes": 8},
    "rule": {"min_arrests": 3, "window_years": 2},
    "classifier": {
        "n_estimators": 200,
        "max_depth": 8,
        "min_samples_leaf": 5,
        "max_features": "sqrt",
        "n_jobs": 2,
    },
    "decision": {
        "objective": "f1",
        "fairness_dimension": "race",
        "max_equalized_odds_difference": 0.10,
        "min_group_size": 30,
        "power": 0.8,
        "n_resamples": 1000,
        "max_flag_rate": 0.5,
        "flag_rate_step": 0.01,
        "max_validation_persons": 20000,
    },
    "evaluation": {"holdout_fraction": 0.3},
    "shards": {"n_shards": DEFAULT_N_SHARDS},
}


def load_recidivism_config(path: str | Path | None = None, **overrides) -> dict:
    """The model's configuration: defaults, then the TOML file, then ``overrides``.

    ``path`` defaults to ``models/recidivism.toml`` when the checkout has one; an explicit
    path that does not exist is an error, since silently falling back to defaults would
    train a model nobody configured.
    """
    return load_toml_config(
        DEFAULT_RECIDIVISM_CONFIG, RECIDIVISM_CONFIG_PATH, path, overrides, "recidivism config"
    )


# --- the rule label ----------------------------------------------------------------------
def recidivist_label(
    arrests: pd.DataFrame,
    as_of,
    *,
    person_ids=None,
    min_arrests: int = 3,
    window_years: int = 2,
) -> pd.Series:
    """The rule label: ``min_arrests`` or more arrests before ``as_of`` within ``window_years``.

    Pass the *clean* arrests: a label that counted a sealed arrest is sealed-derived
    (SEALING_RULES.md, B). Two arrests on the same day are two arrests. The window is
    calendar years (``pd.DateOffset``): the k-th arrest must fall strictly before the
    first one plus ``window_years``.

    Returns
    -------
    Series of bool
        Indexed by ``PERSON_ID``: ``person_ids`` if given (persons without arrests are
        False), else every person with an arrest before ``as_of``, sorted.
    """
    if int(min_arrests) < 1 or int(window_years) < 1:
        raise ValueError(
            f"min_arrests and window_years must be >= 1, got {min_arrests!r}, {window_years!r}"
        )
    k = int(min_arrests)
    as_of = pd.Timestamp(as_of).normalize()
    prior = arrests.loc[arrests["ARREST_DATE"] < as_of, ["PERSON_ID", "ARREST_DATE"]]
    prior = prior.sort_values(["PERSON_ID", "ARREST_DATE"], kind="stable")
    people = prior["PERSON_ID"].to_numpy(dtype=object)
    dates = prior["ARREST_DATE"].reset_index(drop=True)
    flagged = np.zeros(len(prior), dtype=bool)
    if len(prior) >= k:
        first, last = np.arange(len(prior) - k + 1), np.arange(k - 1, len(prior))
        same = people[first] == people[last]
        ends = (dates.iloc[first] + pd.DateOffset(years=int(window_years))).to_numpy()
        inside = dates.iloc[last].to_numpy() < ends
        flagged[first] = same & inside
    hits = pd.unique(people[flagged])
    index = (
        np.sort(pd.unique(people))
        if person_ids is None
        else pd.Series(person_ids, dtype="str").to_numpy(dtype=object)
    )
    found = position_in(pd.Series(index, dtype="str"), pd.Series(hits, dtype="str")) >= 0
    return pd.Series(found, index=pd.Index(index, name="PERSON_ID", dtype="str"), name="recidivist")


# --- the held-out split, the shards and the validation draw ----------------------------
#: Columns :class:`PersonAssignment` adds to the training set's ``row_keys``: where each
#: person goes, decided by a hash of the ``PERSON_ID`` alone, never by who else exists.
ASSIGNMENT_COLUMNS = ("split", "shard", "draw")


def holdout_mask(person_ids, fraction: float, seed: int = 0) -> np.ndarray:
    """True for held-out persons: a seeded hash of each PERSON_ID below ``fraction``.

    A hash, not a permutation: whether a person is held out depends on nobody else, so
    removing sealed persons from the population moves no one across the split.
    """
    return _held_out(_person_hash(person_ids, seed)[:, 0], fraction)


def _held_out(hashes: np.ndarray, fraction: float) -> np.ndarray:
    if not 0.0 < float(fraction) < 1.0:
        raise ValueError(f"holdout fraction must lie in (0, 1), got {fraction!r}")
    return hashes < np.uint64(int(float(fraction) * 2.0**64))


def _person_hash(person_ids, seed: int) -> np.ndarray:
    """Two uint64 per person: bytes 0-8 and 8-16 of SHA-256(seed, 0x1f, PERSON_ID).

    The first decides the held-out split, the second the validation draw: two halves of
    one digest are independent for any practical purpose, and one digest costs half of two.
    """
    prefix = f"{int(seed)}\x1f".encode()
    digests = b"".join(hashlib.sha256(prefix + str(p).encode()).digest()[:16] for p in person_ids)
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64).reshape(-1, 2)


class PersonAssignment(BaseEstimator):
    """Each person's ``split`` ("train"/"test"), ``shard`` and validation ``draw``.

    Applied once, when the training set is built (two SHA-256 per person, about 3 us),
    so that fitting, refitting and judging a model hash nothing: at ``nyc`` these loops
    over a million persons used to cost more than refitting one shard. It reads nothing
    but the ``PERSON_ID``, so it learns nothing from data (``fit`` only checks the
    parameters); it is a component of the training set so that a pipeline with another
    seed, shard count or held-out fraction refuses the set instead of silently using a
    split it did not make.

    Parameters
    ----------
    holdout_fraction : float
        Share of persons held out (``split == "test"``), by :func:`holdout_mask`.
    n_shards : int
        Shards of :func:`~sanitizer.train.stable_shard`.
    seed : int, default=0
        Salt of the split and the draw (not of the shard, which depends on the key alone).
    """

    def __init__(self, holdout_fraction: float = 0.3, n_shards: int = DEFAULT_N_SHARDS, seed=0):
        self.holdout_fraction = holdout_fraction
        self.n_shards = n_shards
        self.seed = seed

    def fit(self, X=None, y=None):
        _held_out(np.zeros(0, np.uint64), self.holdout_fraction)  # validates the fraction
        self.n_shards_ = int(self.n_shards)
        return self

    def transform(self, person_ids) -> pd.DataFrame:
        """Columns :data:`ASSIGNMENT_COLUMNS`, one row per person, in order.

        ``draw`` is uniform on [0, 1) (bytes 8-16 of the split's digest); see
        :func:`validation_rows`.
        """
        check_is_fitted(self, "n_shards_")
        ids = np.asarray(person_ids, dtype=object)
        hashes = _person_hash(ids, self.seed)
        held = _held_out(hashes[:, 0], self.holdout_fraction)
        return pd.DataFrame(
            {
                "split": pd.Series(np.where(held, "test", "train"), dtype="str"),
                "shard": stable_shard(ids, self.n_shards_),
                "draw": (hashes[:, 1] >> np.uint64(11)).astype(np.float64) * 2.0**-53,
            }
        )


def validation_rows(draws, limit: int) -> np.ndarray:
    """Positions of at most about ``limit`` development persons for choosing the threshold.

    Every person when there are no more than ``limit``; else those whose seeded ``draw``
    (:class:`PersonAssignment`) is below ``limit / n``, so a person's inclusion depends
    on nobody else. Scoring every development person with every other shard costs
    sixteen predictions of the whole population, more than the fit of a shard at
    ``nyc``; the threshold's estimate needs far fewer persons.
    """
    draws = np.asarray(draws, dtype=np.float64)
    n = len(draws)
    if n <= int(limit):
        return np.arange(n)
    return np.flatnonzero(draws < float(limit) / n)


# --- the decision threshold --------------------------------------------------------------
#: Objectives :func:`select_threshold` maximises over the admissible thresholds.
OBJECTIVES = ("f1", "balanced_accuracy")
#: Keys of the ``[decision]`` config section (anything else is an error, not ignored).
DECISION_KEYS = frozenset(DEFAULT_RECIDIVISM_CONFIG["decision"])
MSG_DECISION_KEYS = (
    "[decision] has unknown key(s) {keys}; expected {expected}. The threshold is fitted on "
    "the development persons (see models/recidivism.toml), not configured"
)
MSG_OBJECTIVE = "[decision] objective must be one of {expected}; got {got!r}"
MSG_NO_GROUPS = (
    "the training set has no 'sensitive_groups' component; build it with "
    "RecidivismPipeline.training_set (the decision threshold needs each person's group)"
)
MSG_ASSIGNMENT = (
    "the training set's persons were split and sharded with {found}, this pipeline uses "
    "{expected}; build the training set with this pipeline (RecidivismPipeline.training_set)"
)
MSG_ONE_SHARD = (
    "the decision threshold is chosen on out-of-shard risk, which needs n_shards >= 2; "
    "got n_shards={n_shards}"
)
MSG_NOT_FITTED_ON = (
    "the model to judge was not fitted on this training set's development persons (its "
    "shard digests differ): the held-out evaluation must judge a model that never saw "
    "the held-out persons; pass pipeline.fit(training) or leave model out to fit one"
)


def decision_settings(config: Mapping) -> dict:
    """The ``[decision]`` section, checked: known keys only, a known objective."""
    section = dict(config.get("decision", {}))
    unknown = sorted(set(section) - DECISION_KEYS)
    if unknown:
        raise ValueError(MSG_DECISION_KEYS.format(keys=unknown, expected=sorted(DECISION_KEYS)))
    settings = merge_config(DEFAULT_RECIDIVISM_CONFIG["decision"], section)
    if settings["objective"] not in OBJECTIVES:
        raise ValueError(MSG_OBJECTIVE.format(expected=list(OBJECTIVES), got=settings["objective"]))
    return settings


def _equalized_odds(members: np.ndarray, flagged: np.ndarray, min_group_size: int) -> np.ndarray:
    """The gate's equalized-odds difference per candidate, NaN where it has no verdict.

    ``members`` is ``(..., groups, 2)``: per group, how many have label 0 and 1;
    ``flagged`` is ``(..., groups, 2, candidates)``: how many of those each candidate
    flags. The evidence rules are the gate's (``sanitizer.fairness``): a group's rates
    count only if it has ``min_group_size`` members, its FPR only with that many
    negatives, its TPR only with that many positives; each difference needs two judged
    groups; the larger of the two decides. Returns ``(..., candidates)``.
    """
    size = members.sum(axis=-1)
    differences = []
    for label in (0, 1):
        judged = (size >= min_group_size) & (members[..., label] >= min_group_size)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = flagged[..., label, :] / members[..., label, None]
        high = np.where(judged[..., None], rate, -np.inf).max(axis=-2)
        low = np.where(judged[..., None], rate, np.inf).min(axis=-2)
        enough = (judged.sum(axis=-1) >= 2)[..., None]
        differences.append(np.where(enough, high - low, np.nan))
    return np.fmax(*differences)


def select_threshold(
    risk,
    y,
    groups,
    *,
    n_holdout: int,
    objective: str = "f1",
    max_equalized_odds_difference: float = 0.10,
    min_group_size: int = 30,
    power: float = 0.8,
    n_resamples: int = 1000,
    max_flag_rate: float = 0.5,
    flag_rate_step: float = 0.01,
    seed: int = 0,
) -> dict:
    """One threshold for everyone, chosen on validation persons under equalized odds.

    Candidates are the validation risks at flag rates ``flag_rate_step``,
    ``2 * flag_rate_step``, ... up to ``max_flag_rate``. A candidate is *admissible* when
    a held-out evaluation of ``n_holdout`` persons is predicted to pass the
    equalized-odds limit with probability at least ``power``: ``n_resamples`` samples of
    ``n_holdout`` persons are drawn (with replacement, seeded) from the validation persons
    and judged with the gate's own evidence rules (a sample with no verdict passes, as
    the gate does). Of the admissible candidates the one with the best ``objective`` on
    the validation persons wins (ties: the higher threshold, flagging fewer people). If
    none is admissible, the candidate most likely to pass is returned with
    ``constraint_met`` False, and the gates decide.

    Why resample at the held-out size rather than compare a point estimate with a
    margin: the gate measures a max-minus-min of group rates on a small sample, so its
    value carries the sampling noise of its smallest groups; that noise, not only the
    model's disparity, decides whether it passes, and it is what the resampling measures.

    Parameters
    ----------
    risk, y, groups : array-like
        Out-of-sample risk, outcome (0/1) and group (e.g. race) of each validation person.
    n_holdout : int
        Size of the held-out evaluation the gate will make.

    Returns
    -------
    dict
        ``threshold`` (NaN: nobody can be flagged, e.g. no validation persons) and the
        record of the choice: candidates, how many were admissible, the chosen one's
        predicted pass probability and its validation figures. Plain Python values, so
        it can be fingerprinted, stored in a skops file and written to JSON.
    """
    risk = np.asarray(risk, dtype=float)
    y = np.asarray(y, dtype=np.int64)
    keep = ~np.isnan(risk)
    risk, y = risk[keep], y[keep]
    labels, codes = np.unique(np.asarray(groups, dtype=str)[keep], return_inverse=True)
    record = {
        "objective": str(objective),
        "max_equalized_odds_difference": float(max_equalized_odds_difference),
        "min_group_size": int(min_group_size),
        "power": float(power),
        "n_resamples": int(n_resamples),
        "resample_size": int(n_holdout),
        "seed": int(seed),
        "validation_persons": int(len(risk)),
        "validation_positives": int(y.sum()),
    }
    if objective not in OBJECTIVES:
        raise ValueError(MSG_OBJECTIVE.format(expected=list(OBJECTIVES), got=objective))
    if not len(risk):
        return {"threshold": float("nan"), "constraint_met": False, "candidates": 0, **record}
    rates = np.arange(1, int(round(float(max_flag_rate) / float(flag_rate_step))) + 1)
    rates = rates * float(flag_rate_step)
    candidates = np.unique(np.quantile(risk, 1.0 - rates, method="higher"))
    # the validation persons as counts per (group, label, bin): bin b = how many
    # candidates a person's risk reaches, so the person is flagged at candidate k iff b > k
    bins = np.searchsorted(candidates, risk, side="right")
    n_cells = len(labels) * 2 * (len(candidates) + 1)
    cells = (codes * 2 + y) * (len(candidates) + 1) + bins
    table = np.bincount(cells, minlength=n_cells).astype(np.int64)

    def counts(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Members ``(..., groups, 2)`` and flagged ``(..., groups, 2, candidates)``."""
        shaped = tables.reshape(*tables.shape[:-1], len(labels), 2, len(candidates) + 1)
        at_least = np.cumsum(shaped[..., ::-1], axis=-1)[..., ::-1]
        return shaped.sum(axis=-1), at_least[..., 1:]

    members, flagged_by_group = counts(table)
    rng = np.random.default_rng(int(seed))
    drawn = rng.multinomial(int(n_holdout), table / table.sum(), size=int(n_resamples))
    measured = _equalized_odds(*counts(drawn), int(min_group_size))  # (resamples, candidates)
    passes = np.where(np.isnan(measured), True, measured <= float(max_equalized_odds_difference))
    pass_probability = passes.mean(axis=0)

    tp = flagged_by_group[:, 1, :].sum(axis=0).astype(float)
    flagged = flagged_by_group.sum(axis=(0, 1)).astype(float)
    positives, negatives = float(y.sum()), float(len(y) - y.sum())
    fp = flagged - tp
    recall = tp / positives if positives else np.zeros_like(tp)
    specificity = 1.0 - fp / negatives if negatives else np.ones_like(fp)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(flagged + positives > 0, 2 * tp / (flagged + positives), 0.0)
        precision = np.where(flagged > 0, tp / flagged, np.nan)
    score = f1 if objective == "f1" else (recall + specificity) / 2.0

    admissible = pass_probability >= float(power)
    order = np.arange(len(candidates))
    if admissible.any():
        # best objective; among equals the higher threshold (lexsort: last key first)
        pick = np.lexsort((order, score, admissible))[-1]
    else:
        pick = np.lexsort((order, score, pass_probability))[-1]
    point = _equalized_odds(members, flagged_by_group, int(min_group_size))[pick]
    return {
        "threshold": float(candidates[pick]),
        "constraint_met": bool(admissible[pick]),
        "candidates": int(len(candidates)),
        "admissible": int(admissible.sum()),
        "pass_probability": float(pass_probability[pick]),
        "validation_equalized_odds_difference": float(point),
        "validation_flag_rate": float(flagged[pick] / len(y)),
        "validation_recall": float(recall[pick]),
        "validation_precision": float(precision[pick]),
        "validation_objective": float(score[pick]),
        **record,
    }


def _tree_input(X) -> np.ndarray:
    """The trees' own input type (float32, C order)."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.float32))


def _shard_score(forest, values: np.ndarray) -> np.ndarray | None:
    """One shard forest's class-1 probability of each row (None: the shard is unfitted).

    The trees are called directly: each forest's per-call validation and thread pool
    cost more than the trees on a few thousand rows. Summed in tree order, as the
    forest's own mean; a row's score depends on that row alone.
    """
    if forest is None:
        return None
    classes = list(forest.classes_)
    if 1 not in classes:
        return np.zeros(len(values))
    column = classes.index(1)
    total = np.zeros(len(values))
    for tree in forest.estimators_:
        total += tree.predict_proba(values, check_input=False)[:, column]
    return total / len(forest.estimators_)


def shard_scores(model, X, known: np.ndarray | None = None) -> np.ndarray:
    """Each shard's class-1 probability of each row: ``(rows, shards)``, NaN if unfitted.

    ``known`` (same shape) gives scores already computed; only its NaN cells are scored
    (a shard with a NaN in a row scores that row). A row's score does not depend on the
    other rows, so known and new cells are the same numbers a full scoring gives.
    """
    forests = list(model.estimators_)
    values = _tree_input(X)
    scores = np.full((len(values), len(forests)), np.nan)
    if known is not None:
        scores[...] = known
    todo = [k for k, forest in enumerate(forests) if forest is not None]

    def one(k: int) -> None:
        rows = np.flatnonzero(np.isnan(scores[:, k]))
        if len(rows) == len(values):
            scores[:, k] = _shard_score(forests[k], values)
        elif len(rows):
            scores[rows, k] = _shard_score(forests[k], values[rows])

    n_jobs = getattr(model, "n_jobs", 1)
    if n_jobs in (None, 1):
        for k in todo:
            one(k)
    else:
        Parallel(n_jobs=n_jobs, prefer="threads")(delayed(one)(k) for k in todo)
    return scores


def out_of_shard_risk(model, X: pd.DataFrame, shard: np.ndarray, scores=None) -> np.ndarray:
    """Each row's risk from the shards that did not train on it (NaN if none did not).

    The mean of the other fitted shards' class-1 probabilities, as
    ``ShardedForest.predict_proba`` averages (a shard that saw one class adds 0): an
    out-of-sample score for a training row, distributed as the served risk of a person
    the model never saw. Summed in shard order, so it does not depend on ``n_jobs``.
    ``scores`` are the rows' :func:`shard_scores`, when already known.
    """
    forests = list(model.estimators_)
    scores = shard_scores(model, X) if scores is None else scores
    shard = np.asarray(shard, dtype=np.int64)
    fitted = np.array([forest is not None for forest in forests], dtype=bool)
    total = np.zeros(len(shard))
    for k in np.flatnonzero(fitted):  # shard order: deterministic sums
        total += scores[:, k]
    own = np.zeros(len(shard))
    mine = (shard >= 0) & (shard < len(forests))
    for k in np.flatnonzero(fitted):
        rows = mine & (shard == k)
        own[rows] = scores[rows, k]
    others = fitted.sum() - (mine & fitted[np.clip(shard, 0, len(forests) - 1)])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(others > 0, (total - own) / others, np.nan)


def validation_row_names(persons, values: np.ndarray) -> np.ndarray:
    """A pseudonymous name for each validation row: equal when person and features are.

    BLAKE2b (16 bytes, hex) of the person id and the row's float32 feature bytes. The
    model keeps these with its shard scores instead of the persons and their features:
    a served artifact must not become a list of people and their arrest histories.
    """
    rows = np.ascontiguousarray(values, dtype=np.float32).view(np.uint8).reshape(len(values), -1)
    return np.array(
        [
            hashlib.blake2b(f"{person}\x1f".encode() + row.tobytes(), digest_size=16).hexdigest()
            for person, row in zip(np.asarray(persons, dtype=str).tolist(), rows, strict=True)
        ],
        dtype="U32",
    )


def known_shard_scores(previous, names: np.ndarray, kept) -> np.ndarray | None:
    """The scores ``previous`` stored that hold for these rows (NaN elsewhere), or None.

    A stored score is reused for a row of the same name (:func:`validation_row_names`:
    same person, bit-identical features), and only from a ``kept`` shard (same forest);
    everything else is scored anew, so the result equals a full scoring of the rows.
    """
    stored = getattr(previous, "validation_scores_", None)
    if stored is None or stored.shape[1] != len(previous.estimators_):
        return None
    at = position_in(
        pd.Series(names, dtype="str"), pd.Series(previous.validation_rows_, dtype="str")
    )
    rows = np.flatnonzero(at >= 0)
    known = np.full((len(names), stored.shape[1]), np.nan)
    kept = np.asarray(kept, dtype=np.int64)
    known[np.ix_(rows, kept)] = stored[np.ix_(at[rows], kept)]
    return known


class SensitiveGroups(BaseEstimator):
    """Each person's group on one fairness dimension, for choosing the threshold only.

    Never a feature and never served: :func:`select_threshold` reads it to judge candidate
    thresholds under the equalized-odds constraint. It is fitted from the clean tables
    (the same population as the features), so the ``fitted_state`` check re-fits it.

    Parameters
    ----------
    cutoff : str, default="2023-06-01"
    dimension : {"race", "sex", "age_group", "borough"}, default="race"

    Attributes
    ----------
    person_ids_ : ndarray of str
        The population (persons with a clean arrest before the cutoff), sorted.
    categories_ : ndarray of str
        The groups, sorted.
    codes_ : ndarray of int
        Each person's index into ``categories_``.
    """

    def __init__(self, cutoff="2023-06-01", dimension="race"):
        self.cutoff = cutoff
        self.dimension = dimension

    def fit(self, X: Mapping, y=None):
        """Read the groups of the population from the clean ``arrests`` and ``persons``."""
        cutoff = pd.Timestamp(self.cutoff).strftime("%Y-%m-%d")
        population = history_population(X["arrests"], cutoff)
        groups = person_groups(X, population, cutoff)
        if self.dimension not in groups.columns:
            raise ValueError(
                f"dimension must be one of {[c for c in groups.columns if c != 'PERSON_ID']}; "
                f"got {self.dimension!r}"
            )
        values = groups[self.dimension].to_numpy(dtype=str)
        self.person_ids_ = np.asarray(population, dtype=str)
        self.categories_, codes = np.unique(values, return_inverse=True)
        self.codes_ = codes.astype(np.int32)
        return self

    def transform(self, person_ids) -> np.ndarray:
        """The group of each person (``UNKNOWN`` for a person outside the population)."""
        check_is_fitted(self, "codes_")
        if isinstance(person_ids, np.ndarray) and person_ids.dtype.kind == "U":
            wanted = person_ids  # already what the search compares
        else:
            wanted = np.asarray(
                pd.Series(person_ids, dtype="str").to_numpy(dtype=object), dtype=str
            )
        at = np.searchsorted(self.person_ids_, wanted)
        at = np.clip(at, 0, max(len(self.person_ids_) - 1, 0))
        found = len(self.person_ids_) > 0
        hit = (self.person_ids_[at] == wanted) if found else np.zeros(len(wanted), bool)
        out = np.full(len(wanted), "UNKNOWN", dtype=object)
        out[hit] = self.categories_[self.codes_[at[hit]]]
        return out


class HoldoutPredictions:
    """Held-out persons with their label, risk and fairness groups; read-only.

    Computed in the constructor: the pipeline is fitted on the development persons of
    ``training`` (which is how it fits the model it certifies: the same fingerprint) and
    scores the held-out ones; ``y_pred`` is the model's own decision, ``risk >=
    threshold_``, so the gates judge exactly what serving returns as ``high_risk``.

    Parameters
    ----------
    pipeline : RecidivismPipeline
    training : TrainingSet
        Built by ``pipeline`` (its ``row_keys`` hold ``PERSON_ID``).
    groups : DataFrame
        ``person_groups`` of the same tables, aligned with ``training`` rows.
    model : ShardedForest, optional
        ``pipeline.fit(training)`` (or its refit), to judge instead of fitting again: what
        ``retrain`` certifies. It must have been fitted on exactly the development rows
        of ``training`` (its ``shard_digests_`` are compared with theirs), so that no
        held-out person it is judged on was a training row.
    """

    def __init__(
        self,
        pipeline: RecidivismPipeline,
        training: TrainingSet,
        groups: pd.DataFrame,
        model=None,
    ):
        held = pipeline.held_out(training)
        train_rows, test_rows = np.flatnonzero(~held), np.flatnonzero(held)
        if model is None:
            model = pipeline.fit(training.take(train_rows))
        else:
            stored = np.asarray(getattr(model, "shard_digests_", []), dtype=object)
            expected = pipeline.shard_digests(training)
            if stored.shape != expected.shape or (stored != expected).any():
                raise ValueError(MSG_NOT_FITTED_ON)
        self._model = model
        test_X = training.X.iloc[test_rows].reset_index(drop=True)
        risk = _positive_proba(self._model, test_X, threads=True)
        threshold = float(getattr(self._model, "threshold_", np.nan))
        frame = groups.iloc[test_rows].reset_index(drop=True).copy()
        frame["y_true"] = np.asarray(training.y)[test_rows].astype(int)
        frame["risk"] = risk
        frame["y_pred"] = (risk >= threshold).astype(int)
        self._frame = frame
        self._train_rows = train_rows
        self._threshold = threshold
        self._decision = dict(getattr(self._model, "decision_", {}))

    @property
    def frame(self) -> pd.DataFrame:
        """One row per held-out person: groups, ``y_true``, ``risk``, ``y_pred``."""
        return self._frame.copy()

    @property
    def model(self):
        """The classifier fitted on the training persons only."""
        return self._model

    @property
    def threshold(self) -> float:
        """The model's fitted decision threshold (``threshold_``)."""
        return self._threshold

    @property
    def decision(self) -> dict:
        """How the threshold was chosen (the model's ``decision_``), for the report."""
        return dict(self._decision)

    @property
    def auc(self) -> float:
        """ROC AUC of ``risk`` on the held-out persons (NaN with a single class)."""
        y = self._frame["y_true"].to_numpy()
        if len(np.unique(y)) < 2:
            return float("nan")
        return float(roc_auc_score(y, self._frame["risk"].to_numpy()))

    @property
    def n_train(self) -> int:
        return int(len(self._train_rows))


def _positive_proba(model, X: pd.DataFrame, *, threads: bool = False) -> np.ndarray:
    """Probability of class 1, the same bits in every run.

    A forest's ``predict_proba`` with ``n_jobs > 1`` adds the trees' votes in whatever
    order the threads finish, so the last bits of a probability can change from run to
    run; the invariance check compares probe predictions exactly. The model is predicted
    through a shallow copy with ``n_jobs=1`` (its trees shared, not copied), except a
    :class:`ShardedForest` when ``threads``: it runs its shards in parallel, each
    single-threaded, and adds them in shard order. Worth it for the checks' and gates'
    hundreds of thousands of rows; on a serving batch the thread pool costs more than it
    saves (the guard's overhead rose from 3 % to 9 % of a 10,000-row batch).
    """
    parallel = threads and isinstance(model, ShardedForest)
    if not parallel and getattr(model, "n_jobs", None) not in (None, 1):
        model = copy.copy(model)
        model.n_jobs = 1
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    if 1 in classes:
        return proba[:, classes.index(1)].astype(float)
    return np.zeros(len(X), dtype=float)


# --- the pipeline ----------------------------------------------------------------------
class RecidivismPipeline:
    """Two-year re-arrest risk from clean person histories; a ``LineagePipeline``.

    Parameters
    ----------
    cutoff : str or date, optional
        Features count arrests before it; the label is a re-arrest in the
        ``horizon_years`` after it. Default: ``[data] cutoff`` of the config.
    seed : int, default=0
        The forest's ``random_state`` (each shard's is derived from it) and the held-out
        split's hash seed.
    config : mapping, optional
        As returned by :func:`load_recidivism_config` (default: that function's result).
    """

    name = "recidivism"

    def __init__(self, cutoff=None, seed: int = 0, *, config: Mapping | None = None):
        self.config = load_recidivism_config() if config is None else merge_config({}, config)
        cutoff = self.config["data"]["cutoff"] if cutoff is None else cutoff
        self.cutoff = pd.Timestamp(cutoff).strftime("%Y-%m-%d")
        self.seed = int(seed)

    # --- pieces ------------------------------------------------------------------------
    def features(self) -> PersonHistoryFeatures:
        """The (unfitted) person history transformer this pipeline uses."""
        section = self.config["features"]
        return PersonHistoryFeatures(
            cutoff=self.cutoff,
            windows=tuple(int(w) for w in section["windows_years"]),
            n_offence_codes=int(section["n_offence_codes"]),
        )

    def assignment(self) -> PersonAssignment:
        """The (unfitted) split, shard and draw of the persons, with this pipeline's settings."""
        return PersonAssignment(
            holdout_fraction=float(self.config["evaluation"]["holdout_fraction"]),
            n_shards=self.n_shards,
            seed=self.seed,
        )

    def _assigned(self, training: TrainingSet) -> pd.DataFrame:
        """``training.row_keys``, refused unless this pipeline's assignment made them."""
        used = training.components.get("person_assignment")
        expected = self.assignment().get_params()
        if used is None or used.get_params() != expected:
            found = None if used is None else used.get_params()
            raise ValueError(MSG_ASSIGNMENT.format(found=found, expected=expected))
        return training.row_keys

    def held_out(self, training: TrainingSet) -> np.ndarray:
        """True for the held-out persons: never fitted on, never used to choose anything."""
        return (self._assigned(training)["split"] == "test").to_numpy(dtype=bool)

    def sensitive_groups(self) -> SensitiveGroups:
        """The (unfitted) group reader the decision threshold is chosen with."""
        dimension = decision_settings(self.config)["fairness_dimension"]
        return SensitiveGroups(cutoff=self.cutoff, dimension=dimension)

    def classifier(self) -> RandomForestClassifier:
        """The (unfitted) seeded, unsharded forest: every shard's template."""
        return RandomForestClassifier(random_state=self.seed, **self.config["classifier"])

    @property
    def n_shards(self) -> int:
        """``[shards] n_shards`` of the config."""
        return int(self.config.get("shards", {}).get("n_shards", DEFAULT_N_SHARDS))

    def sharded_classifier(self) -> ShardedForest:
        """The (unfitted) sharded forest :meth:`fit` trains."""
        return ShardedForest(
            self.classifier(),
            n_shards=self.n_shards,
            random_state=self.seed,
            n_jobs=self.config["classifier"].get("n_jobs", 1),
        )

    def shards(self, training: TrainingSet) -> np.ndarray:
        """Each row's shard: a stable hash of its ``PERSON_ID`` (see :class:`PersonAssignment`)."""
        return self._assigned(training)["shard"].to_numpy(np.int64)

    def training_set(self, tables: Mapping) -> TrainingSet:
        """Population, features, label and provenance from ``tables`` as given.

        ``build`` passes the clean tables; the before/after-sanitization comparison passes
        the raw ones on purpose, to show what the unsanitized model would have been.
        """
        arrests = tables["arrests"]
        features = self.features().fit(tables)
        X = features.transform(tables)
        population = history_population(arrests, self.cutoff)
        assignment = self.assignment().fit()
        y, label_arrests = rearrest_labels(
            arrests, population, self.cutoff, int(self.config["data"]["horizon_years"])
        )
        prior = arrests[arrests["ARREST_DATE"] < pd.Timestamp(self.cutoff)]
        provenance = history_provenance(population, prior, label_arrests)
        row_keys = pd.concat(
            [
                pd.DataFrame({"PERSON_ID": pd.Series(population, dtype="str")}),
                assignment.transform(population),
            ],
            axis=1,
        )
        components = {
            "person_assignment": assignment,
            "person_features": features,
            "sensitive_groups": self.sensitive_groups().fit(tables),
        }
        return TrainingSet(X.reset_index(drop=True), y, row_keys, provenance, components)

    # --- LineagePipeline -----------------------------------------------------------------
    def build(self, raw: Tables, snapshot: Snapshot) -> TrainingSet:
        """Sanitize, then build the training set from the clean tables only."""
        return self.training_set(sanitize(raw, snapshot).tables)

    def _fit_rows(self, training: TrainingSet):
        """The development rows (every person not held out): X, y, shard and row keys."""
        rows = np.flatnonzero(~self.held_out(training))
        keys = training.row_keys.iloc[rows].reset_index(drop=True)
        X = training.X.iloc[rows].reset_index(drop=True)
        return X, np.asarray(training.y)[rows], keys["shard"].to_numpy(np.int64), keys

    def _decide(self, model, training: TrainingSet, X, y, shard, keys, previous=None, refitted=()):
        """Fit the decision threshold on the development rows' out-of-shard risk.

        After a refit, ``previous``'s stored scores of the validation persons are reused
        for its kept shards (rows unchanged); only the ``refitted`` shards and changed
        rows are scored.
        """
        settings = decision_settings(self.config)
        groups = training.components.get("sensitive_groups")
        if groups is None:
            raise ValueError(MSG_NO_GROUPS)
        if self.n_shards < 2:
            raise ValueError(MSG_ONE_SHARD.format(n_shards=self.n_shards))
        rows = validation_rows(keys["draw"], settings["max_validation_persons"])
        values = _tree_input(X.iloc[rows])
        persons = keys["PERSON_ID"].iloc[rows].astype(str).to_numpy(dtype=str)
        names = validation_row_names(persons, values)
        known = None
        if previous is not None:
            kept = np.setdiff1d(np.arange(len(model.estimators_)), refitted)
            known = known_shard_scores(previous, names, kept)
        scores = shard_scores(model, values, known)
        risk = out_of_shard_risk(model, values, shard[rows], scores)
        # kept with the model (under pseudonymous row names), so that a refit scores
        # only its refitted shards and the rows whose person or features changed
        model.validation_rows_ = names
        model.validation_scores_ = scores
        fraction = float(self.config["evaluation"]["holdout_fraction"])
        # the gate's held-out size follows from all development persons, sampled or not
        n_valid = int(round(np.sum(~np.isnan(risk)) * len(X) / max(len(rows), 1)))
        record = select_threshold(
            risk,
            y[rows],
            groups.transform(persons),
            n_holdout=max(1, int(round(n_valid * fraction / (1.0 - fraction)))),
            objective=settings["objective"],
            max_equalized_odds_difference=float(settings["max_equalized_odds_difference"]),
            min_group_size=int(settings["min_group_size"]),
            power=float(settings["power"]),
            n_resamples=int(settings["n_resamples"]),
            max_flag_rate=float(settings["max_flag_rate"]),
            flag_rate_step=float(settings["flag_rate_step"]),
            seed=self.seed,
        )
        model.threshold_ = record.pop("threshold")
        model.decision_ = {"dimension": str(settings["fairness_dimension"]), **record}
        return model

    def fit(self, training: TrainingSet) -> ShardedForest:
        """Fit the sharded forest and its threshold on the development persons.

        Deterministic (same data, same fingerprint, threshold included). The held-out
        persons are dropped here, not by the caller, so the model ``retrain`` certifies
        and the one the gates judge on those persons are the same model.

        Returns
        -------
        ShardedForest
            With fitted attributes beyond the forest's own: ``threshold_`` (float; the
            decision ``high_risk`` is ``risk >= threshold_``, NaN flags nobody),
            ``decision_`` (dict: how it was chosen, :func:`select_threshold`'s record),
            and, for :meth:`refit`, ``validation_scores_`` (each shard's score of each
            validation row) under ``validation_rows_`` (:func:`validation_row_names`).
        """
        X, y, shard, keys = self._fit_rows(training)
        model = self.sharded_classifier().fit(X, y, shard=shard, keys=keys)
        return self._decide(model, training, X, y, shard, keys)

    def shard_digests(self, training: TrainingSet) -> np.ndarray:
        """Per-shard digests of the rows :meth:`fit` fits on (see ``shard_digests``)."""
        X, y, shard, keys = self._fit_rows(training)
        return shard_digests(X, y, shard, self.n_shards, keys)

    def refit(
        self,
        training: TrainingSet,
        previous_model: ShardedForest,
        previous_training: TrainingSet | None = None,
    ) -> tuple[ShardedForest, np.ndarray]:
        """Retrain only the shards whose rows changed; equal to :meth:`fit` (same fingerprint).

        The threshold is chosen again afterwards (a refitted shard moves every other
        shard's out-of-shard risk): it is a prediction pass, not a training one.

        Parameters
        ----------
        training : TrainingSet
            Built on the new snapshot.
        previous_model : ShardedForest
        previous_training : TrainingSet, optional
            What ``previous_model`` was fitted on. Its per-shard digests are compared
            with the new ones (and must match those the model stored when fitted:
            a model fitted on other rows is refused); without it, the stored digests
            are compared directly.

        Returns
        -------
        model : ShardedForest
        affected_shards : ndarray of int
        """
        X, y, shard, keys = self._fit_rows(training)
        old = None if previous_training is None else self.shard_digests(previous_training)
        model, affected = refit_shards(
            self.sharded_classifier(), X, y, shard, keys, previous_model, old
        )
        decided = self._decide(model, training, X, y, shard, keys, previous_model, affected)
        return decided, affected

    def refit_components(self, clean: Tables) -> dict[str, object]:
        """Re-fit every component on the clean tables alone (the assignment reads none)."""
        return {
            "person_assignment": self.assignment().fit(),
            "person_features": self.features().fit(clean),
            "sensitive_groups": self.sensitive_groups().fit(clean),
        }

    def predict(self, model, training: TrainingSet) -> np.ndarray:
        """Re-arrest probability of each row."""
        return _positive_proba(model, training.X, threads=True)

    # --- evaluation and serving ---------------------------------------------------------
    def groups(self, tables: Mapping, training: TrainingSet) -> pd.DataFrame:
        """Fairness groups (race, sex, age group, borough) of the training rows."""
        return person_groups(tables, training.row_keys["PERSON_ID"], self.cutoff)

    def holdout(
        self, tables: Mapping, training: TrainingSet | None = None, model=None
    ) -> HoldoutPredictions:
        """Score the held-out persons (AUC and fairness input).

        With the model fitted on the training persons: ``model`` if given, else fitted.
        """
        training = self.training_set(tables) if training is None else training
        return HoldoutPredictions(self, training, self.groups(tables, training), model)

    def scorer(self, model, training: TrainingSet) -> RecidivismScorer:
        """The servable object: fitted features, the forest (with its threshold), the rule."""
        rule = self.config["rule"]
        return RecidivismScorer(
            features=training.components["person_features"],
            classifier=model,
            min_arrests=int(rule["min_arrests"]),
            window_years=int(rule["window_years"]),
        )


class RecidivismScorer:
    """Per person ``risk``, ``recidivist`` and the decision ``high_risk``, as of a date.

    What the registered ``recidivism`` model serves. It is given clean tables (serving
    filters against the current registry first) and never sees race or sex. The decision
    uses the classifier's own fitted ``threshold_``, the one the gates judged; a
    classifier without one (a model packaged before thresholds were fitted) gets no
    ``high_risk`` column rather than a threshold nobody certified.

    Parameters
    ----------
    features : PersonHistoryFeatures
        Fitted transformer.
    classifier : estimator
        Fitted classifier with ``predict_proba`` (the pipeline's sharded forest, with its
        fitted ``threshold_``).
    min_arrests, window_years : int
        The rule label's parameters.
    """

    def __init__(self, *, features, classifier, min_arrests: int = 3, window_years: int = 2):
        self.features = features
        self.classifier = classifier
        self.min_arrests = min_arrests
        self.window_years = window_years

    @property
    def threshold(self) -> float | None:
        """The certified decision threshold, or None if the classifier has none."""
        value = getattr(self.classifier, "threshold_", None)
        return None if value is None else float(value)

    def score(self, tables: Mapping, as_of=None, person_ids=None) -> pd.DataFrame:
        """``PERSON_ID, risk, recidivist, high_risk, risk_threshold`` of each scored person.

        Everyone with a clean arrest before ``as_of`` is scored; ``high_risk`` is
        ``risk >= risk_threshold`` (both columns are absent without a threshold, see the
        class docstring).

        ``as_of`` defaults to the features' cutoff; ``person_ids`` restricts the output
        (people without a clean arrest get no row: there is nothing lawful to score).
        """
        as_of = self.features.cutoff_ if as_of is None else as_of
        X = self.features.transform(tables, as_of=as_of)
        risk = _positive_proba(self.classifier, X.reset_index(drop=True))
        flags = recidivist_label(
            tables["arrests"],
            as_of,
            person_ids=X.index,
            min_arrests=self.min_arrests,
            window_years=self.window_years,
        )
        out = pd.DataFrame(
            {
                "PERSON_ID": pd.Series(X.index, dtype="str"),
                "risk": risk,
                "recidivist": flags.to_numpy(dtype=bool),
            }
        )
        threshold = self.threshold
        if threshold is not None:
            out["high_risk"] = risk >= threshold
            out["risk_threshold"] = threshold
        if person_ids is not None:
            wanted = pd.Series(person_ids, dtype="str")
            out = out[position_in(out["PERSON_ID"], wanted) >= 0].reset_index(drop=True)
        return out
