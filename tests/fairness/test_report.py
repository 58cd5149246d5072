"""Fairness metrics on a hand-made example with known values; evidence, gates, bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)

from sanitizer.fairness import (
    INSUFFICIENT,
    MSG_NO_VERDICT,
    FairnessReport,
    load_gates,
)


def _group(name, tp, fn, fp, tn):
    y_true = [1] * (tp + fn) + [0] * (fp + tn)
    y_pred = [1] * tp + [0] * fn + [1] * fp + [0] * tn
    return y_true, y_pred, [name] * len(y_true)


def _example():
    """a: TPR .75 FPR .2 sel .475; b: TPR .5 FPR .1 sel .3; c: five people."""
    parts = [_group("a", 15, 5, 4, 16), _group("b", 10, 10, 2, 18), _group("c", 1, 1, 1, 2)]
    y_true = np.concatenate([p[0] for p in parts])
    y_pred = np.concatenate([p[1] for p in parts])
    race = np.concatenate([p[2] for p in parts])
    return y_true, y_pred, pd.DataFrame({"race": race})


def _gates(**fairness):
    section = {"dimensions": ["race"], **fairness}
    return load_gates(recidivism={"fairness": section})


def _report(y_true, y_pred, groups, **kwargs):
    kwargs.setdefault("gates", _gates())
    kwargs.setdefault("min_group_size", 10)
    kwargs.setdefault("n_boot", 50)
    return FairnessReport(y_true, y_pred, groups, **kwargs)


def test_known_values_and_agreement_with_fairlearn():
    y_true, y_pred, groups = _example()
    report = _report(y_true, y_pred, groups)
    table = report.by_group.set_index("group")
    assert table.loc["a", "selection_rate"] == pytest.approx(19 / 40)
    assert table.loc["a", "true_positive_rate"] == pytest.approx(0.75)
    assert table.loc["b", "false_positive_rate"] == pytest.approx(0.1)
    assert table.loc["b", "false_negative_rate"] == pytest.approx(0.5)
    assert table.loc["c", "status"] == INSUFFICIENT
    values = report.disparities.set_index("metric")["value"]
    assert values["demographic_parity_difference"] == pytest.approx(0.175)
    assert values["demographic_parity_ratio"] == pytest.approx(0.3 / 0.475)
    assert values["equalized_odds_difference"] == pytest.approx(0.25)
    assert values["equalized_odds_ratio"] == pytest.approx(0.5)
    # fairlearn on the judged groups alone gives the same numbers
    keep = groups["race"].isin(["a", "b"]).to_numpy()
    args = (y_true[keep], y_pred[keep])
    kw = {"sensitive_features": groups["race"][keep]}
    assert values["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(*args, **kw)
    )
    assert values["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(*args, **kw)
    )
    assert values["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(*args, **kw)
    )
    assert values["equalized_odds_ratio"] == pytest.approx(equalized_odds_ratio(*args, **kw))
    assert report.overall["n"] == 85


def test_small_groups_are_insufficient_evidence_not_a_verdict():
    y_true, y_pred, groups = _example()
    report = _report(y_true, y_pred, groups)
    assert any("race=c: 5 members" in note for note in report.notes)
    row = report.disparities.set_index("metric").loc["demographic_parity_difference"]
    assert row["groups_insufficient"] == "c" and row["groups_judged"] == 2
    # with a large minimum, no group has evidence: the gate reports it and does not fail
    strict = _report(y_true, y_pred, groups, min_group_size=50)
    criterion = strict.criteria[0]
    assert criterion.status == INSUFFICIENT and criterion.passed
    assert criterion.detail == MSG_NO_VERDICT.format(
        criterion="equalized_odds_difference across race", dimension="race", min_size=50
    )
    assert strict.gates["fairness"]["passed"]


def test_rates_need_evidence_in_their_own_denominator():
    # b has 40 members but only 4 positives: its TPR is not compared
    parts = [_group("a", 15, 5, 4, 16), _group("b", 1, 3, 2, 34)]
    y_true = np.concatenate([p[0] for p in parts])
    y_pred = np.concatenate([p[1] for p in parts])
    groups = pd.DataFrame({"race": np.concatenate([p[2] for p in parts])})
    report = _report(y_true, y_pred, groups)
    values = report.disparities.set_index("metric")
    assert np.isnan(values.loc["false_negative_rate_difference", "value"])
    # equalized odds falls back on the FPRs: .2 vs 2/36
    assert values.loc["equalized_odds_difference", "value"] == pytest.approx(0.2 - 2 / 36)
    b = report.by_group.set_index("group").loc["b"]
    assert "true_positive_rate" in b["rates_insufficient"]


def test_gates_pass_and_fail_on_thresholds():
    y_true, y_pred, groups = _example()
    score = np.where(y_true == 1, 0.8, 0.2)
    failing = _report(y_true, y_pred, groups, y_score=score)
    assert not failing.passed
    assert not failing.gates["fairness"]["passed"] and failing.gates["quality"]["passed"]
    loose = _report(
        y_true, y_pred, groups, y_score=score, gates=_gates(max_equalized_odds_difference=0.3)
    )
    assert loose.passed
    # the four-fifths ratio (0.63) is reported but not enforced by default
    four_fifths = next(c for c in loose.criteria if c.name.startswith("demographic_parity"))
    assert four_fifths.status == "fail" and four_fifths.passed and not four_fifths.enforced
    enforced = _report(
        y_true,
        y_pred,
        groups,
        y_score=score,
        gates=_gates(max_equalized_odds_difference=0.3, four_fifths_enforced=True),
    )
    assert not enforced.passed
    weak = _report(y_true, y_pred, groups, y_score=np.full(len(y_true), 0.5), gates=_gates())
    assert not weak.gates["quality"]["passed"]
    assert weak.to_dict()["gates"] == weak.gates


def test_bootstrap_is_seeded():
    y_true, y_pred, groups = _example()
    one = _report(y_true, y_pred, groups, seed=3).disparities
    two = _report(y_true, y_pred, groups, seed=3).disparities
    other = _report(y_true, y_pred, groups, seed=4).disparities
    pd.testing.assert_frame_equal(one, two)
    assert not one["low"].equals(other["low"])
    row = one.set_index("metric").loc["equalized_odds_difference"]
    assert row["low"] <= row["value"] <= row["high"]


def test_report_is_read_only_and_serialisable():
    import json

    y_true, y_pred, groups = _example()
    report = _report(y_true, y_pred, groups)
    frame = report.by_group
    frame.loc[0, "n"] = -1
    assert report.by_group.loc[0, "n"] != -1
    with pytest.raises(AttributeError):
        report.passed = True
    json.dumps(report.to_dict())


def test_bad_input_is_named():
    y_true, y_pred, groups = _example()
    with pytest.raises(ValueError, match="sensitive_features lacks column"):
        FairnessReport(y_true, y_pred, groups.rename(columns={"race": "x"}), gates=_gates())
    with pytest.raises(ValueError, match="y_true has"):
        FairnessReport(y_true[:-1], y_pred, groups, gates=_gates())
