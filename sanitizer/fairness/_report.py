"""Fairness result objects: computed once in the constructor, read-only afterwards.

:class:`FairnessReport` judges a binary decision (the recidivism model's "flagged" at a
risk threshold) by race, sex, age group and borough; :class:`PatternFairnessReport` judges
the pattern model's rankings (recall@k by group, Patternizr's race test). Both expose the
CONTRACT.md gates ``fairness`` and ``quality`` as ``{"passed", "criteria": [...]}``.

A criterion whose groups lack evidence (fewer than two groups of ``min_group_size``) is
reported as ``insufficient evidence`` and never fails its gate: no data is not a verdict,
neither a pass nor a fail, and the report says so rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ._config import load_gates
from ._messages import (
    INSUFFICIENT,
    MSG_CRITERION,
    MSG_INSUFFICIENT_GROUP,
    MSG_LENGTHS,
    MSG_MISSING_DIMENSION,
    MSG_NO_VERDICT,
    SUFFICIENT,
)
from ._metrics import (
    DISPARITIES,
    RATES,
    binary_group_table,
    bootstrap_auc,
    bootstrap_binary,
    bootstrap_group_recall,
    bootstrap_recall_ratio,
    disparities,
    judged_rates,
    recall_at_k,
    recall_group_table,
)
from ._patternizr import RaceTest, _none, _records

__all__ = ["Criterion", "FairnessReport", "PatternFairnessReport", "NOT_MEASURED"]

#: The rates each disparity is computed from.
_USES = {
    "demographic_parity_difference": ("selection_rate",),
    "demographic_parity_ratio": ("selection_rate",),
    "equalized_odds_difference": ("true_positive_rate", "false_positive_rate"),
    "equalized_odds_ratio": ("true_positive_rate", "false_positive_rate"),
    "false_positive_rate_difference": ("false_positive_rate",),
    "false_negative_rate_difference": ("false_negative_rate",),
}

#: Status of a criterion whose figure was not supplied (fails an enforced gate).
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Criterion:
    """One gate criterion: a figure against a threshold."""

    gate: str
    name: str
    value: float | None
    threshold: float
    comparison: str  # "<=" or ">="
    enforced: bool
    status: str  # "pass", "fail", INSUFFICIENT or NOT_MEASURED
    detail: str

    @property
    def passed(self) -> bool:
        """Whether it lets its gate pass: only an enforced failure (or absence) fails."""
        if not self.enforced:
            return True
        return self.status in ("pass", INSUFFICIENT)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "value": _none(self.value),
            "threshold": self.threshold,
            "comparison": self.comparison,
            "enforced": self.enforced,
            "status": self.status,
            "passed": self.passed,
            "detail": self.detail,
        }


def _criterion(gate, name, value, threshold, comparison, enforced, *, no_verdict=None):
    if no_verdict is not None:
        return Criterion(
            gate, name, None, threshold, comparison, enforced, INSUFFICIENT, no_verdict
        )
    if value is None or (isinstance(value, float) and np.isnan(value)):
        detail = f"{name}: {NOT_MEASURED}"
        return Criterion(gate, name, None, threshold, comparison, enforced, NOT_MEASURED, detail)
    ok = value <= threshold if comparison == "<=" else value >= threshold
    outcome = "pass" if ok else ("fail" if enforced else "fail (reported, not enforced)")
    detail = MSG_CRITERION.format(
        criterion=name, value=value, comparison=comparison, threshold=threshold, outcome=outcome
    )
    return Criterion(
        gate, name, float(value), threshold, comparison, enforced, "pass" if ok else "fail", detail
    )


def _gates(criteria: list[Criterion]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for criterion in criteria:
        gate = out.setdefault(criterion.gate, {"passed": True, "criteria": []})
        gate["criteria"].append(criterion.to_dict())
        gate["passed"] = gate["passed"] and criterion.passed
    return out


def _interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1.0 - confidence) / 2.0
    samples = np.asarray(samples, dtype=float)
    if samples.size == 0:
        shape = samples.shape[1:]
        return np.full(shape, np.nan), np.full(shape, np.nan)
    import warnings

    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        return (
            np.nanquantile(samples, alpha, axis=0),
            np.nanquantile(samples, 1 - alpha, axis=0),
        )


class _Settings:
    def __init__(self, gates, min_group_size, n_boot, confidence, seed):
        config = load_gates() if gates is None else gates
        evidence = config["evidence"]
        self.config = config
        self.min_group_size = int(
            evidence["min_group_size"] if min_group_size is None else min_group_size
        )
        self.n_boot = int(evidence["n_bootstrap"] if n_boot is None else n_boot)
        self.confidence = float(evidence["confidence"] if confidence is None else confidence)
        self.seed = int(evidence["seed"] if seed is None else seed)

    def to_dict(self) -> dict:
        return {
            "min_group_size": self.min_group_size,
            "n_bootstrap": self.n_boot,
            "confidence": self.confidence,
            "seed": self.seed,
        }


class FairnessReport:
    """Fairness of a binary decision by group, with bootstrap intervals and gates.

    Computed in the constructor (like fairlearn's ``MetricFrame``); every property
    returns a copy.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Outcomes (re-arrested within two years).
    y_pred : array-like of {0, 1}
        Decisions (flagged as high risk).
    sensitive_features : DataFrame
        One column per fairness dimension (``race``, ``sex``, ``age_group``, ``borough``),
        aligned with ``y_true``.
    y_score : array-like, optional
        Scores for the AUC quality gate.
    threshold : float, optional
        The score threshold ``y_pred`` came from (reported as ``overall["threshold"]``).
    decision : mapping, optional
        How that threshold was chosen (the model's ``decision_``), reported as is.
    model : str, default="recidivism"
        Which section of the gates config applies.
    gates : mapping, optional
        As returned by :func:`load_gates` (default: that function's result).
    min_group_size, n_boot, confidence, seed : optional
        Override the config's ``[evidence]`` section.
    """

    def __init__(
        self,
        y_true,
        y_pred,
        sensitive_features: pd.DataFrame,
        *,
        y_score=None,
        threshold: float | None = None,
        decision: Mapping | None = None,
        model: str = "recidivism",
        gates: Mapping | None = None,
        min_group_size: int | None = None,
        n_boot: int | None = None,
        confidence: float | None = None,
        seed: int | None = None,
    ):
        settings = _Settings(gates, min_group_size, n_boot, confidence, seed)
        section = settings.config[model]
        fairness = section["fairness"]
        dimensions = list(fairness.get("dimensions") or sensitive_features.columns)
        missing = [d for d in dimensions if d not in sensitive_features.columns]
        if missing:
            raise ValueError(MSG_MISSING_DIMENSION.format(missing=missing, expected=dimensions))
        y_true = np.asarray(y_true, dtype=int)
        y_pred = np.asarray(y_pred, dtype=int)
        if not (len(y_true) == len(y_pred) == len(sensitive_features)):
            raise ValueError(
                MSG_LENGTHS.format(
                    n_true=len(y_true), n_pred=len(y_pred), n_groups=len(sensitive_features)
                )
            )
        groups = sensitive_features[dimensions].reset_index(drop=True).astype(str)
        self._settings = settings
        self._model = model
        self._decision = dict(decision or {})

        tables = {
            d: binary_group_table(y_true, y_pred, groups[d], settings.min_group_size)
            for d in dimensions
        }
        boot_rates, boot_values = bootstrap_binary(
            y_true, y_pred, groups, tables, settings.n_boot, settings.seed, settings.min_group_size
        )
        by_group, rows = [], []
        for d, table in tables.items():
            table = table.copy()
            for rate in RATES:
                low, high = _interval(boot_rates[d][rate], settings.confidence)
                table[f"{rate}_low"], table[f"{rate}_high"] = low, high
            table.insert(0, "dimension", d)
            by_group.append(table)
            judged = judged_rates(table, settings.min_group_size)
            point = disparities(
                {r: np.where(judged[r], table[r].to_numpy(float), np.nan) for r in RATES}
            )
            for name in DISPARITIES:
                low, high = _interval(boot_values[d][name], settings.confidence)
                used = judged[_USES[name][0]]
                for rate in _USES[name][1:]:
                    used = used | judged[rate]
                rows.append(
                    {
                        "dimension": d,
                        "metric": name,
                        "value": float(point[name]),
                        "low": float(low),
                        "high": float(high),
                        "groups_judged": int(max(judged[r].sum() for r in _USES[name])),
                        "groups_insufficient": ";".join(table.loc[~used, "group"]),
                        "evidence": "; ".join(
                            f"{r}: {int(judged[r].sum())} group(s) judged" for r in _USES[name]
                        ),
                    }
                )
        self._by_group = pd.concat(by_group, ignore_index=True)
        self._disparities = pd.DataFrame(rows)

        self._overall = {
            "n": int(len(y_true)),
            "base_rate": _mean(y_true),
            "selection_rate": _mean(y_pred),
            "false_positive_rate": _mean(y_pred[y_true == 0]),
            "false_negative_rate": _mean(1 - y_pred[y_true == 1]),
            "recall": _mean(y_pred[y_true == 1]),
            "precision": _mean(y_true[y_pred == 1]),
            "threshold": float("nan") if threshold is None else float(threshold),
            "auc": float("nan"),
            "auc_low": float("nan"),
            "auc_high": float("nan"),
        }
        if y_score is not None:
            self._overall.update(_auc(y_true, np.asarray(y_score, float), settings))

        self._notes = [
            MSG_INSUFFICIENT_GROUP.format(
                dimension=row.dimension, group=row.group, n=row.n, min_size=settings.min_group_size
            )
            for row in self._by_group.itertuples()
            if row.status == INSUFFICIENT
        ]
        self._criteria = self._judge(section)

    def _judge(self, section) -> list[Criterion]:
        fairness, quality = section["fairness"], section.get("quality", {})
        d = fairness["gate_dimension"]
        min_size = self._settings.min_group_size
        criteria = []
        for name, key, comparison, enforced in (
            ("equalized_odds_difference", "max_equalized_odds_difference", "<=", True),
            (
                "demographic_parity_ratio",
                "min_demographic_parity_ratio",
                ">=",
                bool(fairness.get("four_fifths_enforced", False)),
            ),
        ):
            if key not in fairness:
                continue
            row = self._disparities[
                (self._disparities["dimension"] == d) & (self._disparities["metric"] == name)
            ]
            label = f"{name} across {d}"
            value = float(row["value"].iloc[0]) if len(row) else float("nan")
            no_verdict = (
                MSG_NO_VERDICT.format(criterion=label, dimension=d, min_size=min_size)
                if np.isnan(value)
                else None
            )
            criteria.append(
                _criterion(
                    "fairness",
                    label,
                    value,
                    float(fairness[key]),
                    comparison,
                    enforced,
                    no_verdict=no_verdict,
                )
            )
        if "min_auc" in quality:
            criteria.append(
                _criterion(
                    "quality", "auc", self._overall["auc"], float(quality["min_auc"]), ">=", True
                )
            )
        if "min_recall" in quality:
            # the decision itself: a flag that finds (almost) nobody who is re-arrested,
            # e.g. one that flags nobody at all, is refused however well the risk ranks
            criteria.append(
                _criterion(
                    "quality",
                    "recall",
                    self._overall["recall"],
                    float(quality["min_recall"]),
                    ">=",
                    True,
                )
            )
        return criteria

    # --- read-only results ------------------------------------------------------------
    @property
    def by_group(self) -> pd.DataFrame:
        """Per dimension and group: n, positives, negatives, rates, CIs and status."""
        return self._by_group.copy()

    @property
    def disparities(self) -> pd.DataFrame:
        """Per dimension: differences and ratios over groups with sufficient evidence."""
        return self._disparities.copy()

    @property
    def overall(self) -> dict:
        """Whole-sample figures: rates, recall, precision, the threshold, AUC (+ CI)."""
        return dict(self._overall)

    @property
    def decision(self) -> dict:
        """How the judged decision's threshold was chosen (empty if not given)."""
        return dict(self._decision)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(self._criteria)

    @property
    def gates(self) -> dict[str, dict]:
        """``{"fairness": {"passed", "criteria"}, "quality": {...}}``."""
        return _gates(self._criteria)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self._criteria)

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per group reported as insufficient evidence."""
        return tuple(self._notes)

    def to_dict(self) -> dict:
        return {
            "model": self._model,
            "passed": self.passed,
            "overall": {k: _none(v) for k, v in self._overall.items()},
            "decision": {k: _none(v) for k, v in self._decision.items()},
            "gates": self.gates,
            "by_group": _records(self._by_group),
            "disparities": _records(self._disparities),
            "notes": list(self._notes),
            "settings": self._settings.to_dict(),
        }


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _auc(y_true: np.ndarray, y_score: np.ndarray, settings: _Settings) -> dict:
    if len(np.unique(y_true)) < 2:
        return {}
    samples = bootstrap_auc(y_true, y_score, settings.n_boot, settings.seed)
    low, high = _interval(samples, settings.confidence)
    return {
        "auc": float(roc_auc_score(y_true, y_score)),
        "auc_low": float(low),
        "auc_high": float(high),
    }


class PatternFairnessReport:
    """Fairness of the pattern model's rankings: recall@k by group and the race test.

    Parameters
    ----------
    query_groups : DataFrame
        One row per evaluation query (a held-out pattern seeded with one member), one
        column per dimension (e.g. ``race``: the pattern's suspect race).
    n_relevant : array-like of int
        Per query, the number of relevant complaints (the pattern's other members).
    hits : array-like of int
        Per query, how many of them the model ranked in its top ``k``.
    reported_race_tests : mapping of str to RaceTest, optional
        Other variants of the race test, reported beside the gated one and never gating
        (e.g. against a city-wide baseline).
    race_test : RaceTest, optional
        Patternizr's suspect-race test on the same rankings.
    partial_rebuild_rate : float, optional
        Held-out share of patterns rebuilt at least partly (quality gate).
    gates, min_group_size, n_boot, confidence, seed : optional
        As for :class:`FairnessReport`; the ``patternizr`` section applies.
    """

    def __init__(
        self,
        query_groups: pd.DataFrame,
        n_relevant,
        hits,
        *,
        race_test: RaceTest | None = None,
        partial_rebuild_rate: float | None = None,
        gates: Mapping | None = None,
        min_group_size: int | None = None,
        n_boot: int | None = None,
        confidence: float | None = None,
        seed: int | None = None,
        reported_race_tests: Mapping[str, RaceTest] | None = None,
    ):
        settings = _Settings(gates, min_group_size, n_boot, confidence, seed)
        self._reported_race_tests = dict(reported_race_tests or {})
        fairness = settings.config["patternizr"]["fairness"]
        quality = settings.config["patternizr"].get("quality", {})
        self._settings, self._k = settings, int(fairness["recall_k"])
        groups = query_groups.reset_index(drop=True).astype(str)
        n_relevant, hits = np.asarray(n_relevant), np.asarray(hits)
        if not (len(n_relevant) == len(hits) == len(groups)):
            raise ValueError(
                MSG_LENGTHS.format(n_true=len(n_relevant), n_pred=len(hits), n_groups=len(groups))
            )
        tables, ratios = [], []
        for i, d in enumerate(groups.columns):
            table = recall_group_table(n_relevant, hits, groups[d], settings.min_group_size)
            samples = bootstrap_recall_ratio(
                n_relevant, hits, groups[d], table, settings.n_boot, settings.seed + i
            )
            group_low, group_high = _interval(
                bootstrap_group_recall(
                    n_relevant, hits, groups[d], table, settings.n_boot, settings.seed + i
                ),
                settings.confidence,
            )
            table["recall_at_k_low"], table["recall_at_k_high"] = group_low, group_high
            keep = table["status"] == SUFFICIENT
            judged = table.loc[keep, "recall_at_k"].to_numpy(float)
            value = (
                float(np.nanmin(judged) / np.nanmax(judged))
                if keep.sum() >= 2 and np.nanmax(judged) > 0
                else (1.0 if keep.sum() >= 2 else float("nan"))
            )
            low, high = _interval(samples, settings.confidence)
            ratios.append(
                {
                    "dimension": d,
                    "metric": f"recall_at_{self._k}_ratio",
                    "value": value,
                    "low": float(low),
                    "high": float(high),
                    "groups_judged": int(keep.sum()),
                    "groups_insufficient": ";".join(table.loc[~keep, "group"]),
                }
            )
            table.insert(0, "dimension", d)
            tables.append(table)
        self._by_group = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        self._disparities = pd.DataFrame(ratios)
        self._race_test = race_test
        self._partial = partial_rebuild_rate
        self._overall = {
            "queries": int(len(n_relevant)),
            f"recall_at_{self._k}": recall_at_k(n_relevant, hits),
            "partial_rebuild_rate": (
                float("nan") if partial_rebuild_rate is None else float(partial_rebuild_rate)
            ),
        }
        self._notes = [
            MSG_INSUFFICIENT_GROUP.format(
                dimension=row.dimension, group=row.group, n=row.n, min_size=settings.min_group_size
            )
            for row in self._by_group.itertuples()
            if row.status == INSUFFICIENT
        ]

        d = fairness["gate_dimension"]
        criteria = []
        if race_test is not None:
            no_verdict = (
                MSG_NO_VERDICT.format(
                    criterion="patternizr race test",
                    dimension="suspect race",
                    min_size=settings.min_group_size,
                )
                if np.isnan(race_test.max_abs_difference)
                else None
            )
            criteria.append(
                _criterion(
                    "fairness",
                    "patternizr race test: max |recommended - random share|",
                    race_test.max_abs_difference,
                    float(fairness["race_test_tolerance"]),
                    "<=",
                    True,
                    no_verdict=no_verdict,
                )
            )
        row = self._disparities[self._disparities["dimension"] == d]
        label = f"recall@{self._k} ratio across {d}"
        if len(row):
            judged = int(row["groups_judged"].iloc[0])
            criteria.append(
                _criterion(
                    "fairness",
                    label,
                    float(row["value"].iloc[0]),
                    float(fairness["min_recall_ratio"]),
                    ">=",
                    True,
                    no_verdict=(
                        MSG_NO_VERDICT.format(
                            criterion=label, dimension=d, min_size=settings.min_group_size
                        )
                        if judged < 2
                        else None
                    ),
                )
            )
        if "min_partial_rebuild_rate" in quality:
            criteria.append(
                _criterion(
                    "quality",
                    "partial_rebuild_rate",
                    partial_rebuild_rate,
                    float(quality["min_partial_rebuild_rate"]),
                    ">=",
                    True,
                )
            )
        self._criteria = criteria

    @property
    def by_group(self) -> pd.DataFrame:
        """Per dimension and group: queries, mean recall@k with its interval, status."""
        return self._by_group.copy()

    @property
    def overall(self) -> dict:
        """Whole-sample figures: queries, mean recall@k, the partial-rebuild rate."""
        return dict(self._overall)

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per group reported as insufficient evidence."""
        return tuple(self._notes)

    @property
    def disparities(self) -> pd.DataFrame:
        """Per dimension: the recall@k min/max ratio with its bootstrap interval."""
        return self._disparities.copy()

    @property
    def race_test(self) -> RaceTest | None:
        return self._race_test

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(self._criteria)

    @property
    def gates(self) -> dict[str, dict]:
        return _gates(self._criteria)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self._criteria)

    def to_dict(self) -> dict:
        return {
            "model": "patternizr",
            "passed": self.passed,
            "k": self._k,
            "gates": self.gates,
            "by_group": _records(self._by_group),
            "disparities": _records(self._disparities),
            "race_test": None if self._race_test is None else self._race_test.to_dict(),
            "race_test_reported_only": {
                name: test.to_dict() for name, test in self._reported_race_tests.items()
            },
            "partial_rebuild_rate": _none(self._partial),
            "overall": {k: _none(v) for k, v in self._overall.items()},
            "notes": list(self._notes),
            "settings": self._settings.to_dict(),
        }
