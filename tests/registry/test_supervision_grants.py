"""The synthetic supervision grants are planted where the court events say they are lawful.

The generator reads supervision on its own (``synth._grants``); the gate reads it from the
same events (``registry._supervision``). Every planted PAROLE_SUPERVISION and
PROBATION_SUPERVISION_ARREST_DURING grant must be decided by the gate as its truth says,
and each basis must have a lawful grant and one whose precondition fails.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sanitizer._demo import request_from_truth
from sanitizer._home import Home
from sanitizer.registry._access import decide_access
from sanitizer.registry._registry import Registry
from sanitizer.synth._grants import make_grants

AS_OF = date(2026, 6, 1)
SUPERVISION_BASES = ("PAROLE_SUPERVISION", "PROBATION_SUPERVISION_ARREST_DURING")


def _plant(tiny_world, tiny_tables, with_events: bool):
    dockets = pd.read_parquet(tiny_world / "truth" / "dockets.parquet")
    events = tiny_tables["court_events"] if with_events else None
    rng = np.random.default_rng(11)
    return make_grants(rng, 4, dockets, tiny_tables["arrests"], events)


@pytest.fixture(scope="module")
def records(tiny_tables, tmp_path_factory):
    registry = Registry(Home.resolve(tmp_path_factory.mktemp("supervision") / "home"))
    records = registry.snapshot(tiny_tables, AS_OF, "strict").records
    return records.set_index("arrest_key")


def test_every_planted_supervision_grant_is_decided_as_its_truth_says(
    tiny_world, tiny_tables, records
):
    grants, truth = _plant(tiny_world, tiny_tables, with_events=True)
    supervised = truth[
        truth["GRANT_ID"].isin(grants.loc[grants["BASIS"].isin(SUPERVISION_BASES), "GRANT_ID"])
    ]
    assert supervised["CERTAIN"].all()
    outcomes = set()
    for row in supervised.itertuples():
        request = request_from_truth(row, AS_OF)
        record = records.loc[row.REQUEST_ARREST_KEY]
        status = {
            "arrest_key": row.REQUEST_ARREST_KEY,
            "person_id": record["person_id"],
            "status": record["status"],
            "statute": record["statute"],
            "access_regime": record["access_regime"],
        }
        assert status["access_regime"] == "COURT_ORDER_ONLY", status
        decision = decide_access(request, status, grants, tiny_tables)
        assert decision.granted == (row.EXPECTED == "grant"), (row.GRANT_ID, decision.reason)
        basis = grants.loc[grants["GRANT_ID"] == row.GRANT_ID, "BASIS"].iloc[0]
        outcomes.add((basis, row.EXPECTED))
    assert outcomes == {(b, e) for b in SUPERVISION_BASES for e in ("grant", "deny")}


def test_without_court_events_supervision_grants_are_not_certain_and_the_rest_unchanged(
    tiny_world, tiny_tables
):
    checked, _ = _plant(tiny_world, tiny_tables, with_events=True)
    blind, blind_truth = _plant(tiny_world, tiny_tables, with_events=False)
    supervised = blind["BASIS"].isin(SUPERVISION_BASES).to_numpy()
    assert not blind_truth.loc[supervised, "CERTAIN"].any()
    # the same draws either way: every other grant is the same grant
    others = checked[~checked["BASIS"].isin(SUPERVISION_BASES)].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, blind[~supervised].reset_index(drop=True))
