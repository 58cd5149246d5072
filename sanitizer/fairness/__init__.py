"""Fairness: fairlearn metrics by group, bootstrap intervals, gates and mitigation.

Downstream of ``train``: it judges the models trained there and never feeds back into
them. Results are read-only objects computed in their constructor (fairlearn's
``MetricFrame`` habit): :class:`FairnessReport` for the recidivism model's decisions by
race, sex, age group and borough; :class:`PatternFairnessReport` and :class:`RaceTest`
(Patternizr's own suspect-race test) for the pattern models, built from a trained model's
held-out rebuild by :func:`pattern_fairness_report`;
:class:`SanitizationComparison` for the same metrics before and after sanitization.
Thresholds come from ``models/gates.toml``; groups below the minimum size are reported
as "insufficient evidence" and never fail a gate.
"""

from ._config import DEFAULT_GATES, GATES_CONFIG_PATH, load_gates
from ._messages import (
    INSUFFICIENT,
    MSG_INSUFFICIENT_GROUP,
    MSG_NO_VERDICT,
    MSG_UNKNOWN_MITIGATION,
    SUFFICIENT,
)
from ._metrics import DISPARITIES, RATES, disparities, recall_at_k
from ._pattern import QUERY_DIMENSIONS, pattern_fairness_report, pattern_query_groups
from ._patternizr import RaceTest
from ._recidivism import (
    MITIGATIONS,
    SanitizationComparison,
    mitigated_predictions,
    recidivism_report,
)
from ._report import NOT_MEASURED, Criterion, FairnessReport, PatternFairnessReport

__all__ = [
    "Criterion",
    "DEFAULT_GATES",
    "DISPARITIES",
    "FairnessReport",
    "GATES_CONFIG_PATH",
    "INSUFFICIENT",
    "MITIGATIONS",
    "MSG_INSUFFICIENT_GROUP",
    "MSG_NO_VERDICT",
    "MSG_UNKNOWN_MITIGATION",
    "NOT_MEASURED",
    "PatternFairnessReport",
    "QUERY_DIMENSIONS",
    "RATES",
    "RaceTest",
    "SUFFICIENT",
    "SanitizationComparison",
    "disparities",
    "load_gates",
    "mitigated_predictions",
    "pattern_fairness_report",
    "pattern_query_groups",
    "recall_at_k",
    "recidivism_report",
]
