"""Each invariance perturbation reaches the field or row it claims to change.

One pipeline per perturbation leaks through exactly that field or row (DESIGN.md, check 2:
excluded records "altered (every field), deleted, or joined by new excluded records
linked to existing complaints, patterns and people"); the perturbation named must move
its training matrix.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer.lineage import check_invariance
from sanitizer.registry import build_snapshot
from sanitizer.sanitize import sanitize
from sanitizer.tables import isin

from . import pipelines as p

AS_OF = date(2026, 6, 1)


def snapshot_fn(tables):
    return build_snapshot(tables, AS_OF, "strict")


@pytest.fixture(scope="module")
def world(tiny_tables):
    return tiny_tables, snapshot_fn(tiny_tables)


class LeakyFeature(p.PersonPipeline):
    """The honest person pipeline plus one feature read from the raw tables."""

    def leak(self, raw, clean, population):
        raise NotImplementedError

    def build(self, raw, snapshot):
        training = super().build(raw, snapshot)
        clean = sanitize(raw, snapshot).tables
        population = training.row_keys["PERSON_ID"]
        values = np.asarray(self.leak(raw, clean, population), dtype=float)
        X = training.X.assign(leak=np.broadcast_to(values, (len(population),)).copy())
        return dataclasses.replace(training, X=X)


def _per_person(rows, population, column="PERSON_ID"):
    return rows.groupby(column).size().reindex(population, fill_value=0).to_numpy()


class EarliestArrestDate(LeakyFeature):
    name = "leak: days since the earliest arrest, before filtering"

    def leak(self, raw, clean, population):
        first = raw["arrests"].groupby("PERSON_ID")["ARREST_DATE"].min()
        return (p.CUTOFF - first.reindex(population)).dt.days.fillna(-1)


class PriorFelonies(LeakyFeature):
    name = "leak: prior felonies counted before filtering"

    def leak(self, raw, clean, population):
        arrests = raw["arrests"]
        felonies = arrests[(arrests["LAW_CAT_CD"] == "F") & (arrests["ARREST_DATE"] < p.CUTOFF)]
        return _per_person(felonies, population)


class ArrestsInBrooklyn(LeakyFeature):
    name = "leak: arrests per borough counted before filtering"

    def leak(self, raw, clean, population):
        arrests = raw["arrests"]
        return _per_person(arrests[arrests["ARREST_BORO"] == "K"], population)


class MembershipsOfLinkedComplaints(LeakyFeature):
    name = "leak: pattern memberships of the person's complaints, before filtering"

    def leak(self, raw, clean, population):
        links = clean["complaint_arrests"].merge(clean["arrests"][["ARREST_KEY", "PERSON_ID"]])
        per_complaint = raw["patterns"].groupby("CMPLNT_NUM").size()
        counts = per_complaint.reindex(links["CMPLNT_NUM"]).fillna(0).to_numpy()
        return (
            pd.Series(counts)
            .groupby(links["PERSON_ID"].to_numpy())
            .sum()
            .reindex(population, fill_value=0)
        )


class AnalystMemberships(LeakyFeature):
    name = "leak: ANALYST memberships counted before filtering"

    def leak(self, raw, clean, population):
        return float((raw["patterns"]["PATTERN_SOURCE"] == "ANALYST").sum())


class PatternCount(LeakyFeature):
    name = "leak: patterns counted before filtering"

    def leak(self, raw, clean, population):
        return float(raw["patterns"]["PATTERN_ID"].nunique())


class PriorArrestsOfTheCleanPopulation(LeakyFeature):
    name = "leak: prior arrests of the clean population counted before filtering"

    def leak(self, raw, clean, population):
        arrests = raw["arrests"]
        return _per_person(arrests[arrests["ARREST_DATE"] < p.CUTOFF], population)


class BirthYearsOfEveryone(LeakyFeature):
    name = "leak: birth years of every person, before filtering"

    def leak(self, raw, clean, population):
        return float(raw["persons"]["BIRTH_YEAR"].astype(float).mean())


# (pipeline, the perturbation that must now catch it); none of these perturbations moved
# the pipeline's matrix before it reached the field or row
CASES = [
    (EarliestArrestDate(), "alter"),  # ARREST_DATE of excluded arrests
    (PriorFelonies(), "alter"),  # LAW_CAT_CD
    (ArrestsInBrooklyn(), "alter"),  # ARREST_BORO
    (MembershipsOfLinkedComplaints(), "alter"),  # CMPLNT_NUM of their memberships
    (AnalystMemberships(), "alter"),  # PATTERN_SOURCE of their memberships
    (EarliestArrestDate(), "add"),  # added arrests dated before the cutoff
    (PriorArrestsOfTheCleanPopulation(), "add"),
    (AnalystMemberships(), "add"),  # ANALYST memberships confirmed by added arrests
    (PatternCount(), "add"),  # a new pattern of sealed memberships only
    (BirthYearsOfEveryone(), "add"),  # new people
    (BirthYearsOfEveryone(), "delete"),  # people who existed only through excluded arrests
]


@pytest.mark.parametrize("pipeline, kind", CASES, ids=lambda x: getattr(x, "name", x))
def test_each_perturbation_reaches_its_field(pipeline, kind, world):
    raw, snapshot = world
    training = pipeline.build(raw, snapshot)
    model = pipeline.fit(training)
    result = check_invariance(pipeline, raw, snapshot, snapshot_fn, training, model, seed=0)
    assert not result.passed
    assert not result.figures[kind]["matrix_identical"], result.figures
    assert any(f.startswith(f"{kind}: ") for f in result.findings), result.findings


def test_a_birth_year_leak_was_invisible_to_every_old_perturbation(world):
    """Through persons alone: only the new delete and add perturbations see it."""
    raw, snapshot = world
    pipeline = BirthYearsOfEveryone()
    training = pipeline.build(raw, snapshot)
    result = check_invariance(
        pipeline, raw, snapshot, snapshot_fn, training, pipeline.fit(training), seed=0
    )
    assert result.figures["alter"]["matrix_identical"]  # alter leaves persons as they are
    assert {f.split(":")[0] for f in result.findings} >= {"delete", "add"}


def test_alteration_keeps_keys_and_changes_every_other_field(world):
    from sanitizer.lineage._checks import _alter

    raw, snapshot = world
    keys = pd.Series(snapshot.excluded_keys, dtype="str")
    altered = _alter(raw, keys, np.random.default_rng(0))
    before = raw["arrests"].set_index("ARREST_KEY").loc[keys]
    after = altered["arrests"].set_index("ARREST_KEY").loc[keys]
    assert before["PERSON_ID"].equals(after["PERSON_ID"])
    for column in ("ARREST_DATE", "LAW_CAT_CD", "ARREST_BORO", "PD_CD", "Latitude"):
        assert (before[column] != after[column]).all(), column
    assert set(after["LAW_CAT_CD"]) <= {"F", "M", "V", "I"}
    assert set(after["ARREST_BORO"]) <= {"B", "K", "M", "Q", "S"}
    assert (after["ARREST_DATE"] < before["ARREST_DATE"]).all()
    members = altered["patterns"]
    moved = members[isin(members["ESTABLISHED_BY_ARREST_KEY"], keys)]
    assert len(moved) and moved["PATTERN_ID"].str.startswith("ALTERED-").all()
    assert set(moved["PATTERN_SOURCE"]) <= {"ANALYST", "ARREST_DERIVED"}
    assert isin(moved["CMPLNT_NUM"], raw["complaints"]["CMPLNT_NUM"]).all()
    assert not members.duplicated(["PATTERN_ID", "CMPLNT_NUM"]).any()


def test_perturbations_are_seeded(world):
    from sanitizer.lineage._checks import _perturb

    raw, snapshot = world
    for kind in ("alter", "add"):
        a, _, _ = _perturb(kind, raw, snapshot, snapshot_fn, np.random.default_rng(3))
        b, _, _ = _perturb(kind, raw, snapshot, snapshot_fn, np.random.default_rng(3))
        for name in ("arrests", "patterns", "persons"):
            pd.testing.assert_frame_equal(a[name], b[name])


@pytest.mark.parametrize("kind", ["alter", "delete", "add"])
def test_a_perturbed_copys_registry_is_the_one_a_full_recomputation_gives(kind, world):
    """Only the persons a round changed are re-evaluated; the result must not differ.

    The check keeps every other person's records from the round before (the rules read
    one person's rows at a time); this holds that shortcut to a recomputation of the
    whole perturbed copy, statuses, dates, reasons and excluded dockets alike.
    """
    from sanitizer.lineage._checks import _perturb

    raw, snapshot = world
    calls = []

    def counting(tables):
        calls.append(len(tables["arrests"]))
        return snapshot_fn(tables)

    perturbed, perturbed_snapshot, replaced = _perturb(
        kind, raw, snapshot, counting, np.random.default_rng(5)
    )
    full = snapshot_fn(perturbed)
    pd.testing.assert_frame_equal(perturbed_snapshot.records, full.records, check_dtype=False)
    columns = ["arrest_key", "docket_id"]
    pd.testing.assert_frame_equal(
        perturbed_snapshot.excluded_dockets.sort_values(columns).reset_index(drop=True),
        full.excluded_dockets.sort_values(columns).reset_index(drop=True),
        check_dtype=False,
    )
    assert perturbed_snapshot.digest == full.digest
    if kind == "add" or replaced:  # the shortcut was taken: fewer arrests evaluated
        assert min(calls) < len(perturbed["arrests"]) // 2
