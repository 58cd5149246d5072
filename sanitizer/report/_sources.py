"""Read-only access to what a home holds: audit log, snapshots, recorded events, checkpoints.

Why a separate reader: the report must never change the home it reports on (no schema
created, no key made, no checkpoint written), and must work on a home that has only some
of its tables (a registry built but no model trained yet). Everything here reads; a
missing table reads as empty.

Audit details are JSON text. The few model entries are parsed one by one, but access
attempts and recorded events can number millions, so their fields are parsed by Arrow's
JSON reader in one vectorised pass (:func:`json_fields`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.engine import make_url

from .._errors import BadInput
from .._home import Home
from ..registry import AuditLog, AuditVerification
from ..registry._audit import CHECKPOINT_FORMAT, audit_log_table
from ..registry._store import events_table, snapshots_table

__all__ = ["HomeReader", "json_fields", "MSG_NO_HOME", "MSG_NO_DB"]

MSG_NO_HOME = "no sanitizer home at {path}; pass --home DIR (or set SANITIZER_HOME)"
MSG_NO_DB = "no registry database at {path}; run `sanitizer registry build` in this home first"

_ENTRY_COLUMNS = ("seq", "ts", "actor", "action", "outcome", "record_ids", "grant_id", "purpose")


def json_fields(texts: Sequence[str] | pd.Series, fields: Sequence[str]) -> pd.DataFrame:
    """Pull string ``fields`` out of JSON object texts, vectorised (absent or null -> NA).

    Parameters
    ----------
    texts : sequence of str
        One JSON object per item, without raw newlines (canonical JSON has none).
    fields : sequence of str
        Top-level keys whose values are strings or null.

    Returns
    -------
    DataFrame
        One column per field, one row per text, in order.
    """
    texts = list(texts)
    if not texts:
        return pd.DataFrame({name: pd.Series([], dtype="str") for name in fields})
    schema = pa.schema([(name, pa.string()) for name in fields])
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    data = ("\n".join(texts) + "\n").encode("utf-8")
    table = pajson.read_json(pa.BufferReader(data), parse_options=options)
    return pd.DataFrame({name: table[name].to_pandas() for name in fields})


class HomeReader:
    """The parts of one home a compliance report reads, opened without changing anything.

    Parameters
    ----------
    home : Home
        The resolved home (its folder must exist, and its database on SQLite).

    Raises
    ------
    BadInput
        The home folder or its SQLite database does not exist.
    """

    def __init__(self, home: Home):
        if not home.path.is_dir():
            raise BadInput(MSG_NO_HOME.format(path=home.path))
        url = make_url(home.db_url)
        if url.get_backend_name() == "sqlite":
            database = url.database
            if not database or not Path(database).is_file():
                raise BadInput(MSG_NO_DB.format(path=database))
        self.home = home
        connect_args = {"timeout": 60} if home.db_url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(home.db_url, connect_args=connect_args)
        self._tables = set(inspect(self.engine).get_table_names())

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def has(self, table: str) -> bool:
        """Whether the database holds ``table``."""
        return table in self._tables

    # --- audit log ---------------------------------------------------------------------------
    def entries(
        self, actions: Sequence[str], start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Audit entries with these actions, ``start <= ts < end``, in ``seq`` order.

        Columns: ``seq``, ``ts`` (UTC text), ``actor``, ``action``, ``outcome``,
        ``record_ids`` (a list), ``grant_id``, ``purpose``, ``detail`` (JSON text).
        """
        columns = [*_ENTRY_COLUMNS, "detail"]
        if not self.has(audit_log_table.name):
            return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
        t = audit_log_table
        query = select(*(t.c[name] for name in columns)).where(t.c.action.in_(list(actions)))
        if start is not None:
            query = query.where(t.c.ts >= start)
        if end is not None:
            query = query.where(t.c.ts < end)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.c.seq)).all()
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        frame["record_ids"] = [json.loads(text) for text in frame["record_ids"]]
        return frame

    def verify(self) -> AuditVerification | None:
        """The audit chain checked against its checkpoints; None when there is no log."""
        if not self.has(audit_log_table.name):
            return None
        return AuditLog(self.engine, self.home.path).verify()

    def exported_checkpoint(self) -> dict | None:
        """The last checkpoint line of ``HOME/audit-checkpoints.jsonl``, or None."""
        path = self.home.checkpoints_file
        if not path.is_file():
            return None
        for line in reversed(path.read_bytes().splitlines()):
            try:
                point = json.loads(line)
            except ValueError:
                continue
            if isinstance(point, dict) and point.get("format") == CHECKPOINT_FORMAT:
                return point
        return None

    # --- registry ------------------------------------------------------------------------------
    def snapshots(self) -> pd.DataFrame:
        """Every stored snapshot's metadata (no per-arrest rows), oldest first."""
        columns = [
            "snapshot_id",
            "digest",
            "excluded_root",
            "as_of",
            "policy",
            "policy_version",
            "rules_version",
            "counts",
            "arrests",
            "excluded",
            "status_file",
            "status_sha256",
            "created_at",
        ]
        if not self.has(snapshots_table.name):
            return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
        t = snapshots_table
        query = select(*(t.c[name] for name in columns)).order_by(t.c.as_of, t.c.created_at)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=columns, dtype=object)

    def status_file(self, meta: dict) -> Path:
        """Where a snapshot's per-arrest status file lives."""
        return self.home.snapshots_dir / meta["status_file"]

    def status_table(self, meta: dict, columns: Sequence[str]) -> pa.Table | None:
        """Columns of a snapshot's status file; None when the file is missing."""
        path = self.status_file(meta)
        if not path.is_file():
            return None
        return pq.read_table(path, columns=list(columns))

    def status_file_intact(self, meta: dict) -> bool | None:
        """Whether the status file still hashes to its recorded SHA-256 (None: missing)."""
        path = self.status_file(meta)
        if not path.is_file():
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest() == meta["status_sha256"]

    def recorded_events(self, start: str, end: str) -> pd.DataFrame:
        """Court events recorded by ``events apply`` with ``start <= recorded_at < end``.

        Columns: ``event_id``, ``arrest_key``, ``batch_id``, ``recorded_at``,
        ``EVENT_TYPE``, ``EVENT_DATE``.
        """
        columns = ["event_id", "arrest_key", "batch_id", "recorded_at"]
        fields = ["EVENT_TYPE", "EVENT_DATE"]
        if not self.has(events_table.name):
            empty = {name: pd.Series([], dtype=object) for name in [*columns, *fields]}
            return pd.DataFrame(empty)
        t = events_table
        query = (
            select(*(t.c[name] for name in columns), t.c.payload)
            .where(t.c.recorded_at >= start, t.c.recorded_at < end)
            .order_by(t.c.recorded_at, t.c.event_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        frame = pd.DataFrame(rows, columns=[*columns, "payload"], dtype=object)
        parsed = json_fields(frame["payload"], fields)
        return pd.concat([frame[columns], parsed], axis=1)
