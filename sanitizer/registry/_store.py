"""The registry's database: recorded court events and stored snapshots, via SQLAlchemy.

SQLite in the home by default, PostgreSQL through the same URL. Every write is one
transaction: a batch of events that fails leaves nothing applied, and applying the same
batch twice changes nothing (events are keyed by ``EVENT_ID``; a known id with different
content is refused as bad input, since history cannot be rewritten silently).

A snapshot's metadata (digest, roots, counts, inputs) is a database row; its per-arrest
statuses are an immutable Parquet file in ``HOME/snapshots/``, named by the snapshot id,
sorted by key in small row groups, its SHA-256 recorded in the row. Five million status
rows per build would grow the database by billions of rows a year, while the file is
written in a second, looked up in milliseconds, and checkable against the snapshot's
committed ``status_root`` (``verify_status_file``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from .._errors import BadInput
from ._ddl import create_tables
from ._merkle import merkle_root
from ._snapshot import SNAPSHOT_COLUMNS, Snapshot, record_to_dict

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
    Column("status_file", String(128), nullable=False),
    Column("status_sha256", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
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

exclusions_table = Table(
    "recorded_exclusions",
    REGISTRY_METADATA,
    Column("arrest_key", String(64), primary_key=True),
    Column("policy", String(32), primary_key=True),
    Column("batch_id", String(64), nullable=False),
    Column("recorded_at", String(32), nullable=False),
)

#: Per-arrest columns of a stored snapshot file: the fields of ``registry explain``.
STATUS_COLUMNS = [*SNAPSHOT_COLUMNS, "destroy_class"]
#: Rows per Parquet row group: a key look-up reads one group (milliseconds at any scale).
STATUS_ROW_GROUP = 32_768


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


def _status_table(snapshot: Snapshot) -> pa.Table:
    """The snapshot's per-arrest statuses as an Arrow table, sorted by key."""
    records = snapshot.records
    columns = {}
    for name in STATUS_COLUMNS:
        values = records[name] if name in records else pd.Series([None] * len(records))
        if name in ("since", "seals_on", "excluded_from"):
            stamps = pd.to_datetime(values).astype("datetime64[s]")
            array = pa.array(stamps, type=pa.timestamp("s"), from_pandas=True)
            columns[name] = pc.cast(array, pa.date32())
        elif name in ("excluded", "destroy_class"):
            columns[name] = pa.array(values.fillna(False).to_numpy(dtype=bool))
        else:
            columns[name] = pa.array(values, type=pa.string(), from_pandas=True)
    return pa.table(columns)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RegistryStore:
    """Recorded events and snapshots: rows in one database, status files in a folder."""

    def __init__(self, engine: Engine, snapshots_dir: Path):
        self.engine = engine
        self.snapshots_dir = Path(snapshots_dir)

    @classmethod
    def open(cls, url: str, snapshots_dir: Path) -> RegistryStore:
        store = cls(open_engine(url), snapshots_dir)
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create missing tables; idempotent, never drops anything."""
        create_tables(REGISTRY_METADATA, self.engine)

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
        """Store a snapshot inside the caller's transaction; False if already stored.

        The status file is written to a temporary name first and moved into place only
        after its row is inserted; if the transaction then fails the caller removes it
        with ``discard_status_file``, so a failed build leaves nothing behind.
        """
        if self.has_snapshot(snapshot.snapshot_id, connection):
            return False
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        final = self.snapshots_dir / f"{snapshot.snapshot_id}.parquet"
        partial = final.with_name(f".{final.name}.partial")
        pq.write_table(
            _status_table(snapshot),
            partial,
            row_group_size=STATUS_ROW_GROUP,
            compression="zstd",
            write_page_index=True,
        )
        sha = _file_sha256(partial)
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
                status_file=final.name,
                status_sha256=sha,
                created_at=_now(),
            )
        )
        os.replace(partial, final)
        return True

    def discard_status_file(self, snapshot_id: str) -> None:
        """Remove a status file whose database row did not commit."""
        (self.snapshots_dir / f"{snapshot_id}.parquet").unlink(missing_ok=True)

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

    def _status_path(self, meta: dict) -> Path:
        path = self.snapshots_dir / meta["status_file"]
        if not path.is_file():
            raise BadInput(
                f"the status file of snapshot {meta['snapshot_id']} is missing ({path}); "
                "rebuild it with `sanitizer registry build` (same data, date and policy)"
            )
        return path

    def status_of(self, arrest_key: str, snapshot_id: str) -> dict:
        """One arrest's stored status: reads one row group, milliseconds at any scale."""
        path = self._status_path(self.snapshot_meta(snapshot_id))
        table = pq.read_table(path, filters=[("arrest_key", "=", arrest_key)])
        if table.num_rows == 0:
            raise BadInput(f"arrest {arrest_key!r} is not in snapshot {snapshot_id}")
        row = table.slice(0, 1).to_pylist()[0]
        for column in ("since", "seals_on", "excluded_from"):
            row[column] = None if row[column] is None else row[column].isoformat()
        return record_to_dict(pd.Series(row))

    def verify_status_file(self, snapshot_id: str) -> bool:
        """Whether the stored file still hashes to its recorded SHA-256 and status root."""
        meta = self.snapshot_meta(snapshot_id)
        path = self._status_path(meta)
        if _file_sha256(path) != meta["status_sha256"]:
            return False
        table = pq.read_table(path, columns=["arrest_key", "status"])
        leaves = pc.binary_join_element_wise(table["arrest_key"], table["status"], "\x1f")
        return merkle_root(leaves.to_pylist()) == meta["status_root"]

    # --- recorded events -----------------------------------------------------------------
    def recorded_payloads(self) -> list[dict]:
        """Every event recorded by ``events apply``, oldest first."""
        query = select(events_table.c.payload).order_by(
            events_table.c.recorded_at, events_table.c.event_id
        )
        with self.engine.connect() as conn:
            return [json.loads(p) for (p,) in conn.execute(query)]

    def record_exclusions(
        self, newly_excluded: dict[str, list[str]], batch_id: str, connection: Connection
    ) -> None:
        """Record which arrests a batch of events newly excluded, per policy.

        Certification and serving read these to find models that used a record excluded
        since they were trained (``exclusions``), without recomputing the registry.
        """
        rows = [
            {"arrest_key": key, "policy": policy, "batch_id": batch_id, "recorded_at": _now()}
            for policy, keys in newly_excluded.items()
            for key in keys
        ]
        if not rows:
            return
        known = {
            (k, p)
            for k, p in connection.execute(
                select(exclusions_table.c.arrest_key, exclusions_table.c.policy).where(
                    exclusions_table.c.arrest_key.in_([r["arrest_key"] for r in rows])
                )
            )
        }
        rows = [r for r in rows if (r["arrest_key"], r["policy"]) not in known]
        if rows:
            connection.execute(insert(exclusions_table), rows)

    def forget_exclusions(
        self, no_longer_excluded: dict[str, list[str]], connection: Connection
    ) -> None:
        """Drop recorded exclusions that later events undid, per policy.

        A 160.58 sealing reopens on a new arrest (``NEW_ARREST``), an ACD restored to the
        calendar is no longer pending sealing: the arrest may be used again, and a model
        certified afterwards that uses it must not be refused or decertified for an
        exclusion that no longer holds. If it is excluded again, the next batch records it
        anew, with its own time. The audit entry of the batch lists what was dropped.
        """
        t = exclusions_table
        for policy, keys in no_longer_excluded.items():
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                connection.execute(
                    delete(t).where((t.c.policy == policy) & t.c.arrest_key.in_(chunk))
                )

    def exclusions(
        self,
        policy: str | None = None,
        since: str | None = None,
        connection: Connection | None = None,
    ) -> pd.DataFrame:
        """Arrests newly excluded by recorded events: ``arrest_key, policy, recorded_at``.

        Pass ``connection`` to read inside a transaction that already holds the database
        (certification reads it under the audit log's write lock).
        """
        t = exclusions_table
        query = select(t.c.arrest_key, t.c.policy, t.c.batch_id, t.c.recorded_at)
        if policy is not None:
            query = query.where(t.c.policy == policy)
        if since is not None:
            query = query.where(t.c.recorded_at >= since)
        query = query.order_by(t.c.recorded_at, t.c.arrest_key)
        if connection is not None:
            rows = connection.execute(query).all()
        else:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        return pd.DataFrame(
            rows, columns=["arrest_key", "policy", "batch_id", "recorded_at"], dtype="str"
        )

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
