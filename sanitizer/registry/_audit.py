"""The tamper-evident audit log: hash-chained entries plus signed, exported checkpoints.

Why: every access attempt, allowed or denied, every registry change and every training
use of sealed-regime records is recorded (SEALING_RULES.md, "Audit log"), and a monitor
must be able to tell whether anyone edited, removed or slipped in an entry afterwards.

How the log protects itself
---------------------------
- **Hash chain.** Table ``audit_log`` holds one row per entry, ``seq`` 1, 2, 3, ... Each
  row's ``entry_hash`` is ``SHA-256(canonical_json(payload))`` (see :func:`entry_hash`)
  where the payload is the row's fields *including* ``seq`` and ``prev_hash``, the
  previous row's ``entry_hash`` (64 zeros for entry 1). Editing, deleting, swapping or
  inserting a row breaks the chain at that row.
- **Signed checkpoints.** Every ``checkpoint_every`` (1,000) entries, and whenever a
  caller asks (each command does, at its end), the log signs ``(entry count, chain head,
  time)`` with the home's Ed25519 key (:mod:`._keys`), stores it in
  ``audit_checkpoints`` **and** appends it to ``HOME/audit-checkpoints.jsonl``. Someone who
  rewrites the chain from some row on (recomputing every hash) or deletes the tail of the
  table cannot produce a matching signed checkpoint, and the exported file still holds the
  old ones. Ship that file off the host to make it a real witness.
- **Serialised appends.** Each append reads the chain head inside a transaction that
  holds the database's write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
  ``pg_advisory_xact_lock`` at READ COMMITTED), so two processes appending at once never
  fork the chain. ``seq`` is the primary key, a second guard. A failing append or batch
  writes nothing: entries, checkpoints and the JSONL lines commit together, and the file
  is truncated back if the database commit fails.

Canonical forms (so a reviewer can recompute them)
--------------------------------------------------
Entry payload, hashed as :func:`._keys.canonical_json` (sorted keys, no whitespace, UTF-8)::

    {"action": ..., "actor": ..., "detail": {...}, "grant_id": ... | null,
     "outcome": ..., "prev_hash": "<hex>", "purpose": ... | null,
     "record_ids": [...], "seq": n, "ts": "YYYY-MM-DDTHH:MM:SS.ffffffZ"}

The ``record_ids`` and ``detail`` columns store the canonical JSON text of those values.
Checkpoint, signed as canonical JSON of everything but ``signature``, and exported as one
JSON object a line::

    {"format": "sanitizer.audit.checkpoint/1", "seq": k, "entry_count": n,
     "chain_head": "<entry_hash of entry n, or 64 zeros>", "ts": "...",
     "key_id": "<hex SHA-256 of the raw public key>", "signature": "<hex Ed25519>"}

Entries carry what SEALING_RULES.md asks for: ``actor`` (user), ``action``, ``outcome``,
``record_ids`` returned, ``grant_id``, ``purpose``; the rest (role, workstation or app,
query or endpoint, each record's status and statute, export or print flags, counts and
Merkle roots of training uses) goes in ``detail``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import OperationalError

from .._errors import BadInput
from ._ddl import create_tables
from ._keys import (
    KEYS_DIR,
    PRIVATE_KEY_FILE,
    SigningKey,
    canonical_json,
    key_id,
    load_signing_key,
    trusted_public_keys,
    verify,
)

__all__ = [
    "ACTIONS",
    "AUDIT_METADATA",
    "CHECKPOINTS_FILE",
    "CHECKPOINT_EVERY",
    "CHECKPOINT_FORMAT",
    "GENESIS_HASH",
    "OUTCOMES",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "Checkpoint",
    "audit_checkpoints_table",
    "audit_log_table",
    "create_schema",
    "entry_hash",
]

GENESIS_HASH = "0" * 64
CHECKPOINT_FORMAT = "sanitizer.audit.checkpoint/1"
CHECKPOINTS_FILE = "audit-checkpoints.jsonl"
CHECKPOINT_EVERY = 1000

#: Actions the package records; any UPPER_SNAKE name is accepted, these are the usual ones.
ACTIONS = (
    "ACCESS",
    "REGISTRY_CHANGE",
    "EVENTS_APPLIED",
    "GRANT_CHANGE",
    "TRAINING_USE",
    "MODEL_CERTIFIED",
    "MODEL_REFUSED",
    "MODEL_DECERTIFIED",
    "HOME_RELOCATED",
)
#: Outcomes the package records; any UPPER_SNAKE name is accepted.
OUTCOMES = ("GRANTED", "DENIED", "DONE", "REFUSED")

MSG_ENTRY_TYPE = "audit entry #{i} must be an AuditEntry or a mapping, got {kind}"
MSG_ENTRY_FIELDS = "audit entry #{i} has unknown field(s) {names}; expected some of {allowed}"
MSG_FIELD = "audit entry #{i}: {name} must be {expected}, got {got!r}"
MSG_DETAIL = "audit entry #{i}: detail is not canonical JSON ({error})"
MSG_LOCKED = "the audit log at {url} stayed locked for {seconds:.0f} s; is another command stuck?"

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_FIELDS = ("actor", "action", "outcome", "record_ids", "grant_id", "purpose", "detail")
_MAX_PROBLEMS = 50
_LOCK_WAIT_S = 60.0
_PG_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"sanitizer.audit_log").digest()[:8], "big", signed=True
)

AUDIT_METADATA = MetaData()

audit_log_table = Table(
    "audit_log",
    AUDIT_METADATA,
    # INTEGER PRIMARY KEY on SQLite (the rowid itself), BIGINT elsewhere.
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("ts", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("record_ids", Text, nullable=False),
    Column("grant_id", Text, nullable=True),
    Column("purpose", Text, nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

audit_checkpoints_table = Table(
    "audit_checkpoints",
    AUDIT_METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("entry_count", BigInteger, nullable=False),
    Column("chain_head", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)


def create_schema(engine: Engine) -> None:
    """Create ``audit_log`` and ``audit_checkpoints`` if they do not exist.

    Idempotent, and touches no other table: the registry's own tables live in the same
    database under their own ``MetaData``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The registry database (SQLite or PostgreSQL).
    """
    create_tables(AUDIT_METADATA, engine)


@dataclass(frozen=True)
class AuditEntry:
    """One thing to record, before the log gives it a ``seq``, time and hashes.

    Parameters
    ----------
    actor : str
        Who acted: a user id, a person id for subject requests, or a service name.
    action : str
        UPPER_SNAKE name, e.g. ``ACCESS``, ``REGISTRY_CHANGE``, ``TRAINING_USE`` (see
        :data:`ACTIONS`).
    outcome : str
        UPPER_SNAKE name, e.g. ``GRANTED``, ``DENIED`` (see :data:`OUTCOMES`).
    record_ids : sequence of str, optional
        The records returned, touched or used, in the order given (sets are sorted).
    grant_id : str, optional
        The access grant relied on, if any.
    purpose : str, optional
        The stated purpose.
    detail : mapping, optional
        Everything else, as JSON (role, workstation, query, statuses, flags, counts).
    """

    actor: str
    action: str
    outcome: str
    record_ids: Sequence[str] = ()
    grant_id: str | None = None
    purpose: str | None = None
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "the log had ``entry_count`` entries ending in ``chain_head``".

    Attributes
    ----------
    seq : int
        The checkpoint's own number, 1, 2, 3, ...
    entry_count : int
        How many entries it covers (the ``seq`` of the last one).
    chain_head : str
        ``entry_hash`` of entry ``entry_count`` (64 zeros when it covers none).
    ts : str
        When it was made, UTC ISO 8601.
    key_id : str
        Hex SHA-256 of the signer's raw public key.
    signature : str
        Hex Ed25519 signature over :meth:`signed_bytes`.
    """

    seq: int
    entry_count: int
    chain_head: str
    ts: str
    key_id: str
    signature: str

    def signed_bytes(self) -> bytes:
        """Return the canonical JSON bytes the signature covers (all but ``signature``)."""
        body = self.to_dict()
        del body["signature"]
        return canonical_json(body)

    def to_dict(self) -> dict[str, Any]:
        """Return the exported form, one line of ``audit-checkpoints.jsonl``."""
        return {
            "format": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "entry_count": self.entry_count,
            "chain_head": self.chain_head,
            "ts": self.ts,
            "key_id": self.key_id,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class AuditVerification:
    """The result of :meth:`AuditLog.verify`: computed once, read-only.

    Attributes
    ----------
    intact : bool
        True when no problem was found.
    entries : int
        How many rows ``audit_log`` holds.
    first_bad : int or None
        The first sequence number that can no longer be trusted: the edited, missing or
        inserted row, or, when only a signed checkpoint disagrees with a self-consistent
        chain, the first entry after the last checkpoint that still matches. None when no
        entry is implicated (e.g. only a checkpoint's signature is bad).
    last_checkpoint : Checkpoint or None
        The newest checkpoint whose signature verified.
    problems : tuple of str
        What is wrong, in the order found, capped at 50 (the last line says how many more).
    """

    intact: bool
    entries: int
    first_bad: int | None
    last_checkpoint: Checkpoint | None
    problems: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable summary (for ``audit verify --json``)."""
        return {
            "intact": self.intact,
            "entries": self.entries,
            "first_bad": self.first_bad,
            "last_checkpoint": self.last_checkpoint.to_dict() if self.last_checkpoint else None,
            "problems": list(self.problems),
        }


def _payload(row: Mapping[str, Any], record_ids: list[str], detail: Any) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "ts": row["ts"],
        "actor": row["actor"],
        "action": row["action"],
        "outcome": row["outcome"],
        "record_ids": record_ids,
        "grant_id": row["grant_id"],
        "purpose": row["purpose"],
        "detail": detail,
        "prev_hash": row["prev_hash"],
    }


def entry_hash(entry: Mapping[str, Any]) -> str:
    """Return the ``entry_hash`` of an entry (see the module docstring).

    Parameters
    ----------
    entry : mapping
        ``seq``, ``ts``, ``actor``, ``action``, ``outcome``, ``record_ids`` (a list),
        ``grant_id``, ``purpose``, ``detail`` (a JSON object) and ``prev_hash``.

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    payload = _payload(entry, list(entry["record_ids"]), entry["detail"])
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _prepare(i: int, entry: AuditEntry | Mapping[str, Any]) -> dict[str, Any]:
    """Check one entry and return its fields, ready to hash; raise BadInput if malformed."""
    if isinstance(entry, AuditEntry):
        fields = {name: getattr(entry, name) for name in _FIELDS}
    elif isinstance(entry, Mapping):
        unknown = sorted(set(entry) - set(_FIELDS), key=str)
        if unknown:
            raise BadInput(
                MSG_ENTRY_FIELDS.format(i=i, names=unknown[:5], allowed=", ".join(_FIELDS))
            )
        fields = {name: entry.get(name) for name in _FIELDS}
    else:
        raise BadInput(MSG_ENTRY_TYPE.format(i=i, kind=type(entry).__name__))
    actor = fields["actor"]
    if not isinstance(actor, str) or not actor:
        raise BadInput(MSG_FIELD.format(i=i, name="actor", expected="a non-empty str", got=actor))
    for name in ("action", "outcome"):
        value = fields[name]
        if not isinstance(value, str) or not _NAME.match(value):
            raise BadInput(
                MSG_FIELD.format(i=i, name=name, expected="an UPPER_SNAKE name", got=value)
            )
    for name in ("grant_id", "purpose"):
        value = fields[name]
        if value is not None and not isinstance(value, str):
            raise BadInput(MSG_FIELD.format(i=i, name=name, expected="a str or None", got=value))
    ids = fields["record_ids"]
    if ids is None:
        ids = []
    elif isinstance(ids, set | frozenset):
        ids = sorted(ids, key=str)
    elif isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise BadInput(MSG_FIELD.format(i=i, name="record_ids", expected="a list of str", got=ids))
    ids = list(ids)
    if not all(isinstance(r, str) for r in ids):
        raise BadInput(MSG_FIELD.format(i=i, name="record_ids", expected="a list of str", got=ids))
    detail = {} if fields["detail"] is None else fields["detail"]
    if not isinstance(detail, Mapping):
        raise BadInput(MSG_FIELD.format(i=i, name="detail", expected="a mapping", got=detail))
    try:
        detail_text = canonical_json(dict(detail)).decode("utf-8")
        ids_text = canonical_json(ids).decode("utf-8")
    except BadInput as exc:
        raise BadInput(MSG_DETAIL.format(i=i, error=exc)) from exc
    # Hash what will be read back: the parsed canonical text, not the caller's objects
    # (tuples become lists, float keys are refused above, and so on).
    fields.update(
        record_ids=ids,
        detail=json.loads(detail_text),
        record_ids_text=ids_text,
        detail_text=detail_text,
    )
    return fields


class AuditLog:
    """The audit log of one registry database, with its home for keys and exports.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The registry database; call :func:`create_schema` once before use.
    home : path
        The sanitizer home: signing key in ``HOME/keys/``, exported checkpoints in
        ``HOME/audit-checkpoints.jsonl``.
    checkpoint_every : int, default 1000
        Write a checkpoint whenever the entry count reaches a multiple of this.
    clock : callable, optional
        Returns the current time as an aware ``datetime``; tests pass a fixed clock.

    Examples
    --------
    >>> log = AuditLog(engine, home)  # doctest: +SKIP
    >>> log.append({"actor": "u1", "action": "ACCESS", "outcome": "DENIED"})  # doctest: +SKIP
    1
    >>> log.checkpoint()  # doctest: +SKIP
    >>> log.verify().intact  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        engine: Engine,
        home: str | os.PathLike[str],
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.home = Path(home)
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self._key: SigningKey | None = None

    # ------------------------------------------------------------------ locking
    @property
    def checkpoints_path(self) -> Path:
        """``HOME/audit-checkpoints.jsonl``, the exported checkpoints."""
        return self.home / CHECKPOINTS_FILE

    def _now(self) -> str:
        return _iso((self.clock or _utc_now)())

    def require_signing_key(self) -> None:
        """Load the home's signing key now (BadInput if it cannot be used).

        A command whose closing checkpoint could not be signed then fails, exit 2, before
        it appends anything.
        """
        self._signing_key()

    def _signing_key(self) -> SigningKey:
        if self._key is None:
            self._key = load_signing_key(self.home)
        return self._key

    def _lock(self, conn: Connection) -> None:
        """Start ``conn``'s transaction holding the log's write lock.

        SQLite: ``BEGIN IMMEDIATE`` takes the database's RESERVED lock before anything is
        read, so the head read next is the head written on. PostgreSQL: a transaction-scoped
        advisory lock, at READ COMMITTED so that the head read after it sees every commit
        made before it was granted. Other back ends: ``SELECT ... FOR UPDATE`` on the head
        row, with the ``seq`` primary key as the backstop.
        """
        name = conn.dialect.name
        if name == "sqlite":
            raw = conn.connection.driver_connection
            if getattr(raw, "in_transaction", False):
                # The driver already opened a deferred transaction (autocommit=False mode):
                # a write is then the first thing it does, which takes the same lock.
                conn.execute(text("DELETE FROM audit_checkpoints WHERE 1 = 0"))
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        else:
            t = audit_log_table
            conn.execute(select(t.c.seq).order_by(t.c.seq.desc()).limit(1).with_for_update())

    def _connect_locked(self) -> Connection:
        """Return a connection inside a locked transaction, waiting up to a minute.

        SQLite gives up on a busy lock after the driver's timeout (5 s by default) with
        "database is locked"; that is retried until ``_LOCK_WAIT_S`` has passed.
        """
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            conn = self.engine.connect()
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="READ COMMITTED")
            try:
                self._lock(conn)
                return conn
            except OperationalError as exc:
                conn.rollback()
                conn.close()
                if "locked" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise BadInput(
                        MSG_LOCKED.format(url=self.engine.url, seconds=_LOCK_WAIT_S)
                    ) from exc
                time.sleep(0.05)
            except BaseException:
                conn.rollback()
                conn.close()
                raise

    def _run_locked(self, work: Callable[[Connection], tuple[Any, list[Checkpoint]]]) -> Any:
        """Run ``work`` in a locked transaction; export its checkpoints, then commit.

        The JSONL lines are written (and fsynced) before the commit, while the lock keeps
        other writers out, and cut off again if anything fails, so the database and the
        file move together.
        """
        conn = self._connect_locked()
        try:
            result, checkpoints = work(conn)
            undo = self._export(checkpoints) if checkpoints else None
            try:
                conn.commit()
            except BaseException:
                if undo is not None:
                    undo()
                raise
            return result
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    # ------------------------------------------------------------------ writing
    @staticmethod
    def _head(conn: Connection) -> tuple[int, str]:
        t = audit_log_table
        row = conn.execute(
            select(t.c.seq, t.c.entry_hash).order_by(t.c.seq.desc()).limit(1)
        ).first()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), row[1])

    def _sign_checkpoints(
        self, conn: Connection, points: list[tuple[int, str]]
    ) -> list[Checkpoint]:
        """Sign and insert checkpoints for ``(entry_count, chain_head)`` pairs."""
        if not points:
            return []
        key = self._signing_key()
        t = audit_checkpoints_table
        last = conn.execute(select(func.max(t.c.seq))).scalar() or 0
        made = []
        for offset, (count, head) in enumerate(points, start=1):
            unsigned = Checkpoint(last + offset, count, head, self._now(), key.key_id, "")
            made.append(
                Checkpoint(
                    unsigned.seq,
                    count,
                    head,
                    unsigned.ts,
                    key.key_id,
                    key.sign(unsigned.signed_bytes()),
                )
            )
        conn.execute(
            insert(t),
            [
                {
                    "seq": c.seq,
                    "entry_count": c.entry_count,
                    "chain_head": c.chain_head,
                    "ts": c.ts,
                    "key_id": c.key_id,
                    "signature": c.signature,
                }
                for c in made
            ],
        )
        return made

    def _export(self, checkpoints: list[Checkpoint]) -> Callable[[], None]:
        """Append checkpoints to the JSONL file; return a function that undoes it."""
        path = self.checkpoints_path
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = b"".join(canonical_json(c.to_dict()) + b"\n" for c in checkpoints)
        with open(path, "ab") as handle:
            size = handle.seek(0, os.SEEK_END)
            try:
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                handle.truncate(size)
                raise

        def undo() -> None:
            with open(path, "r+b") as handle:
                handle.truncate(size)
                os.fsync(handle.fileno())

        return undo

    def append(
        self,
        entry: AuditEntry | Mapping[str, Any],
        *,
        before_commit: Callable[[Connection], None] | None = None,
    ) -> int:
        """Record one entry and return its ``seq``.

        Parameters
        ----------
        entry : AuditEntry or mapping
            The entry; a mapping takes the :class:`AuditEntry` field names.
        before_commit : callable, optional
            Called with the locked connection after the entry is written and before it
            commits (read the database through it: the lock is held); if it raises, the
            entry is not recorded. Certification moves a
            model's alias here, so the decision and its record are one serialised step.

        Returns
        -------
        int
            The entry's sequence number.

        Raises
        ------
        BadInput
            The entry is malformed (nothing is written).
        """
        return self.append_many([entry], before_commit=before_commit)[0]

    def append_many(
        self,
        entries: Iterable[AuditEntry | Mapping[str, Any]],
        *,
        before_commit: Callable[[Connection], None] | None = None,
    ) -> list[int]:
        """Record several entries in one transaction and return their ``seq`` numbers.

        All or nothing: if any entry is malformed or the write fails, the log, the
        checkpoints and the exported file stay as they were. A checkpoint is written for
        every multiple of ``checkpoint_every`` the batch reaches.

        Parameters
        ----------
        entries : iterable of AuditEntry or mapping
            The entries, recorded in this order.

        Returns
        -------
        list of int
            Their sequence numbers, consecutive.
        """
        prepared = [_prepare(i, e) for i, e in enumerate(entries)]
        if not prepared:
            return []
        every = self.checkpoint_every

        def work(conn: Connection) -> tuple[list[int], list[Checkpoint]]:
            seq, prev = self._head(conn)
            rows, points = [], []
            for fields in prepared:
                seq += 1
                row = {
                    "seq": seq,
                    "ts": self._now(),
                    "actor": fields["actor"],
                    "action": fields["action"],
                    "outcome": fields["outcome"],
                    "grant_id": fields["grant_id"],
                    "purpose": fields["purpose"],
                    "prev_hash": prev,
                }
                prev = entry_hash(
                    {**row, "record_ids": fields["record_ids"], "detail": fields["detail"]}
                )
                row.update(
                    record_ids=fields["record_ids_text"],
                    detail=fields["detail_text"],
                    entry_hash=prev,
                )
                rows.append(row)
                if every and seq % every == 0:
                    points.append((seq, prev))
            conn.execute(insert(audit_log_table), rows)
            checkpoints = self._sign_checkpoints(conn, points)
            if before_commit is not None:
                before_commit(conn)
            return [r["seq"] for r in rows], checkpoints

        return self._run_locked(work)

    # ------------------------------------------------------------------ reading
    def entries(self, action: str | None = None) -> list[dict[str, Any]]:
        """The entries (optionally of one action), oldest first, ``detail`` parsed.

        Reading goes through the log's engine, so it works the same on SQLite and
        PostgreSQL; it checks nothing (``verify`` does).
        """
        t = audit_log_table
        query = select(t).order_by(t.c.seq)
        if action is not None:
            query = query.where(t.c.action == action)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out = []
        for row in rows:
            entry = dict(row)
            entry["detail"] = json.loads(entry["detail"]) if entry["detail"] else None
            entry["record_ids"] = json.loads(entry["record_ids"]) if entry["record_ids"] else []
            out.append(entry)
        return out

    def entry_problems(self, action: str) -> list[str]:
        """What is wrong with the entries of one action, each checked on its own.

        Each must hash to its ``entry_hash`` and name its predecessor's as its
        ``prev_hash``: the part of :meth:`verify` a model load can afford on every call
        for the few entries it reads (``REGISTRY_EVENTS``), where walking a log of every
        inference request is not. A chain rewritten and re-signed from the edit on
        passes this; only :meth:`verify`, against the exported checkpoints, sees that.
        """
        t = audit_log_table
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.action == action)).mappings().all()
            before = sorted({int(r["seq"]) - 1 for r in rows} - {0})
            previous = {}
            for start in range(0, len(before), 900):
                chunk = before[start : start + 900]
                query = select(t.c.seq, t.c.entry_hash).where(t.c.seq.in_(chunk))
                previous.update({int(seq): digest for seq, digest in conn.execute(query)})
        problems = []
        for row in sorted(rows, key=lambda r: r["seq"]):
            seq = int(row["seq"])
            wrong = _row_problem(row)
            if wrong is None:
                expected = GENESIS_HASH if seq == 1 else previous.get(seq - 1)
                if expected is None:
                    wrong = f"the entry before it ({seq - 1}) is missing"
                elif row["prev_hash"] != expected:
                    wrong = "its prev_hash does not name the entry before it"
            if wrong is not None:
                problems.append(f"audit entry {seq} ({action}): {wrong}")
        return problems

    def details(self, action: str) -> list[Any]:
        """The parsed ``detail`` of every entry of ``action``, oldest first."""
        return [e["detail"] or {} for e in self.entries(action)]

    def checkpoint(self) -> Checkpoint:
        """Sign the current chain head, store it and append it to the exported file.

        Callers do this at the end of each command. When the newest checkpoint already
        covers every entry, it is returned and nothing new is written, so read-only
        commands do not grow the file.

        Returns
        -------
        Checkpoint
            The checkpoint covering the whole log.
        """

        def work(conn: Connection) -> tuple[Checkpoint, list[Checkpoint]]:
            count, head = self._head(conn)
            latest = self._latest(conn)
            if latest is not None and latest.entry_count == count and latest.chain_head == head:
                return latest, []
            made = self._sign_checkpoints(conn, [(count, head)])
            return made[0], made

        return self._run_locked(work)

    @staticmethod
    def _latest(conn: Connection) -> Checkpoint | None:
        t = audit_checkpoints_table
        row = conn.execute(select(t).order_by(t.c.seq.desc()).limit(1)).mappings().first()
        return None if row is None else Checkpoint(**dict(row))

    def latest_checkpoint(self) -> Checkpoint | None:
        """Return the newest checkpoint in the database (the compliance report prints it)."""
        with self.engine.connect() as conn:
            return self._latest(conn)

    # ------------------------------------------------------------------ verifying
    def _read_checkpoints(self) -> tuple[list[Checkpoint], list[Any], bool]:
        """Read the database's checkpoints and the exported file's lines together.

        Taken under the write lock when possible, because a writer puts its JSONL line
        down just before committing its row; a read-only database is read without it.
        """
        try:
            conn = self._connect_locked()
        except OperationalError:
            conn = self.engine.connect()
        try:
            t = audit_checkpoints_table
            rows = conn.execute(select(t).order_by(t.c.seq)).mappings().all()
            db = [Checkpoint(**dict(r)) for r in rows]
            exists = self.checkpoints_path.exists()
            lines = self.checkpoints_path.read_bytes().splitlines() if exists else []
        finally:
            conn.rollback()
            conn.close()
        return db, lines, exists

    def verify(self, *, trusted_keys: Iterable[str] = ()) -> AuditVerification:
        """Recompute the chain and check it against every checkpoint, in the DB and file.

        Read-only: it changes neither the database nor the home (no key is created). A
        log with entries must have at least one valid checkpoint covering some of them
        (every command checkpoints at its end); entries after the last one are allowed.

        Parameters
        ----------
        trusted_keys : iterable of str, optional
            Extra public key PEMs to accept signatures from, besides the home's own key
            and ``HOME/keys/trusted/*.pem``.

        Returns
        -------
        AuditVerification
            ``intact``, ``entries``, ``first_bad``, ``last_checkpoint`` and ``problems``.
        """
        trusted = trusted_public_keys(self.home)
        for pem in trusted_keys:
            trusted[key_id(pem)] = pem
        own_ids = set()
        if (self.home / KEYS_DIR / PRIVATE_KEY_FILE).exists():
            own_ids.add(load_signing_key(self.home, create=False).key_id)
        checker = _Checker()

        db_points, lines, file_exists = self._read_checkpoints()
        file_points = _parse_lines(lines, self.checkpoints_path, checker)
        db_by_seq = {c.seq: c for c in db_points}
        file_by_seq = {c.seq: c for c in file_points}
        _compare_copies(db_points, db_by_seq, file_by_seq, own_ids, file_exists, checker)

        valid: dict[tuple, Checkpoint] = {}
        for c in [*db_points, *file_points]:
            ident = (c.entry_count, c.chain_head, c.seq, c.ts, c.key_id, c.signature)
            if ident in valid:
                continue
            pem = trusted.get(c.key_id)
            if pem is None:
                checker.problem(f"checkpoint #{c.seq} is signed by unknown key {c.key_id[:16]}")
            elif not verify(pem, c.signed_bytes(), c.signature):
                checker.problem(
                    f"checkpoint #{c.seq} (entries 1..{c.entry_count}) has a bad signature"
                )
            else:
                valid[ident] = c
        wanted = {c.entry_count for c in valid.values()}

        entries, last_seq, heads = self._walk(wanted, checker)
        heads[0] = GENESIS_HASH
        good_counts = sorted(
            c.entry_count
            for c in valid.values()
            if c.entry_count <= last_seq and heads.get(c.entry_count) == c.chain_head
        )
        for c in sorted(valid.values(), key=lambda c: (c.entry_count, c.seq)):
            if c.entry_count > last_seq:
                checker.problem(
                    f"checkpoint #{c.seq} covers {c.entry_count} entries but the log ends at "
                    f"{last_seq}: entries {last_seq + 1}..{c.entry_count} were removed",
                    last_seq + 1,
                )
            elif heads.get(c.entry_count) != c.chain_head:
                # A self-consistent chain that disagrees with a signed checkpoint was
                # rewritten somewhere after the last checkpoint that still matches; a row
                # already found bad in that range explains the mismatch by itself.
                start = max([n for n in good_counts if n < c.entry_count], default=0) + 1
                explained = any(start <= s <= c.entry_count for s in checker.bad_seqs)
                checker.problem(
                    f"checkpoint #{c.seq} does not match the chain at entry {c.entry_count}: "
                    f"entries in {start}..{c.entry_count} were rewritten",
                    None if explained else start,
                )
        if entries > 0 and not any(c.entry_count > 0 for c in valid.values()):
            # Every command checkpoints at its end, so a log with entries and no signed
            # checkpoint covering any of them had its checkpoints removed (database rows and
            # exported file alike): the chain could then be rewritten with the public hash
            # function and nothing would disagree. Entries after the last checkpoint are
            # allowed; entries with no checkpoint at all are not.
            checker.problem(
                f"the log holds {entries} entries but no valid signed checkpoint covers any "
                f"of them: every command checkpoints at its end, so the checkpoints were "
                f"removed and the chain cannot be trusted",
                1,
            )
        newest = max(valid.values(), key=lambda c: (c.seq, c.entry_count), default=None)
        return AuditVerification(
            intact=not checker.problems,
            entries=entries,
            first_bad=checker.first_bad,
            last_checkpoint=newest,
            problems=checker.result(),
        )

    def _walk(self, wanted: set[int], checker: _Checker) -> tuple[int, int, dict[int, str]]:
        """Stream the entries in ``seq`` order and check each link of the chain.

        Each row is checked on its own (does it hash to its ``entry_hash``?) and against
        its predecessor (does its ``prev_hash`` match?). Which row to blame for a broken
        link: when the row after the break is itself consistent, the row before it was
        rewritten with a fresh hash (or removed), so the row before is named; a row that
        hashes correctly under the previous ``seq`` was pushed down by an insertion, so
        the row before it is the inserted one.

        Returns the number of rows, the last ``seq`` reached and the stored ``entry_hash``
        at each entry count in ``wanted`` (the checkpoints' positions).
        """
        t = audit_log_table
        heads: dict[int, str] = {}
        expected_seq, expected_prev, rows, last = 1, GENESIS_HASH, 0, 0
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=5000).execute(select(t).order_by(t.c.seq))
            for row in result.mappings():
                rows += 1
                seq = row["seq"]
                if seq < expected_seq:
                    checker.problem(
                        f"entry {seq} is out of sequence (expected {expected_seq})", seq
                    )
                    continue
                if seq > expected_seq:
                    gap = (
                        f"{expected_seq}"
                        if seq == expected_seq + 1
                        else f"{expected_seq}..{seq - 1}"
                    )
                    checker.problem(f"entries {gap} are missing", expected_seq)
                reason = _row_problem(row)
                if reason is not None:
                    if seq > 1 and _row_problem({**row, "seq": seq - 1}) is None:
                        checker.problem(
                            f"entry {seq} was entry {seq - 1}: a row was inserted before it",
                            seq - 1,
                        )
                    else:
                        checker.problem(f"entry {seq}: {reason}", seq)
                if row["prev_hash"] != expected_prev:
                    blamed = seq if reason is not None or seq == 1 else seq - 1
                    checker.problem(
                        f"entry {seq}: prev_hash does not link to entry {seq - 1}", blamed
                    )
                if seq in wanted:
                    heads[seq] = row["entry_hash"]
                expected_seq, expected_prev, last = seq + 1, row["entry_hash"], seq
        return rows, last, heads


def _row_problem(row: Mapping[str, Any]) -> str | None:
    """Return why a stored row does not hash to its ``entry_hash``, or None."""
    try:
        ids = json.loads(row["record_ids"])
        detail = json.loads(row["detail"])
    except (TypeError, ValueError):
        return "record_ids or detail is not JSON"
    if (
        canonical_json(ids).decode("utf-8") != row["record_ids"]
        or canonical_json(detail).decode("utf-8") != row["detail"]
    ):
        return "record_ids or detail is not in canonical form (edited)"
    try:
        payload = _payload(row, ids, detail)
        digest = hashlib.sha256(canonical_json(payload)).hexdigest()
    except BadInput:
        return "fields cannot be hashed"
    if digest != row["entry_hash"]:
        return "entry_hash does not match its content (edited)"
    return None


def _parse_lines(lines: list[bytes], path: Path, checker: _Checker) -> list[Checkpoint]:
    points = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if obj.pop("format") != CHECKPOINT_FORMAT:
                raise ValueError("unknown format")
            points.append(Checkpoint(**obj))
        except (ValueError, TypeError, KeyError, AttributeError):
            checker.problem(f"{path.name} line {number} is not a checkpoint")
    return points


def _compare_copies(
    db_points: list[Checkpoint],
    db_by_seq: dict[int, Checkpoint],
    file_by_seq: dict[int, Checkpoint],
    own_ids: set[str],
    file_exists: bool,
    checker: _Checker,
) -> None:
    """Report checkpoints the database lost or changed, and exports the file lost.

    A file checkpoint missing from (or different in) the database means rows were
    deleted or edited there. A database checkpoint signed by this home's key but absent
    from this home's file means the file was cut; checkpoints signed by other hosts'
    keys (a shared PostgreSQL log) are exported to their own homes, so they are not
    expected here.
    """
    for seq, c in sorted(file_by_seq.items()):
        other = db_by_seq.get(seq)
        if other is None:
            checker.problem(
                f"checkpoint #{seq} (entries 1..{c.entry_count}) is in {CHECKPOINTS_FILE} "
                "but missing from the database"
            )
        elif other != c:
            checker.problem(
                f"checkpoint #{seq} differs between the database and {CHECKPOINTS_FILE}"
            )
    expected = 1
    for c in db_points:
        if c.seq != expected and c.seq > expected and expected not in file_by_seq:
            checker.problem(f"checkpoints #{expected}..{c.seq - 1} are missing from the database")
        expected = c.seq + 1
        if c.key_id in own_ids and c.seq not in file_by_seq:
            where = CHECKPOINTS_FILE if file_exists else f"{CHECKPOINTS_FILE} (file missing)"
            checker.problem(f"checkpoint #{c.seq} signed by this home's key is not in {where}")


class _Checker:
    """Collects problems (capped) and the smallest implicated ``seq``."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.bad_seqs: list[int] = []

    @property
    def first_bad(self) -> int | None:
        return min(self.bad_seqs, default=None)

    def problem(self, message: str, seq: int | None = None) -> None:
        self.problems.append(message)
        if seq is not None:
            self.bad_seqs.append(seq)

    def result(self) -> tuple[str, ...]:
        if len(self.problems) <= _MAX_PROBLEMS:
            return tuple(self.problems)
        more = len(self.problems) - _MAX_PROBLEMS
        return (*self.problems[:_MAX_PROBLEMS], f"... and {more} more problems")
