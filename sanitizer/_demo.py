"""The demo story on synthetic `small` data, as far as the pipeline is built.

Synthesise -> validate -> registry snapshots under both policies -> access attempts,
granted and denied, from the planted court orders -> audit verification. Each step calls
the same library functions the commands call; the CLI only draws progress and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ._errors import BadInput
from ._home import Home
from .registry import AccessRequest, Registry
from .tables import read_tables, validate_directory

__all__ = ["DemoResult", "run_demo", "request_from_truth", "DEMO_STEPS"]

DEMO_STEPS = ("synthesise", "validate", "registry", "access", "audit")
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

    def to_dict(self) -> dict:
        return {
            "home": str(self.home),
            "report": None if self.report is None else str(self.report),
            "models": list(self.models),
            "data": str(self.data),
            "snapshots": self.snapshots,
            "access": self.access,
            "audit": self.audit,
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
    return result
