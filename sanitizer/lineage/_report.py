"""The lineage report: what a reviewer needs to re-check that no sealed record was used.

JSON with a versioned schema (``sanitizer.lineage-report/1``) for scripts and the court's
monitor, and a self-contained HTML page for people. It records the registry snapshot
(as-of, policy, rules version, digest, excluded root), what the sanitizer removed by
statute and by item type, each check with how it was run, its result and how to re-run
it, the data commitments, the code version, and, under the ``statutory`` policy, the
records used that ``strict`` would have excluded (logged as one count and Merkle root
per training run).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..features import TrainingSet
from ..registry import STRICT, Snapshot, merkle_root
from ..sanitize import SanitizedData
from ._checks import LineageChecks
from ._commitments import DataCommitments

__all__ = ["LineageReport", "SCHEMA_VERSION", "code_version", "RERUN"]

SCHEMA_VERSION = "sanitizer.lineage-report/1"

#: How a reviewer re-runs each check (CONTRACT.md commands).
RERUN = {
    "provenance": "sanitizer verify MODEL_URI --data DIR  (check 'provenance')",
    "invariance": "sanitizer verify MODEL_URI --data DIR  (check 'invariance')",
    "fitted_state": "sanitizer verify MODEL_URI --data DIR  (check 'fitted_state')",
    "absence": "sanitizer lineage prove-absent MODEL_URI ARREST_KEY > proof.json && "
    "sanitizer lineage check-proof proof.json",
}


def code_version() -> dict:
    """The git commit of the code that ran, and whether the tree had local changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": None, "dirty": None}
    return {"git_commit": commit, "dirty": dirty}


def _le_duty_use(snapshot: Snapshot, training: TrainingSet) -> dict | None:
    """Records used under ``statutory`` that ``strict`` would exclude (160.57/58/59, ...)."""
    if snapshot.policy == "strict":
        return None
    used = set(training.provenance.used_keys("arrests").tolist())
    records = snapshot.records
    strict_only = records[
        records["status"].map(STRICT.excludes).astype(bool) & ~records["excluded"]
    ]
    keys = sorted(set(strict_only["arrest_key"]) & used)
    statuses = strict_only.set_index("arrest_key").loc[keys, "status"].value_counts()
    return {
        "count": len(keys),
        "merkle_root": merkle_root(keys),
        "by_status": {k: int(v) for k, v in statuses.sort_index().items()},
        "keys": keys[:200],
        "keys_listed": min(len(keys), 200),
    }


@dataclass(frozen=True)
class LineageReport:
    """One model version's lineage; read-only once made."""

    model: str
    pipeline: str
    data: SanitizedData = field(repr=False)
    checks: LineageChecks = field(repr=False)
    commitments: DataCommitments = field(repr=False)
    fingerprint: str = ""
    seed: int = 0
    code: dict = field(default_factory=code_version)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict:
        snapshot = self.data.snapshot
        return {
            "schema": SCHEMA_VERSION,
            "model": self.model,
            "pipeline": self.pipeline,
            "fingerprint": self.fingerprint,
            "seed": self.seed,
            "created_at": self.created_at,
            "code": dict(self.code),
            "snapshot": {
                "snapshot_id": snapshot.snapshot_id,
                "as_of": snapshot.as_of.isoformat(),
                "policy": snapshot.policy,
                "policy_version": snapshot.policy_version,
                "rules_version": snapshot.rules_version,
                "digest": snapshot.digest,
                "excluded_root": snapshot.excluded_root,
                "counts": snapshot.counts,
            },
            "removed": {
                "by_item_type": self.data.removed_counts(),
                "by_statute": self.data.removed_by_statute(),
                "destroy_class": {
                    "destroy": int((self.data.destruction["action"] == "DESTROY").sum()),
                    "mark": int((self.data.destruction["action"] == "MARK").sum()),
                },
            },
            "training": {
                "rows": len(self.checks.training),
                "features": list(self.checks.training.X.columns),
                "components": sorted(self.checks.training.components),
            },
            "checks": {
                name: {**result.to_dict(), "rerun": RERUN.get(name, "")}
                for name, result in self.checks.results.items()
            },
            "passed": self.checks.passed,
            "commitments": self.commitments.to_dict(),
            "le_duty_use": _le_duty_use(snapshot, self.checks.training),
            "rerun": dict(RERUN),
        }

    def to_html(self) -> str:
        environment = Environment(
            loader=PackageLoader("sanitizer.lineage", "templates"),
            autoescape=select_autoescape(default=True),
        )
        return environment.get_template("lineage_report.html.j2").render(report=self.to_dict())
