"""The pattern model's fairness report, built from a trained model's held-out rebuild."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer.fairness import (
    INSUFFICIENT,
    SUFFICIENT,
    pattern_fairness_report,
    pattern_query_groups,
)
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import make_frame
from sanitizer.train import (
    PatternPipeline,
    held_out_pattern_sets,
    pattern_members,
    rebuild,
)

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def trained(tiny_tables):
    snapshot = build_snapshot(tiny_tables, AS_OF, "strict")
    clean = sanitize(tiny_tables, snapshot).tables
    pipeline = PatternPipeline("burglary", n_estimators=10)
    training = pipeline.build(tiny_tables, snapshot)
    return pipeline, clean, pipeline.fit(training), training


@pytest.fixture(scope="module")
def report(trained):
    return pattern_fairness_report(*trained, n_boot=20)


def test_recall_by_group_matches_the_rebuild(trained, report):
    pipeline, clean, model, training = trained
    complaints, _ = pattern_members(clean, pipeline.ky_cd)
    sets = held_out_pattern_sets(clean, pipeline, training.components["sampler"])
    plain = rebuild(model, training.components["featurizer"], complaints, sets, recall_at=(10,))
    summary = plain.summary()
    assert summary["sets"] > 0
    # one query per held-out pattern, each counted once in every dimension
    by_group = report.by_group
    assert set(by_group["dimension"]) == {"race", "sex", "age_group", "borough"}
    assert (by_group.groupby("dimension")["n"].sum() == summary["sets"]).all()
    assert by_group["recall_at_k"].between(0, 1).all()
    assert (by_group["recall_at_k_low"] <= by_group["recall_at_k_high"]).all()
    assert report.overall["recall_at_10"] == pytest.approx(summary["recall_at_10"])
    assert report.overall["partial_rebuild_rate"] == pytest.approx(summary["partial_rebuild"])


def test_race_test_and_gates_are_present(trained, report):
    table = report.race_test.table
    assert len(table) and "UNKNOWN" not in set(table["race"])  # only reported races
    assert table["recommended_share"].sum() == pytest.approx(1.0)
    assert table["random_share"].sum() == pytest.approx(1.0)
    # the query's own pattern members (true links) are left out unless asked for
    literal = pattern_fairness_report(*trained, include_members=True, n_boot=5)
    assert literal.race_test.table["recommended"].sum() > table["recommended"].sum()
    gates = report.gates
    assert set(gates) == {"fairness", "quality"}
    assert all(isinstance(g["passed"], bool) for g in gates.values())
    names = [c["name"] for c in gates["fairness"]["criteria"]]
    assert any("race test" in n for n in names) and "recall@10 ratio across race" in names
    quality = gates["quality"]["criteria"][0]
    assert quality["value"] == pytest.approx(report.overall["partial_rebuild_rate"])
    assert report.to_dict()["race_test"]["settings"]["queries"] >= 1


def test_small_groups_are_insufficient_evidence_and_do_not_fail(report):
    # the tiny world holds a handful of held-out burglary patterns: every group is small
    assert (report.by_group["status"] == INSUFFICIENT).all()
    ratio = next(
        c for c in report.gates["fairness"]["criteria"] if c["name"].startswith("recall@10")
    )
    assert ratio["status"] == INSUFFICIENT and ratio["passed"] and ratio["value"] is None
    assert len(report.notes) == len(report.by_group)
    assert any(note.startswith("race=") for note in report.notes)


def test_with_evidence_the_recall_ratio_gets_a_verdict(trained):
    judged = pattern_fairness_report(*trained, min_group_size=1, n_boot=20)
    assert (judged.by_group["status"] == SUFFICIENT).all()
    ratio = next(
        c for c in judged.gates["fairness"]["criteria"] if c["name"].startswith("recall@10")
    )
    races = judged.by_group[judged.by_group["dimension"] == "race"]
    expected = races["recall_at_k"].min() / races["recall_at_k"].max()
    assert ratio["status"] in ("pass", "fail") and ratio["value"] == pytest.approx(expected)


def test_query_groups_seed_first_then_the_patterns_majority():
    complaints = make_frame(
        "complaints",
        [
            {"CMPLNT_NUM": "1", "SUSP_RACE": "WHITE", "SUSP_SEX": "M", "BORO_NM": "BRONX"},
            {"CMPLNT_NUM": "2", "SUSP_RACE": "BLACK", "SUSP_SEX": "F", "BORO_NM": "QUEENS"},
            # set B: the seed's victim did not see the suspect; two members say BLACK
            {"CMPLNT_NUM": "3", "SUSP_RACE": "UNKNOWN", "SUSP_SEX": "U", "BORO_NM": "BRONX"},
            {"CMPLNT_NUM": "4", "SUSP_RACE": "BLACK", "SUSP_SEX": "F"},
            {"CMPLNT_NUM": "5", "SUSP_RACE": "BLACK", "SUSP_SEX": "F"},
            {"CMPLNT_NUM": "6", "SUSP_RACE": "WHITE", "SUSP_SEX": "M"},
            # set C: nobody knew
            {"CMPLNT_NUM": "7", "SUSP_RACE": None, "SUSP_SEX": None},
            {"CMPLNT_NUM": "8", "SUSP_RACE": "UNKNOWN", "SUSP_SEX": "U"},
        ],
    )
    queries = pd.DataFrame({"SET_ID": ["A", "B", "C"], "SEED": ["1", "3", "7"]})
    members = pd.DataFrame(
        {
            "SET_ID": ["A", "A", "B", "B", "B", "B", "C", "C"],
            "CMPLNT_NUM": ["1", "2", "3", "4", "5", "6", "7", "8"],
        }
    )
    groups = pattern_query_groups(complaints, queries, members)
    assert groups["race"].tolist() == ["WHITE", "BLACK", "UNKNOWN"]
    assert groups["sex"].tolist() == ["M", "F", "U"]
    assert groups["borough"].tolist() == ["BRONX", "BRONX", "UNKNOWN"]
    assert groups["age_group"].tolist() == ["UNKNOWN"] * 3
    assert np.array_equal(groups.columns, ["race", "sex", "age_group", "borough"])
