"""The report's key numbers recomputed straight from a home's files, independently.

Plain SQL (SQLite's JSON functions) over ``audit_log`` and ``recorded_events``, and
pandas over the snapshot's Parquet status file: a different route from the report's
code, so a test comparing the two can fail.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd


def _bounds(since: date, until: date) -> tuple[str, str]:
    return since.isoformat(), (until + timedelta(days=1)).isoformat()


def query(home: Path, sql: str, *args):
    with sqlite3.connect(home / "registry.db") as conn:
        return conn.execute(sql, args).fetchall()


def access_counts(home: Path, since: date, until: date) -> dict:
    start, end = _bounds(since, until)
    rows = query(
        home,
        "SELECT outcome, count(*) FROM audit_log WHERE action = 'ACCESS' "
        "AND ts >= ? AND ts < ? GROUP BY outcome",
        start,
        end,
    )
    counts = dict(rows)
    by_basis = query(
        home,
        "SELECT coalesce(json_extract(detail, '$.basis'), '(basis not recorded)'), outcome, "
        "count(*) FROM audit_log WHERE action = 'ACCESS' AND grant_id IS NOT NULL "
        "AND ts >= ? AND ts < ? GROUP BY 1, 2",
        start,
        end,
    )
    no_grant = query(
        home,
        "SELECT outcome, count(*) FROM audit_log WHERE action = 'ACCESS' AND grant_id IS NULL "
        "AND ts >= ? AND ts < ? GROUP BY outcome",
        start,
        end,
    )
    basis: dict[str, dict[str, int]] = {}
    for name, outcome, n in [*by_basis, *(("(no grant)", o, n) for o, n in no_grant)]:
        slot = basis.setdefault(name, {"granted": 0, "denied": 0})
        slot["granted" if outcome == "GRANTED" else "denied"] += n
    unauthorized = query(
        home,
        "SELECT seq FROM audit_log WHERE action = 'ACCESS' AND outcome = 'GRANTED' "
        "AND grant_id IS NULL AND ts >= ? AND ts < ? "
        "AND coalesce(json_extract(detail, '$.access_regime'), '') != 'UNRESTRICTED' "
        "AND NOT (json_extract(detail, '$.access_regime') = 'SUBJECT_ONLY' "
        "AND purpose = 'SUBJECT_REQUEST') ORDER BY seq",
        start,
        end,
    )
    return {
        "granted": counts.get("GRANTED", 0),
        "denied": counts.get("DENIED", 0),
        "by_basis": dict(sorted(basis.items())),
        "unauthorized": [seq for (seq,) in unauthorized],
    }


def model_entries(home: Path, action: str, since: date, until: date) -> list[dict]:
    start, end = _bounds(since, until)
    rows = query(
        home,
        "SELECT seq, detail FROM audit_log WHERE action = ? AND ts >= ? AND ts < ? ORDER BY seq",
        action,
        start,
        end,
    )
    return [{"seq": seq, **json.loads(detail)} for seq, detail in rows]


def newly_sealed(home: Path, snapshot_id: str, since: date, until: date) -> dict[str, int]:
    (status_file,) = query(
        home, "SELECT status_file FROM registry_snapshots WHERE snapshot_id = ?", snapshot_id
    )[0]
    frame = pd.read_parquet(home / "snapshots" / status_file)
    began = pd.to_datetime(frame["since"])
    chosen = frame[
        (frame["access_regime"] != "UNRESTRICTED")
        & (began >= pd.Timestamp(since))
        & (began <= pd.Timestamp(until))
    ]
    return {str(k): int(v) for k, v in chosen["statute"].value_counts().sort_index().items()}


def destroy_class(home: Path, snapshot_id: str) -> int:
    (status_file,) = query(
        home, "SELECT status_file FROM registry_snapshots WHERE snapshot_id = ?", snapshot_id
    )[0]
    return int(pd.read_parquet(home / "snapshots" / status_file)["destroy_class"].sum())
