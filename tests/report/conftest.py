"""A home with a known history for the report tests, built once per worker.

Real entries throughout: snapshots stored by ``Registry.build``, access attempts decided
by the gate on the tiny world, court events recorded by ``events apply``, and model
entries appended in the format of docs/model-registry.md. A settable clock places every
audit entry (and the recording time of events) before, inside and after the first
half-year of 2026, the window the tests report on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

#: The report's as-of date in the tests: its default window is 2026-01-01 to 2026-06-30.
REPORT_AS_OF = date(2026, 7, 15)
#: The date access requests and the registry are replayed to.
REQUEST_AS_OF = date(2026, 6, 1)
SNAPSHOT_AS_OF = date(2026, 6, 30)
BEFORE = datetime(2025, 11, 10, 9, 0, tzinfo=UTC)
INSIDE = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EVENTS_AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
AFTER = datetime(2026, 7, 5, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the tests move; each reading is a microsecond after the last (ordered ts)."""

    def __init__(self, start: datetime):
        self.now = start

    def at(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


@dataclass
class ReportHome:
    """What the fixture built, for tests to compare the report against."""

    path: Path
    data: Path
    sealed_key: str
    open_key: str
    dismissed_key: str
    notes: dict = field(default_factory=dict)


def _training_use(model, run_id, removed, pending):
    return {
        "actor": "retrain",
        "action": "TRAINING_USE",
        "outcome": "DONE",
        "record_ids": [],
        "detail": {
            "model": model,
            "run_id": run_id,
            "snapshot_id": "snap-test",
            "snapshot_digest": "d" * 64,
            "policy": "strict",
            "as_of": REQUEST_AS_OF.isoformat(),
            "removed_by_item_type": removed,
            "removed_by_statute": {"CPL 160.50(3)(b)": {"arrest": 5}, "CPL 160.55": {"arrest": 2}},
            "destruction_pending": pending,
            "rows": {"arrests": 1000},
        },
    }


def _certified(model, version, run_id, eod):
    return {
        "actor": "retrain",
        "action": "MODEL_CERTIFIED",
        "outcome": "DONE",
        "record_ids": [],
        "detail": {
            "model": model,
            "version": version,
            "uri": f"models:/{model}/{version}",
            "run_id": run_id,
            "fingerprint": "f" * 64,
            "snapshot_digest": "d" * 64,
            "policy": "strict",
            "rules_version": "r" * 64,
            "valid_until": None,
            "gates": {g: True for g in ("provenance", "invariance", "fitted_state", "fairness")},
            "metrics": {
                "quality.auc": 0.71,
                "fairness.race.equalized_odds_difference": eod,
                "fairness.sex.demographic_parity_ratio": 0.9,
            },
        },
    }


def _refused(model, run_id, eod):
    return {
        "actor": "retrain",
        "action": "MODEL_REFUSED",
        "outcome": "REFUSED",
        "record_ids": [],
        "detail": {
            "model": model,
            "run_id": run_id,
            "reasons": [f"fairness: equalized odds difference {eod} above 0.1"],
            "snapshot_digest": "d" * 64,
            "policy": "strict",
            "gates": {"provenance": True, "fairness": False, "quality": True},
            "metrics": {"fairness.race.equalized_odds_difference": eod},
        },
    }


def _decertified(model, version, keys, seconds):
    return {
        "actor": "events",
        "action": "MODEL_DECERTIFIED",
        "outcome": "DONE",
        "record_ids": keys,
        "detail": {
            "model": model,
            "version": version,
            "uri": f"models:/{model}/{version}",
            "reason": f"{len(keys)} arrest(s) it used are now excluded under strict"
            if keys
            else "valid_until 2026-05-01 reached",
            "event_recorded_at": None,
            "seconds_to_decertify": seconds,
        },
    }


def _pick(snapshot, status: str) -> str:
    records = snapshot.records
    return str(records.loc[records["status"] == status, "arrest_key"].iloc[0])


def build_report_home(root: Path, data: Path, tables) -> ReportHome:
    from sanitizer._demo import request_from_truth
    from sanitizer._home import Home
    from sanitizer.registry import AccessRequest, Registry
    from sanitizer.registry import _store as store_module
    from sanitizer.tables import make_frame, write_table

    clock = Clock(BEFORE)
    home = Home.resolve(root / "home", f"sqlite:///{root / 'home' / 'registry.db'}")
    registry = Registry(home)
    registry.audit.clock = clock
    audit = registry.audit
    first = registry.build(tables, REQUEST_AS_OF, "strict")
    sealed_key, open_key = _pick(first, "SEALED_160_50"), _pick(first, "OPEN")
    truth = pd.read_parquet(data / "truth" / "grants.parquet")
    certain = truth[truth["CERTAIN"]]
    grants = certain[certain["EXPECTED"] == "grant"].head(5)
    denials = certain[certain["EXPECTED"] == "deny"].head(4)

    def ask(row):
        registry.show_record(tables, request_from_truth(row, REQUEST_AS_OF))

    # before the window: two attempts and a certified model
    for row in pd.concat([grants.head(1), denials.head(1)]).itertuples():
        ask(row)
    audit.append(_training_use("patternizr-burglary", "b1", {"arrest": 40}, {"destroy": 4}))
    audit.append(_certified("patternizr-burglary", 1, "b1", 0.04))

    # inside the window
    clock.at(INSIDE)
    audit.append(_training_use("recidivism", "r1", {"arrest": 30, "photo": 6}, {"destroy": 6}))
    audit.append(_certified("recidivism", 1, "r1", 0.05))
    for row in pd.concat([grants.iloc[1:], denials.iloc[1:]]).itertuples():
        ask(row)
    for key, grant in ((sealed_key, None), (open_key, None), (sealed_key, "G-NOT-ON-FILE")):
        request = AccessRequest(
            key, "det.nobody", "INVESTIGATION_OF_SPECIFIC_CRIME", REQUEST_AS_OF, grant
        )
        registry.show_record(tables, request)

    # a dismissal recorded on 1 April seals an open arrest; the model using it is decertified
    events = tables["court_events"]
    arrests = tables["arrests"]
    bare = arrests[~arrests["ARREST_KEY"].isin(events["ARREST_KEY"])]
    bare = bare[bare["ARREST_DATE"] < pd.Timestamp("2026-01-01")].iloc[0]
    dismissed = str(bare["ARREST_KEY"])
    frame = make_frame(
        "court_events",
        [
            {
                "EVENT_ID": "REPORT-1",
                "ARREST_KEY": dismissed,
                "EVENT_TYPE": "DISPOSITION",
                "EVENT_DATE": (bare["ARREST_DATE"] + pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
                "DISPOSITION": "DISMISSAL",
                "CPL_SECTION": "170.30",
                "SOURCE": "OCA",
            }
        ],
    )
    path = write_table(frame, "court_events", root, "csv")
    clock.at(EVENTS_AT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "_now", lambda: EVENTS_AT.isoformat(timespec="seconds"))
        registry.apply_events(tables, path, REQUEST_AS_OF)
    clock.at(EVENTS_AT + timedelta(hours=2))
    audit.append(_decertified("recidivism", 1, [dismissed], None))  # time derived: 2 h
    audit.append(_decertified("patternizr-burglary", 1, [], None))  # valid_until: no event
    clock.at(EVENTS_AT + timedelta(days=1))
    audit.append(_training_use("recidivism", "r2", {"arrest": 31, "photo": 6}, {"destroy": 6}))
    audit.append(_refused("recidivism", "r2", 0.2))
    clock.at(EVENTS_AT + timedelta(days=2))
    audit.append(_training_use("recidivism", "r3", {"arrest": 31, "photo": 7}, {"destroy": 7}))
    audit.append(_certified("recidivism", 2, "r3", 0.06))

    # after the window
    clock.at(AFTER)
    ask(next(grants.head(1).itertuples()))
    audit.append(_certified("recidivism", 3, "r4", 0.07))
    registry.build(tables, SNAPSHOT_AS_OF, "strict")
    registry.build(tables, SNAPSHOT_AS_OF, "statutory")
    audit.checkpoint()
    registry.store.engine.dispose()
    audit.engine.dispose()
    return ReportHome(home.path, data, sealed_key, open_key, dismissed)


@pytest.fixture(scope="session")
def report_home(tmp_path_factory, tiny_world, tiny_tables) -> ReportHome:
    """The shared home; tests that change it must use ``report_home_copy``."""
    return build_report_home(tmp_path_factory.mktemp("report-home"), tiny_world, tiny_tables)


@pytest.fixture
def report_home_copy(report_home, tmp_path) -> ReportHome:
    """A private copy of the shared home, safe to append to or tamper with.

    Copied with SQLite's backup API (``copy_files``), not ``copytree``, which would drop
    this process's locks on the shared home's databases. Not relocated: the report reads
    the registry and the audit log, never the models' files.
    """
    from sanitizer._home import Home
    from sanitizer.certify._relocate import copy_files

    target = tmp_path / "home"
    copy_files(Home.resolve(report_home.path), target)
    return ReportHome(
        target,
        report_home.data,
        report_home.sealed_key,
        report_home.open_key,
        report_home.dismissed_key,
    )
