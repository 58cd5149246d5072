"""The registry's database: recorded court events and stored snapshots, via SQLAlchemy.

SQLite in the home by default, PostgreSQL through the same URL. Every write is one
transaction: a batch of events that fails leaves nothing applied, and applying the same
batch twice changes nothing (events are keyed by ``EVENT_ID``; a known id with different
content is refused as bad input, since history cannot be rewritten silently).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from .._errors import BadInput
from ._snapshot import Snapshot, record_to_dict

__all__ = ["RegistryStore", "REGISTRY_METADATA", "open_engine"]

REGISTRY_METADATA = MetaData()

snapshots_table = Table(
    "registry_snapshots",
    REGISTRY_METADATA,
    Column("snapshot_id", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("excluded_root", String(64), nullable=False),
    Column("status_root", String(64), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("policy", String(32), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("rules_version", String(64), nullable=False),
    Column("counts", Text, nullable=False),
    Column("arrests", Integer, nullable=False),
    Column("excluded", Integer, nullable=False),
    Column("inputs", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)

statuses_table = Table(
    "registry_statuses",
    REGISTRY_METADATA,
    Column("snapshot_id", String(64), primary_key=True),
    Column("arrest_key", String(64), primary_key=True),
    Column("person_id", String(64)),
    Column("status", String(40), nullable=False),
    Column("statute", String(40)),
    Column("since", String(10)),
    Column("access_regime", String(24), nullable=False),
    Column("excluded", Boolean, nullable=False),
    Column("seals_on", String(10)),
    Column("excluded_from", String(10)),
    Column("destroy_class", Boolean),
    Column("reason", Text),
)

events_table = Table(
    "recorded_events",
    REGISTRY_METADATA,
    Column("event_id", String(64), primary_key=True),
    Column("arrest_key", String(64), nullable=False, index=True),
    Column("batch_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("recorded_at", String(32), nullable=False),
)

STATUS_COLUMNS = [c.name for c in statuses_table.columns]


def open_engine(url: str) -> Engine:
    """An engine for the registry URL; SQLite gets WAL, a busy timeout and real BEGINs.

    pysqlite's default transaction handling defers BEGIN and can interleave writers; the
    event hooks below make each transaction ``BEGIN IMMEDIATE`` so concurrent writers
    queue instead of failing half-way.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text_date(series: pd.Series) -> list:
    values = pd.to_datetime(series)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]


def _none_if_na(value):
    if value is None:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value


