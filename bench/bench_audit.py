"""Micro-benchmark of the audit log (``sanitizer.registry._audit``) on SQLite.

``append_many_rate(n)`` times recording ``n`` access entries in batches (target: at least
5,000 entries/s), ``append_rate(n)`` one transaction an entry, and ``verify_rate`` the
full chain check. Run ``python -m bench.bench_audit [N]`` (default 100,000) to print them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from sanitizer.registry._audit import AuditLog, create_schema


def _entries(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "actor": f"officer{i % 500}",
            "action": "ACCESS",
            "outcome": "GRANTED" if i % 3 else "DENIED",
            "record_ids": [f"A{i:09d}"],
            "grant_id": f"G{i % 40}" if i % 3 else None,
            "purpose": "INVESTIGATION_OF_SPECIFIC_CRIME",
            "detail": {
                "role": "detective",
                "workstation": f"ws{i % 90}",
                "status": "SEALED_160_50",
            },
        }
        for i in range(start, start + n)
    ]


def _fresh(workdir: Path) -> AuditLog:
    engine = sa.create_engine(f"sqlite:///{workdir / 'registry.db'}")
    create_schema(engine)
    return AuditLog(engine, workdir / "home")


def append_many_rate(n: int = 100_000, batch: int = 10_000, workdir: Path | None = None) -> dict:
    """Entries/s recording ``n`` entries ``batch`` at a time, then the verify rate."""
    with tempfile.TemporaryDirectory() as tmp:
        log = _fresh(Path(workdir or tmp))
        start = time.perf_counter()
        for offset in range(0, n, batch):
            log.append_many(_entries(min(batch, n - offset), offset))
        log.checkpoint()
        append_s = time.perf_counter() - start
        start = time.perf_counter()
        result = log.verify()
        verify_s = time.perf_counter() - start
        assert result.intact, result.problems
        return {
            "entries": n,
            "batch": batch,
            "append_many_per_s": round(n / append_s),
            "verify_per_s": round(n / verify_s),
        }


def append_rate(n: int = 500) -> dict:
    """Entries/s recording ``n`` entries one transaction each (durable commits)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = _fresh(Path(tmp))
        entries = _entries(n)
        start = time.perf_counter()
        for entry in entries:
            log.append(entry)
        return {"entries": n, "append_per_s": round(n / (time.perf_counter() - start))}


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    sys.stdout.write(json.dumps(append_many_rate(n)) + "\n")
    sys.stdout.write(json.dumps(append_rate()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
