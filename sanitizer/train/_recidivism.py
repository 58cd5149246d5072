"""The recidivism model: a rule label and a two-year re-arrest risk, from clean arrests only.

Two things are returned per person (CONTRACT.md, model ``recidivism``):

``recidivist``
    The rule label NYPD tools attach to people: at least ``min_arrests`` arrests within
    ``window_years`` (default three within two years). The 2023 order's second item is to
    stop using sealed arrests for it, so it counts clean arrests only.
``risk``
    The probability of a re-arrest within two years, from a random forest over the person
    history features of :mod:`sanitizer.features` (never race, never sex).

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
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

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
    "RECIDIVISM_CONFIG_PATH",
    "RecidivismPipeline",
    "RecidivismScorer",
    "HoldoutPredictions",
    "holdout_mask",
    "load_recidivism_config",
    "recidivist_label",
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
    "decision": {"threshold": 0.2},
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


# --- the held-out split ------------------------------------------------------------------
def holdout_mask(person_ids, fraction: float, seed: int = 0) -> np.ndarray:
    """True for held-out persons: a seeded hash of each PERSON_ID below ``fraction``.

    A hash, not a permutation: whether a person is held out depends on nobody else, so
    removing sealed persons from the population moves no one across the split.
    """
    if not 0.0 < float(fraction) < 1.0:
        raise ValueError(f"holdout fraction must lie in (0, 1), got {fraction!r}")
    prefix = f"{int(seed)}\x1f".encode()
    draws = np.fromiter(
        (
            int.from_bytes(hashlib.sha256(prefix + str(p).encode()).digest()[:8], "big")
            for p in person_ids
        ),
        dtype=np.uint64,
        count=len(person_ids),
    )
    return draws < np.uint64(int(float(fraction) * 2.0**64))


class HoldoutPredictions:
    """Held-out persons with their label, risk and fairness groups; read-only.

    Computed in the constructor: the pipeline is fitted on the training persons of
    ``training`` and scores the held-out ones.

    Parameters
    ----------
    pipeline : RecidivismPipeline
    training : TrainingSet
        Built by ``pipeline`` (its ``row_keys`` hold ``PERSON_ID``).
    groups : DataFrame
        ``person_groups`` of the same tables, aligned with ``training`` rows.
    """

    def __init__(self, pipeline: RecidivismPipeline, training: TrainingSet, groups: pd.DataFrame):
        ids = training.row_keys["PERSON_ID"].to_numpy(dtype=object)
        held = holdout_mask(ids, pipeline.config["evaluation"]["holdout_fraction"], pipeline.seed)
        train_rows, test_rows = np.flatnonzero(~held), np.flatnonzero(held)
        fit_on = TrainingSet(
            training.X.iloc[train_rows].reset_index(drop=True),
            np.asarray(training.y)[train_rows],
            training.row_keys.iloc[train_rows].reset_index(drop=True),
            training.provenance.take(train_rows),
            training.components,
        )
        self._model = pipeline.fit(fit_on)
        test_X = training.X.iloc[test_rows].reset_index(drop=True)
        risk = _positive_proba(self._model, test_X)
        frame = groups.iloc[test_rows].reset_index(drop=True).copy()
        frame["y_true"] = np.asarray(training.y)[test_rows].astype(int)
        frame["risk"] = risk
        frame["y_pred"] = (risk >= pipeline.config["decision"]["threshold"]).astype(int)
        self._frame = frame
        self._train_rows = train_rows
        self._threshold = float(pipeline.config["decision"]["threshold"])

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
        return self._threshold

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


def _positive_proba(model, X: pd.DataFrame) -> np.ndarray:
    """Probability of class 1, computed single-threaded.

    A forest's ``predict_proba`` with ``n_jobs > 1`` adds the trees' votes in whatever
    order the threads finish, so the last bits of a probability can change from run to
    run; the invariance check compares probe predictions exactly. A shallow copy with
    ``n_jobs=1`` sums them in tree order (the fitted trees are shared, not copied).
    """
    if getattr(model, "n_jobs", None) not in (None, 1):
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
        """Each row's shard: a stable hash of its ``PERSON_ID``."""
        return stable_shard(training.row_keys["PERSON_ID"].to_numpy(dtype=object), self.n_shards)

    def training_set(self, tables: Mapping) -> TrainingSet:
        """Population, features, label and provenance from ``tables`` as given.

        ``build`` passes the clean tables; the before/after-sanitization comparison passes
        the raw ones on purpose, to show what the unsanitized model would have been.
        """
        arrests = tables["arrests"]
        features = self.features().fit(tables)
        X = features.transform(tables)
        population = history_population(arrests, self.cutoff)
        y, label_arrests = rearrest_labels(
            arrests, population, self.cutoff, int(self.config["data"]["horizon_years"])
        )
        prior = arrests[arrests["ARREST_DATE"] < pd.Timestamp(self.cutoff)]
        provenance = history_provenance(population, prior, label_arrests)
        row_keys = pd.DataFrame({"PERSON_ID": pd.Series(population, dtype="str")})
        return TrainingSet(
            X.reset_index(drop=True), y, row_keys, provenance, {"person_features": features}
        )

    # --- LineagePipeline -----------------------------------------------------------------
    def build(self, raw: Tables, snapshot: Snapshot) -> TrainingSet:
        """Sanitize, then build the training set from the clean tables only."""
        return self.training_set(sanitize(raw, snapshot).tables)

    def fit(self, training: TrainingSet) -> ShardedForest:
        """Fit the sharded forest (deterministic: same data, same fingerprint)."""
        return self.sharded_classifier().fit(
            training.X, np.asarray(training.y), shard=self.shards(training), keys=training.row_keys
        )

    def shard_digests(self, training: TrainingSet) -> np.ndarray:
        """Per-shard digests of the rows :meth:`fit` fits on (see ``shard_digests``)."""
        y = np.asarray(training.y)
        return shard_digests(
            training.X, y, self.shards(training), self.n_shards, training.row_keys
        )

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
        old = None if previous_training is None else self.shard_digests(previous_training)
        return refit_shards(
            self.sharded_classifier(),
            training.X,
            np.asarray(training.y),
            self.shards(training),
            training.row_keys,
            previous_model,
            old,
        )

    def refit_components(self, clean: Tables) -> dict[str, PersonHistoryFeatures]:
        """Re-fit the history transformer (its offence codes) on the clean tables alone."""
        return {"person_features": self.features().fit(clean)}

    def predict(self, model, training: TrainingSet) -> np.ndarray:
        """Re-arrest probability of each row."""
        return _positive_proba(model, training.X)

    # --- evaluation and serving ---------------------------------------------------------
    def groups(self, tables: Mapping, training: TrainingSet) -> pd.DataFrame:
        """Fairness groups (race, sex, age group, borough) of the training rows."""
        return person_groups(tables, training.row_keys["PERSON_ID"], self.cutoff)

    def holdout(self, tables: Mapping, training: TrainingSet | None = None) -> HoldoutPredictions:
        """Fit on the training persons, score the held-out ones (AUC and fairness input)."""
        training = self.training_set(tables) if training is None else training
        return HoldoutPredictions(self, training, self.groups(tables, training))

    def scorer(self, model, training: TrainingSet) -> RecidivismScorer:
        """The servable object: fitted features, the forest and the rule's parameters."""
        rule = self.config["rule"]
        return RecidivismScorer(
            features=training.components["person_features"],
            classifier=model,
            min_arrests=int(rule["min_arrests"]),
            window_years=int(rule["window_years"]),
        )


class RecidivismScorer:
    """Per person ``risk`` and ``recidivist`` on clean tables, as of a date.

    What the registered ``recidivism`` model serves. It is given clean tables (serving
    filters against the current registry first) and never sees race or sex.

    Parameters
    ----------
    features : PersonHistoryFeatures
        Fitted transformer.
    classifier : estimator
        Fitted classifier with ``predict_proba``.
    min_arrests, window_years : int
        The rule label's parameters.
    """

    def __init__(self, *, features, classifier, min_arrests: int = 3, window_years: int = 2):
        self.features = features
        self.classifier = classifier
        self.min_arrests = min_arrests
        self.window_years = window_years

    def score(self, tables: Mapping, as_of=None, person_ids=None) -> pd.DataFrame:
        """``PERSON_ID``, ``risk``, ``recidivist`` of everyone with a clean arrest before ``as_of``.

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
        if person_ids is not None:
            wanted = pd.Series(person_ids, dtype="str")
            out = out[position_in(out["PERSON_ID"], wanted) >= 0].reset_index(drop=True)
        return out
