"""The recidivism model's fairness report, its before/after-sanitization comparison, mitigation.

Everything is measured on held-out persons (a seeded hash of PERSON_ID, see
``sanitizer.train.holdout_mask``), and what is measured is what is served:

- the model judged is the model certified: ``RecidivismPipeline.fit`` fits the forest on
  the development persons (everyone not held out) whatever it is given, so the model the
  report fits and the one ``retrain`` registers have the same fingerprint;
- a person is "flagged" when their risk reaches the model's own fitted ``threshold_``,
  which is what serving returns as ``high_risk`` (with ``risk_threshold``). Nothing
  about the decision is configured at report time.

The threshold was chosen on the development persons only (their out-of-shard risk, see
``sanitizer.train.select_threshold``): one threshold for everyone, under the equalized-odds
constraint of the fairness gate, so that a held-out evaluation of this size is predicted to
pass with probability ``[decision] power``. The held-out persons never influenced it; they
only judge it. The report carries that choice (``decision``: candidates, predicted pass
probability, validation figures) beside the held-out figures, and ``overall`` carries the
threshold, the recall and the precision of the decision.

Two gates read the decision: ``fairness`` (equalized-odds difference across race) and
``quality`` (AUC of the risk, and the decision's recall against ``min_recall``, so that a
model which flags nobody is refused).

Mitigation: decisions that are *not* served
-------------------------------------------
The ``mitigate`` options below replace the judged decisions by post-processed ones that
serving does not make (serving returns the unmitigated ``risk`` and ``high_risk``). They
are kept for comparison and research; a model certified with them is certified on
decisions nobody serves, which the model card says.

``mitigate="threshold_optimizer"`` post-processes the forest with fairlearn's
``ThresholdOptimizer`` (equalized odds, balanced-accuracy objective): one randomized
threshold per race. It needs **race at prediction time**, so a mitigated model can only
be served if serving receives each person's race with every request; race then becomes
an input of the certified model, which serving must validate, log in the audit trail and
protect like any other sensitive field, and whose use a reviewer must be able to see. Its
predictions are randomized (seeded here), so the same person can be flagged on one call
and not on the next unless the seed is fixed per request.

``mitigate="exponentiated_gradient"`` trains a randomized mixture of forests under an
equalized-odds constraint (fairlearn's ``ExponentiatedGradient``). Race is needed only
while training, not at serving, but the served model is the whole mixture (several
forests and their weights), every one of which must pass the lineage checks, and it is
much slower to train (one forest per iteration). It minimises error, so at a ~10% base
rate it can satisfy the constraint by flagging nobody (measured on `small`: selection
rate 0): a passing gate there is no evidence of a useful model; read the rates with it.
The AUC quality gate always reads the unmitigated risk scores.

Both change only the decision, never the data: the lineage checks still apply to the
unmitigated pipeline, which is why mitigation lives here, behind a flag, and not in
``RecidivismPipeline``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..registry import Snapshot
from ..sanitize import sanitize
from ..tables import Tables, isin
from ..train import HoldoutPredictions, RecidivismPipeline
from ._config import load_gates
from ._messages import MSG_UNKNOWN_MITIGATION
from ._patternizr import _none
from ._report import FairnessReport

__all__ = ["MITIGATIONS", "recidivism_report", "mitigated_predictions", "SanitizationComparison"]

#: Mitigation methods ``recidivism_report(..., mitigate=...)`` accepts.
MITIGATIONS = ("threshold_optimizer", "exponentiated_gradient")


def _single_threaded(model):
    """A shallow copy predicting with one thread: parallel forests add votes in any order."""
    if getattr(model, "n_jobs", None) not in (None, 1):
        model = copy.copy(model)
        model.n_jobs = 1
    return model


#: Sensitive value standing for every group too degenerate to get its own threshold.
POOLED_GROUP = "OTHER (pooled for mitigation)"


def _mitigation_groups(values: np.ndarray, held: np.ndarray, y: np.ndarray):
    """Sensitive values for the mitigator, with degenerate groups pooled.

    fairlearn needs both outcomes in every group it fits a threshold for; a race with no
    re-arrested (or no un-re-arrested) training member is pooled with the others like it,
    so those people get one shared threshold rather than an error.
    """
    train_values, train_y = values[~held], y[~held]
    pooled = values.copy()
    for value in np.unique(train_values):
        outcomes = np.unique(train_y[train_values == value])
        if len(outcomes) < 2:
            pooled[values == value] = POOLED_GROUP
    known = set(pooled[~held])
    pooled[held & ~np.isin(pooled, list(known))] = POOLED_GROUP
    if len(np.unique(y[~held][pooled[~held] == POOLED_GROUP])) == 1:
        # the pool itself is one-sided: merge it into the largest group
        largest = pd.Series(pooled[~held]).value_counts().index[0]
        pooled[pooled == POOLED_GROUP] = largest
    return pooled[~held], pooled[held]


def mitigated_predictions(
    pipeline: RecidivismPipeline,
    training,
    groups: pd.DataFrame,
    holdout: HoldoutPredictions,
    method: str,
    *,
    sensitive: str = "race",
) -> np.ndarray:
    """Flags of the held-out persons after mitigation (see the module docstring).

    ``ThresholdOptimizer`` is fitted on the training persons around the forest already
    fitted on them (``holdout.model``); ``ExponentiatedGradient`` trains its own mixture.
    Both are seeded with the pipeline's seed.
    """
    from fairlearn.postprocessing import ThresholdOptimizer
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

    if method not in MITIGATIONS:
        raise ValueError(MSG_UNKNOWN_MITIGATION.format(method=method, expected=list(MITIGATIONS)))
    held = pipeline.held_out(training)
    X_train, X_test = training.X[~held], training.X[held]
    y_train = np.asarray(training.y)[~held]
    s_train, s_test = _mitigation_groups(
        groups[sensitive].to_numpy(dtype=object), held, np.asarray(training.y)
    )
    if method == "threshold_optimizer":
        optimizer = ThresholdOptimizer(
            estimator=_single_threaded(holdout.model),
            constraints="equalized_odds",
            objective="balanced_accuracy_score",
            prefit=True,
            predict_method="predict_proba",
        )
        optimizer.fit(X_train, y_train, sensitive_features=s_train)
        flags = optimizer.predict(X_test, sensitive_features=s_test, random_state=pipeline.seed)
    else:
        mixture = ExponentiatedGradient(
            pipeline.classifier().set_params(n_jobs=1),
            constraints=EqualizedOdds(),
            max_iter=20,
        )
        mixture.fit(X_train, y_train, sensitive_features=s_train)
        flags = mixture.predict(X_test, random_state=pipeline.seed)
    return np.asarray(flags, dtype=int)


def recidivism_report(
    tables: Tables | Mapping,
    pipeline: RecidivismPipeline | None = None,
    *,
    training=None,
    mitigate: str | None = None,
    gates: Mapping | None = None,
    model=None,
    **evidence,
) -> FairnessReport:
    """Held-out fairness and quality of the recidivism model trained on ``tables``.

    Pass the clean tables (``sanitize(raw, snapshot).tables``); the before/after
    comparison passes raw ones on purpose. ``mitigate`` is None or one of
    :data:`MITIGATIONS`; ``evidence`` overrides ``min_group_size``, ``n_boot``,
    ``confidence`` or ``seed``. ``model``: the model ``pipeline.fit(training)`` gave,
    to judge it rather than fit it again (see :class:`HoldoutPredictions`).
    """
    pipeline = RecidivismPipeline() if pipeline is None else pipeline
    training = pipeline.training_set(tables) if training is None else training
    groups = pipeline.groups(tables, training)
    holdout = HoldoutPredictions(pipeline, training, groups, model)
    frame = holdout.frame
    flags = frame["y_pred"].to_numpy()
    threshold, decision = holdout.threshold, {**holdout.decision, "served": True}
    if mitigate is not None:
        flags = mitigated_predictions(pipeline, training, groups, holdout, mitigate)
        threshold, decision = None, {"mitigation": mitigate, "served": False}
    config = load_gates() if gates is None else gates
    dimensions = list(config["recidivism"]["fairness"]["dimensions"])
    return FairnessReport(
        frame["y_true"].to_numpy(),
        flags,
        frame[dimensions],
        y_score=frame["risk"].to_numpy(),
        threshold=threshold,
        decision=decision,
        model="recidivism",
        gates=config,
        **evidence,
    )


def _tainted_rows(training, excluded: pd.Series) -> int:
    """Rows whose arrest provenance meets ``excluded`` (Arrow set membership, not np.isin).

    ``KeySets.rows_touching`` uses ``np.isin`` on object arrays, which is quadratic: at
    `small` scale (50k keys against 40k excluded) it takes about half a minute.
    """
    sets = training.provenance.sources["arrests"]
    if not len(sets.codes):
        return 0
    bad = isin(pd.Series(sets.keys, dtype="str"), excluded)
    hits = np.zeros(len(sets.codes) + 1, dtype=np.int64)
    np.cumsum(bad[sets.codes], out=hits[1:])
    return int(((hits[sets.indptr[1:]] - hits[sets.indptr[:-1]]) > 0).sum())


#: What the comparison table lists: (label, where to read it).
_COMPARED = (
    ("population", ("training", "rows")),
    ("rows carrying an excluded arrest", ("training", "tainted_rows")),
    ("held-out persons", ("overall", "n")),
    ("base rate (re-arrest within 2 years)", ("overall", "base_rate")),
    ("AUC", ("overall", "auc")),
    ("decision threshold (fitted)", ("overall", "threshold")),
    ("selection rate", ("overall", "selection_rate")),
    ("recall", ("overall", "recall")),
    ("false positive rate", ("overall", "false_positive_rate")),
    ("false negative rate", ("overall", "false_negative_rate")),
)


class SanitizationComparison:
    """The same model and metrics trained on raw vs sanitized data; read-only.

    "Before" is what the model would be without the sanitizer: population, features and
    labels from every arrest, sealed ones included (its training rows that carry an
    excluded arrest are counted). "After" is the certified path. Each is evaluated on its
    own held-out persons, as each would have been deployed.

    Parameters
    ----------
    raw : Tables
    snapshot : Snapshot
    pipeline : RecidivismPipeline, optional
    gates : mapping, optional
    **evidence
        Overrides of ``min_group_size``, ``n_boot``, ``confidence``, ``seed``.
    """

    def __init__(
        self,
        raw: Tables,
        snapshot: Snapshot,
        pipeline: RecidivismPipeline | None = None,
        *,
        gates: Mapping | None = None,
        **evidence,
    ):
        pipeline = RecidivismPipeline() if pipeline is None else pipeline
        clean = sanitize(raw, snapshot).tables
        excluded = pd.Series(snapshot.excluded_keys, dtype="str")
        self._reports, self._training = {}, {}
        for side, tables in (("before", raw), ("after", clean)):
            training = pipeline.training_set(tables)
            self._training[side] = {
                "rows": int(len(training)),
                "tainted_rows": _tainted_rows(training, excluded),
            }
            self._reports[side] = recidivism_report(
                tables, pipeline, training=training, gates=gates, **evidence
            )
        rows = []
        for label, (where, key) in _COMPARED:
            values = [
                (self._training[s][key] if where == "training" else self._reports[s].overall[key])
                for s in ("before", "after")
            ]
            rows.append({"metric": label, "before": values[0], "after": values[1]})
        for side in ("before", "after"):
            table = self._reports[side].disparities
            for row in table.itertuples():
                if row.metric in ("equalized_odds_difference", "demographic_parity_ratio"):
                    key = f"{row.metric} ({row.dimension})"
                    match = next((r for r in rows if r["metric"] == key), None)
                    if match is None:
                        match = {"metric": key, "before": np.nan, "after": np.nan}
                        rows.append(match)
                    match[side] = row.value
        table = pd.DataFrame(rows)
        table["change"] = pd.to_numeric(table["after"]) - pd.to_numeric(table["before"])
        self._table = table

    @property
    def before(self) -> FairnessReport:
        """The report of the model trained on raw data (sealed arrests included)."""
        return self._reports["before"]

    @property
    def after(self) -> FairnessReport:
        """The report of the model trained on sanitized data."""
        return self._reports["after"]

    @property
    def table(self) -> pd.DataFrame:
        """``metric``, ``before``, ``after``, ``change``."""
        return self._table.copy()

    def to_dict(self) -> dict:
        return {
            "table": [{k: _none(v) for k, v in r.items()} for r in self._table.to_dict("records")],
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }
