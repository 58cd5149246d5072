"""The recidivism report, the before/after-sanitization comparison and mitigation on tiny."""

from __future__ import annotations

from datetime import date

import pytest

from sanitizer.fairness import (
    MSG_UNKNOWN_MITIGATION,
    SanitizationComparison,
    recidivism_report,
)
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.train import RecidivismPipeline

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def world(tiny_tables):
    snapshot = build_snapshot(tiny_tables, AS_OF, "strict")
    return tiny_tables, snapshot, sanitize(tiny_tables, snapshot).tables


def test_report_covers_every_dimension_and_gate(world):
    _, _, clean = world
    report = recidivism_report(clean, RecidivismPipeline(seed=0), n_boot=20)
    assert set(report.by_group["dimension"]) == {"race", "sex", "age_group", "borough"}
    assert set(report.gates) == {"fairness", "quality"}
    assert report.overall["auc"] > 0.5
    again = recidivism_report(clean, RecidivismPipeline(seed=0), n_boot=20)
    assert again.to_dict() == report.to_dict()


def test_before_and_after_sanitization(world):
    raw, snapshot, _ = world
    comparison = SanitizationComparison(raw, snapshot, n_boot=10)
    table = comparison.table.set_index("metric")
    assert table.loc["rows carrying an excluded arrest", "after"] == 0
    assert table.loc["rows carrying an excluded arrest", "before"] > 0
    assert table.loc["population", "before"] > table.loc["population", "after"]
    assert "equalized_odds_difference (race)" in table.index
    assert comparison.to_dict()["after"] == comparison.after.to_dict()


def test_mitigation_is_behind_a_flag(world):
    _, _, clean = world
    pipeline = RecidivismPipeline(seed=0)
    mitigated = recidivism_report(clean, pipeline, mitigate="threshold_optimizer", n_boot=10)
    plain = recidivism_report(clean, pipeline, n_boot=10)
    assert mitigated.overall["auc"] == plain.overall["auc"]  # scores unchanged, flags differ
    assert mitigated.overall["selection_rate"] != plain.overall["selection_rate"]
    with pytest.raises(ValueError) as error:
        recidivism_report(clean, pipeline, mitigate="magic")
    assert str(error.value) == MSG_UNKNOWN_MITIGATION.format(
        method="magic", expected=["threshold_optimizer", "exponentiated_gradient"]
    )
