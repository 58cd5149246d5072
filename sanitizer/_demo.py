"""The demo story on synthetic `small` data, end to end.

Synthesise -> validate -> registry snapshots under both policies -> retrain and certify
the four models -> new court events that seal an arrest the models used -> those models
decertified at once and retrained -> access attempts, granted and denied, from the
planted court orders -> audit verification -> the compliance report. Each step calls the
same library functions the commands call; the CLI only draws progress and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from ._compliance import apply_events
from ._errors import BadInput
from ._home import Home
from ._retrain import retrain
from .certify import LineageIndex, ModelStore
from .registry import AccessRequest, Registry
from .report import ComplianceReport, report_window
from .tables import Tables, make_frame, read_tables, validate_directory, write_table

__all__ = ["DemoResult", "run_demo", "request_from_truth", "DEMO_STEPS"]

DEMO_STEPS = (
    "synthesise",
    "validate",
    "registry",
    "retrain patternizr-burglary",
    "retrain patternizr-robbery",
    "retrain patternizr-grand-larceny",
    "retrain recidivism",
    "new court events",
    "decertify and retrain",
    "access",
    "audit",
    "report",
)
#: The models the demo certifies: (kind, crime type).
DEMO_MODELS = (
    ("patternizr", "burglary"),
    ("patternizr", "robbery"),
    ("patternizr", "grand-larceny"),
    ("recidivism", None),
)
#: How many planted court orders the demo tries at the gate.
ACCESS_ATTEMPTS = 12


@dataclass
class DemoResult:
    """Where everything the demo made is, and what happened."""

    home: Path
    data: Path
    snapshots: dict[str, dict] = field(default_factory=dict)
    access: list[dict] = field(default_factory=list)
    audit: dict = field(default_factory=dict)
    report: Path | None = None
    models: list[str] = field(default_factory=list)
    retrains: list[dict] = field(default_factory=list)
    events: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "home": str(self.home),
            "report": None if self.report is None else str(self.report),
            "models": list(self.models),
            "data": str(self.data),
            "snapshots": self.snapshots,
            "access": self.access,
            "audit": self.audit,
            "retrains": self.retrains,
            "events": self.events,
        }


def request_from_truth(row, as_of: date) -> AccessRequest:
    """The access request the synthetic world planted with a court order (``truth/grants``)."""
    return AccessRequest(
        arrest_key=row.REQUEST_ARREST_KEY,
        requester=row.REQUEST_USER,
        purpose=row.REQUEST_PURPOSE,
        as_of=as_of,
        grant_id=row.GRANT_ID,
        record_type=row.REQUEST_RECORD_TYPE,
        case_no=None if pd.isna(row.REQUEST_CASE_NO) else row.REQUEST_CASE_NO,
    )


def run_demo(
    home: Home,
    synthesise: Callable[[Path], dict],
    as_of: date,
    progress: Callable[[str], None] = lambda _step: None,
) -> DemoResult:
    """Run the story in ``home``; ``synthesise(folder)`` writes the `small` world there."""
    home.ensure()
    data = home.path / "demo-data"
    result = DemoResult(home.path, data)

    progress("synthesise")
    synthesise(data)
    progress("validate")
    report, _ = validate_directory(data)
    if not report.valid:
        raise BadInput(f"the synthetic data failed validation: {report.errors[0]}")
    tables = read_tables(data)

    progress("registry")
    registry = Registry(home)
    for policy in ("strict", "statutory"):
        snapshot = registry.build(tables, as_of, policy, actor="demo")
        result.snapshots[policy] = {
            k: v for k, v in snapshot.to_dict().items() if k not in ("inputs", "status_root")
        }

    started = datetime.now(UTC).date()
    for kind, crime_type in DEMO_MODELS:
        progress(f"retrain {kind if crime_type is None else 'patternizr-' + crime_type}")
        trained = retrain(
            home, tables, kind, crime_type=crime_type, as_of=as_of, registry=registry, actor="demo"
        )
        result.retrains.append(_summary(trained))

    progress("new court events")
    events_file = sealing_events(tables, registry, home.path / "demo-events.csv", as_of)

    progress("decertify and retrain")
    if events_file is not None:
        applied = apply_events(home, tables, events_file, as_of=as_of, registry=registry)
        result.events = {
            "file": str(events_file),
            **{k: v for k, v in applied.items() if not k.startswith("_")},
        }
        result.retrains += [_summary(r) for r in applied["_results"]]
    store = ModelStore.for_home(home)
    result.models = [ref.uri for ref in store.certified_versions()]

    progress("access")
    truth = pd.read_parquet(data / "truth" / "grants.parquet")
    tried = pd.concat(
        [
            truth[truth["CERTAIN"] & (truth["EXPECTED"] == "grant")].head(ACCESS_ATTEMPTS // 2),
            truth[truth["CERTAIN"] & (truth["EXPECTED"] == "deny")].head(ACCESS_ATTEMPTS // 2),
        ]
    )
    for row in tried.itertuples():
        outcome = registry.show_record(tables, request_from_truth(row, as_of))
        result.access.append(
            {
                "grant_id": row.GRANT_ID,
                "planted": row.DEFECT,
                "granted": outcome.decision.granted,
                "reason": outcome.decision.reason,
                "audit_seq": outcome.audit_seq,
            }
        )

    progress("audit")
    result.audit = registry.audit.verify().to_dict()

    progress("report")
    window = report_window(as_of, since=started, until=datetime.now(UTC).date())
    result.report = home.reports_dir / "compliance-demo.html"
    ComplianceReport(home, window).write(result.report)
    return result


def _summary(trained) -> dict:
    return {
        "name": trained.name,
        "certified": trained.certified,
        "model_uri": trained.model_uri,
        "fingerprint": trained.fingerprint,
        "valid_until": trained.valid_until,
        "reasons": trained.reasons,
        "gates": {g: bool(v.get("passed")) for g, v in trained.gates.items()},
    }


def sealing_events(tables: Tables, registry: Registry, out: Path, as_of: date) -> Path | None:
    """A court-events file that seals, for each certified model, one arrest it used.

    An arrest with no court event yet gets a dismissal 30 days after it; one with a case
    history gets its judgment vacated on every docket 30 days after its last event.
    Either is a favourable termination, sealed under CPL 160.50 under both policies; each
    pick is checked with the rules engine before it is written. Arrests shared by
    several models are not picked twice.
    """
    index = LineageIndex(registry.store.engine)
    store = ModelStore.for_home(registry.home)
    merged = registry.with_recorded_events(tables)
    events = merged["court_events"]
    latest = events.groupby("ARREST_KEY")["EVENT_DATE"].max()
    dated = tables["arrests"].set_index("ARREST_KEY")["ARREST_DATE"]
    last_day = pd.Timestamp(as_of) - pd.Timedelta(days=31)
    rows: list[dict] = []
    chosen: set[str] = set()
    for ref in store.certified_versions():
        for key in index.used_keys(ref.name, ref.version)[:200]:
            if key in chosen:
                break
            candidate = _sealing_rows(key, events, latest, dated, last_day)
            if candidate and _seals(registry, merged, candidate, key, as_of, ref.tag("policy")):
                rows += candidate
                chosen.add(key)
                break
    if not rows:
        return None
    frame = make_frame("court_events", rows)
    written = write_table(frame, "court_events", out.parent, "csv")
    return written.replace(out)


def _sealing_rows(key, events, latest, dated, last_day) -> list[dict]:
    if key not in latest.index:
        if dated[key] > last_day:
            return []
        day, dockets, disposition = dated[key], [None], "DISMISSAL"
    else:
        if latest[key] > last_day:
            return []
        mine = events[events["ARREST_KEY"] == key]
        day, disposition = latest[key], "JUDGMENT_VACATED"
        dockets = sorted(set(mine["DOCKET_ID"].dropna().tolist())) or [None]
    return [
        {
            "EVENT_ID": f"DEMO-{key}-{i + 1}",  # an arrest is sealed once: ids never repeat
            "ARREST_KEY": key,
            "DOCKET_ID": docket,
            "EVENT_TYPE": "DISPOSITION",
            "EVENT_DATE": (day + pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "DISPOSITION": disposition,
            "SOURCE": "OCA",
        }
        for i, docket in enumerate(dockets)
    ]


def _seals(registry, merged, rows, key, as_of, policy) -> bool:
    """Whether adding ``rows`` makes ``key`` excluded under ``policy`` (rules engine)."""
    added = make_frame("court_events", rows)
    trial = merged.replace(court_events=pd.concat([merged["court_events"], added]))
    result = registry.person_result(trial, key, as_of)
    return key in set(result.excluded_keys(policy or "strict"))