class RegistryStore:
    """Recorded events and snapshots in one database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> RegistryStore:
        store = cls(open_engine(url))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create missing tables; idempotent, never drops anything."""
        REGISTRY_METADATA.create_all(self.engine, checkfirst=True)

    # --- snapshots ---------------------------------------------------------------------
    def has_snapshot(self, snapshot_id: str, connection: Connection | None = None) -> bool:
        query = select(snapshots_table.c.snapshot_id).where(
            snapshots_table.c.snapshot_id == snapshot_id
        )
        if connection is not None:
            return connection.execute(query).first() is not None
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def save_snapshot(self, snapshot: Snapshot, connection: Connection) -> bool:
        """Store a snapshot inside the caller's transaction; False if already stored."""
        if self.has_snapshot(snapshot.snapshot_id, connection):
            return False
        meta = snapshot.to_dict()
        connection.execute(
            insert(snapshots_table).values(
                snapshot_id=meta["snapshot_id"],
                digest=meta["digest"],
                excluded_root=meta["excluded_root"],
                status_root=meta["status_root"],
                as_of=meta["as_of"],
                policy=meta["policy"],
                policy_version=meta["policy_version"],
                rules_version=meta["rules_version"],
                counts=json.dumps(meta["counts"], sort_keys=True),
                arrests=meta["arrests"],
                excluded=meta["excluded"],
                inputs=json.dumps(meta["inputs"], sort_keys=True),
                created_at=_now(),
            )
        )
        self._bulk_insert_statuses(connection, snapshot)
        return True

    def _status_rows(self, snapshot: Snapshot) -> Iterable[tuple]:
        r = snapshot.records
        n = len(r)
        columns = [
            [snapshot.snapshot_id] * n,
            r["arrest_key"].tolist(),
            r["person_id"].tolist() if "person_id" in r else [None] * n,
            r["status"].tolist(),
            [_none_if_na(v) for v in r["statute"]],
            _text_date(r["since"]),
            r["access_regime"].tolist(),
            r["excluded"].astype(bool).tolist(),
            _text_date(r["seals_on"]),
            _text_date(r["excluded_from"]),
            r["destroy_class"].astype(bool).tolist() if "destroy_class" in r else [None] * n,
            [_none_if_na(v) for v in r["reason"]] if "reason" in r else [None] * n,
        ]
        return zip(*columns, strict=True)

    def _bulk_insert_statuses(self, connection: Connection, snapshot: Snapshot) -> None:
        rows = self._status_rows(snapshot)
        names = ", ".join(STATUS_COLUMNS)
        if connection.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY registry_statuses ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in STATUS_COLUMNS)
        sql = f"INSERT INTO registry_statuses ({names}) VALUES ({marks})"
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 100_000:
                connection.exec_driver_sql(sql, batch)
                batch = []
        if batch:
            connection.exec_driver_sql(sql, batch)

    def snapshot_meta(self, snapshot_id: str | None = None, policy: str | None = None) -> dict:
        """A stored snapshot's summary; the latest one (optionally of a policy) if no id."""
        query = select(snapshots_table)
        if snapshot_id is not None:
            query = query.where(snapshots_table.c.snapshot_id == snapshot_id)
        if policy is not None:
            query = query.where(snapshots_table.c.policy == policy)
        query = query.order_by(snapshots_table.c.created_at.desc(), snapshots_table.c.as_of.desc())
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            what = snapshot_id or f"any {policy or ''} snapshot".replace("  ", " ")
            raise BadInput(f"no stored registry snapshot {what}; run `sanitizer registry build`")
        meta = dict(row)
        meta["counts"] = json.loads(meta["counts"])
        meta["inputs"] = json.loads(meta["inputs"])
        return meta

    def status_of(self, arrest_key: str, snapshot_id: str) -> dict:
        """One arrest's stored status: an indexed lookup, milliseconds at any scale."""
        query = select(statuses_table).where(
            statuses_table.c.snapshot_id == snapshot_id,
            statuses_table.c.arrest_key == arrest_key,
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise BadInput(f"arrest {arrest_key!r} is not in snapshot {snapshot_id}")
        return record_to_dict(pd.Series(dict(row)))

    # --- recorded events -----------------------------------------------------------------
    def recorded_payloads(self) -> list[dict]:
        """Every event recorded by ``events apply``, oldest first."""
        query = select(events_table.c.payload).order_by(
            events_table.c.recorded_at, events_table.c.event_id
        )
        with self.engine.connect() as conn:
            return [json.loads(p) for (p,) in conn.execute(query)]

    def record_events(
        self, payloads: Sequence[dict], batch_id: str, connection: Connection
    ) -> list[str]:
        """Record events inside the caller's transaction; returns the ids that were new.

        An ``EVENT_ID`` already recorded with the same content is skipped (idempotent);
        with different content it raises ``BadInput`` and the caller's transaction rolls
        back, so nothing of the batch is applied.
        """
        ids = [p["EVENT_ID"] for p in payloads]
        existing = {
            event_id: payload
            for event_id, payload in connection.execute(
                select(events_table.c.event_id, events_table.c.payload).where(
                    events_table.c.event_id.in_(ids)
                )
            )
        }
        new_rows, recorded_at = [], _now()
        for payload in payloads:
            text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            known = existing.get(payload["EVENT_ID"])
            if known is not None:
                if known != text:
                    raise BadInput(
                        f"event {payload['EVENT_ID']!r} was already recorded with different "
                        "content; recorded history is not rewritten (use a new EVENT_ID)"
                    )
                continue
            new_rows.append(
                {
                    "event_id": payload["EVENT_ID"],
                    "arrest_key": payload["ARREST_KEY"],
                    "batch_id": batch_id,
                    "payload": text,
                    "recorded_at": recorded_at,
                }
            )
        if new_rows:
            connection.execute(insert(events_table), new_rows)
        return [row["event_id"] for row in new_rows]
