"""The recidivism report, the before/after-sanitization comparison and mitigation on tiny."""

from __future__ import annotations

from datetime import date

import numpy as np
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


# --- the decision the gates judge ----------------------------------------------------------
def test_the_report_judges_the_models_own_fitted_decision(world):
    _, _, clean = world
    pipeline = RecidivismPipeline(seed=0)
    training = pipeline.training_set(clean)
    model = pipeline.fit(training)
    report = recidivism_report(clean, pipeline, training=training, n_boot=10)
    assert report.overall["threshold"] == model.threshold_
    document = report.to_dict()
    assert document["decision"]["served"] is True
    assert document["decision"]["validation_persons"] < len(training)  # held-out left out
    assert set(report.gates["quality"]["criteria"][i]["name"] for i in range(2)) == {
        "auc",
        "recall",
    }
    assert report.overall["recall"] == 1 - report.overall["false_negative_rate"]
    mitigated = recidivism_report(
        clean, pipeline, training=training, mitigate="threshold_optimizer", n_boot=10
    )
    assert mitigated.to_dict()["decision"] == {
        "mitigation": "threshold_optimizer",
        "served": False,
    }


def test_the_certified_model_is_judged_as_given_and_only_if_it_never_saw_the_held_out(world):
    """``retrain`` hands the gates the model it certifies instead of fitting it again (a
    second full fit per retrain): the report is the one a fresh fit gives, and a model
    fitted on other rows than the development persons is refused."""
    _, _, clean = world
    pipeline = RecidivismPipeline(seed=0)
    training = pipeline.training_set(clean)
    model = pipeline.fit(training)
    fitted = recidivism_report(clean, pipeline, training=training, n_boot=10)
    given = recidivism_report(clean, pipeline, training=training, n_boot=10, model=model)
    assert given.to_dict() == fitted.to_dict()

    # a model fitted on other rows: the same training set less three development persons
    keep = np.delete(np.arange(len(training)), np.flatnonzero(~pipeline.held_out(training))[:3])
    other = pipeline.fit(training.take(keep))
    with pytest.raises(ValueError, match="not fitted on this training set's development"):
        recidivism_report(clean, pipeline, training=training, n_boot=10, model=other)


class _FlagsNobody(RecidivismPipeline):
    """The tiny-world failure this gate was added for: a decision that flags nobody."""

    def fit(self, training):
        model = super().fit(training)
        model.threshold_ = float("inf")
        return model


def test_a_model_whose_decision_flags_nobody_is_refused_by_the_quality_gate(world):
    _, _, clean = world
    report = recidivism_report(clean, _FlagsNobody(seed=0), n_boot=10)
    assert report.overall["selection_rate"] == 0 and report.overall["recall"] == 0
    auc, recall = report.gates["quality"]["criteria"]
    assert auc["name"] == "auc" and auc["passed"]  # its ranking is fine ...
    assert recall["name"] == "recall" and not recall["passed"]  # ... its decision useless
    assert not report.gates["quality"]["passed"] and not report.passed


def test_the_threshold_aims_at_the_gate_that_judges_it():
    """``[decision]`` in recidivism.toml repeats gates.toml's figures; they must agree."""
    from sanitizer.fairness import load_gates
    from sanitizer.train import load_recidivism_config

    decision = load_recidivism_config()["decision"]
    gates = load_gates()
    fairness = gates["recidivism"]["fairness"]
    assert decision["max_equalized_odds_difference"] == fairness["max_equalized_odds_difference"]
    assert decision["fairness_dimension"] == fairness["gate_dimension"]
    assert decision["min_group_size"] == gates["evidence"]["min_group_size"]
    assert gates["recidivism"]["quality"]["min_recall"] > 0
