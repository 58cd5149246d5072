"""The three lineage checks pass honest pipelines and catch, by name, every planted leak."""

from __future__ import annotations

from datetime import date

import pytest

from sanitizer.lineage import check_provenance, run_checks
from sanitizer.registry import build_snapshot

from . import pipelines as p

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def world(tiny_tables):
    snapshot = build_snapshot(tiny_tables, AS_OF, "strict")
    return tiny_tables, snapshot


def snapshot_fn(tables):
    return build_snapshot(tables, AS_OF, "strict")


def checks(pipeline, world):
    raw, snapshot = world
    return run_checks(pipeline, raw, snapshot, snapshot_fn, seed=0)


@pytest.mark.parametrize("pipeline", [p.PersonPipeline(), p.PairPipeline()], ids=lambda x: x.name)
def test_honest_pipelines_pass_all_three(pipeline, world):
    result = checks(pipeline, world)
    assert result.passed, result.to_dict()
    figures = result.results["invariance"].figures
    assert figures["model_identical"] and figures["probe_predictions_identical"]
    assert all(figures[k]["matrix_identical"] for k in ("alter", "delete", "add"))


LEAKS = [
    (p.ScalerFittedBeforeFiltering(), {"invariance": "prior_arrests", "fitted_state": "'scaler'"}),
    (p.PopulationFromAllArrests(), {"provenance": "excluded persons", "invariance": "delete"}),
    (p.LabelCountsExcludedArrests(), {"provenance": "excluded arrest", "invariance": "labels"}),
    (
        p.TfidfFittedBeforeFiltering(),
        {"fitted_state": "IDF weights", "invariance": "narrative_cosine"},
    ),
    (p.FeatureReadsExcludedLinks(), {"invariance": "height_gap"}),
    (p.NegativesFromUnfilteredPool(), {"invariance": "different rows were drawn"}),
]


@pytest.mark.parametrize("pipeline, named", LEAKS, ids=lambda x: getattr(x, "name", ""))
def test_every_planted_leak_is_caught_and_named(pipeline, named, world):
    result = checks(pipeline, world)
    assert not result.passed
    for check, words in named.items():
        outcome = result.results[check]
        assert not outcome.passed, (check, outcome.to_dict())
        text = " ".join([outcome.detail, *outcome.findings])
        assert words in text, (check, text)


def test_provenance_names_the_row_and_the_excluded_record(world):
    raw, snapshot = world
    training = p.LabelCountsExcludedArrests().build(raw, snapshot)
    result = check_provenance(training, raw, snapshot)
    assert not result.passed
    assert result.findings[0].startswith("training row ")
    assert "PERSON_ID=" in result.findings[0] and "SEALED" in " ".join(result.findings)
