"""The audit log finds every kind of tampering and never forks under concurrent appends.

Each test runs on SQLite and on PostgreSQL (the latter skips unless
``SANITIZER_TEST_PG_URL`` is set; see conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanitizer._errors import BadInput
from sanitizer.registry import _audit
from sanitizer.registry._audit import (
    CHECKPOINTS_FILE,
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    Checkpoint,
    create_schema,
)
from sanitizer.registry._keys import SigningKey, canonical_json, load_signing_key

N = 12  # entries in the standard log


class Db:
    """An engine plus what a child process needs to rebuild it."""

    def __init__(self, engine: sa.Engine, schema: str | None = None):
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self.schema = schema


def _engine_from(url: str, schema: str | None) -> sa.Engine:
    if schema is None:
        return sa.create_engine(url)
    return sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request):
    if request.param == "sqlite":
        return Db(request.getfixturevalue("sqlite_engine"))
    engine = request.getfixturevalue("pg_engine")
    return Db(engine, request.getfixturevalue("pg_schema"))


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def _clock():
    """A clock that ticks one second a call, so timestamps are distinct and reproducible."""
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    ticks = iter(range(10**9))
    return lambda: start + timedelta(seconds=next(ticks))


def _entry(i: int) -> dict:
    return {
        "actor": f"officer{i % 3}",
        "action": ["ACCESS", "REGISTRY_CHANGE", "TRAINING_USE"][i % 3],
        "outcome": ["GRANTED", "DENIED"][i % 2],
        "record_ids": [f"A{i:05d}", f"A{i + 1:05d}"][: 1 + i % 2],
        "grant_id": f"G{i}" if i % 2 else None,
        "purpose": "INVESTIGATION_OF_SPECIFIC_CRIME" if i % 2 else None,
        "detail": {"role": "detective", "n": i, "flags": {"export": False}, "note": "é"},
    }


@pytest.fixture
def log(db, home):
    create_schema(db.engine)
    audit = AuditLog(db.engine, home, clock=_clock())
    audit.append_many([_entry(i) for i in range(N)])
    audit.checkpoint()
    return audit


def _sql(db: Db, statement: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _rows(db: Db) -> list[dict]:
    with db.engine.connect() as conn:
        result = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY seq"))
        return [dict(r) for r in result.mappings()]


def _count(db: Db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar()


# --------------------------------------------------------------------------- intact logs


def test_intact_log_verifies(log):
    result = log.verify()
    assert result.intact, result.problems
    assert result.entries == N
    assert result.first_bad is None
    assert result.problems == ()
    assert result.last_checkpoint.entry_count == N
    assert result.to_dict()["last_checkpoint"]["entry_count"] == N


def test_empty_log_verifies(db, home):
    create_schema(db.engine)
    audit = AuditLog(db.engine, home)
    assert audit.verify().intact
    checkpoint = audit.checkpoint()
    assert (checkpoint.entry_count, checkpoint.chain_head) == (0, GENESIS_HASH)
    assert audit.verify().intact


def test_append_returns_consecutive_seqs_and_links_the_chain(log, db):
    assert log.append(AuditEntry(actor="u", action="ACCESS", outcome="DENIED")) == N + 1
    assert log.append_many([_entry(0), _entry(1)]) == [N + 2, N + 3]
    rows = _rows(db)
    assert [r["seq"] for r in rows] == list(range(1, N + 4))
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert all(b["prev_hash"] == a["entry_hash"] for a, b in zip(rows, rows[1:], strict=False))


def test_a_reviewer_recomputes_entry_hashes_with_the_standard_library(log, db):
    for row in _rows(db):
        payload = {k: row[k] for k in row if k != "entry_hash"}
        payload["record_ids"] = json.loads(row["record_ids"])
        payload["detail"] = json.loads(row["detail"])
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == row["entry_hash"]


def test_checkpoints_are_written_every_1000_entries_to_db_and_file(db, home):
    create_schema(db.engine)
    audit = AuditLog(db.engine, home)
    audit.append_many([_entry(i) for i in range(2500)])
    with db.engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT entry_count FROM audit_checkpoints")).scalars()
        assert sorted(counts) == [1000, 2000]
    lines = (home / CHECKPOINTS_FILE).read_text().splitlines()
    assert [json.loads(line)["entry_count"] for line in lines] == [1000, 2000]
    assert audit.verify().intact


def test_checkpoint_without_new_entries_writes_nothing(log, home):
    before = (home / CHECKPOINTS_FILE).read_text()
    again = log.checkpoint()
    assert again.entry_count == N
    assert (home / CHECKPOINTS_FILE).read_text() == before


def test_exported_checkpoints_verify_with_the_public_key_alone(log, home):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    public = load_pem_public_key((home / "keys" / "signing_key.pub.pem").read_bytes())
    for line in (home / CHECKPOINTS_FILE).read_text().splitlines():
        record = json.loads(line)
        signature = bytes.fromhex(record.pop("signature"))
        body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        public.verify(signature, body)  # raises if invalid


def test_verify_changes_nothing(db, home, tmp_path):
    create_schema(db.engine)
    writer = AuditLog(db.engine, home)
    writer.append_many([_entry(i) for i in range(5)])
    writer.checkpoint()  # as every command does: entries with no checkpoint are not intact
    public = load_signing_key(home).public_key_pem
    fresh_home = tmp_path / "reviewer"
    result = AuditLog(db.engine, fresh_home).verify(trusted_keys=[public])
    assert result.intact and result.entries == 5
    assert not fresh_home.exists()


def test_create_schema_is_idempotent_and_leaves_other_tables_alone(db):
    other = sa.MetaData()
    sa.Table("registry_thing", other, sa.Column("id", sa.Integer, primary_key=True))
    other.create_all(db.engine)
    create_schema(db.engine)
    create_schema(db.engine)
    names = set(sa.inspect(db.engine).get_table_names())
    assert {"registry_thing", "audit_log", "audit_checkpoints"} <= names


# --------------------------------------------------------------------------- tampering

EDITS = {
    "seq": N + 100,
    "ts": "2020-01-01T00:00:00.000000Z",
    "actor": "someone_else",
    "action": "ACCESS_X",
    "outcome": "GRANTED_X",
    "record_ids": '["Z99999"]',
    "grant_id": "G_FORGED",
    "purpose": "EMPLOYMENT",
    "detail": '{"role":"chief"}',
    "prev_hash": "a" * 64,
    "entry_hash": "b" * 64,
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_editing_any_field_of_any_row_names_that_row(log, db, column):
    # First, middle and last row, each edited alone and then put back.
    for seq in (1, 6, N):
        original = _rows(db)[seq - 1][column]
        _sql(db, f"UPDATE audit_log SET {column} = :v WHERE seq = :s", v=EDITS[column], s=seq)
        result = log.verify()
        assert not result.intact
        assert result.first_bad == seq, (seq, result.problems)
        where = EDITS[column] if column == "seq" else seq
        _sql(db, f"UPDATE audit_log SET {column} = :v WHERE seq = :s", v=original, s=where)
        assert log.verify().intact


def test_reformatting_json_without_changing_its_value_is_caught(log, db):
    _sql(db, "UPDATE audit_log SET detail = :v WHERE seq = 4", v=_rows(db)[3]["detail"] + " ")
    result = log.verify()
    assert (result.intact, result.first_bad) == (False, 4)


def test_an_edit_with_a_recomputed_hash_is_caught_at_that_row(log, db):
    row = _rows(db)[4]
    row["actor"] = "forger"
    row["record_ids"] = json.loads(row["record_ids"])
    row["detail"] = json.loads(row["detail"])
    _sql(
        db,
        "UPDATE audit_log SET actor = :a, entry_hash = :h WHERE seq = 5",
        a="forger",
        h=_audit.entry_hash(row),
    )
    result = log.verify()
    assert (result.intact, result.first_bad) == (False, 5)


def test_rewriting_the_whole_chain_is_caught_by_the_signed_checkpoint(log, db):
    rows = _rows(db)
    prev = rows[6]["prev_hash"]
    with db.engine.begin() as conn:
        for row in rows[6:]:
            row["actor"] = "forger"
            row["prev_hash"] = prev
            fields = {
                **row,
                "record_ids": json.loads(row["record_ids"]),
                "detail": json.loads(row["detail"]),
            }
            prev = _audit.entry_hash(fields)
            conn.execute(
                sa.text(
                    "UPDATE audit_log SET actor = :a, prev_hash = :p, entry_hash = :h"
                    " WHERE seq = :s"
                ),
                {"a": "forger", "p": row["prev_hash"], "h": prev, "s": row["seq"]},
            )
    result = log.verify()
    assert not result.intact
    assert result.first_bad == 1  # the only checkpoint covers 1..N, nothing earlier vouches
    assert any("does not match the chain" in p for p in result.problems)


def test_removing_every_checkpoint_and_rewriting_the_chain_is_caught(log, db, home):
    # the attacker deletes every checkpoint row, empties the exported file, then rewrites
    # the chain with the public hash function: nothing signed is left to disagree
    _sql(db, "DELETE FROM audit_checkpoints")
    (home / CHECKPOINTS_FILE).write_text("")
    rows = _rows(db)
    prev = GENESIS_HASH
    with db.engine.begin() as conn:
        for row in rows:
            fields = {
                **row,
                "actor": "forger",
                "prev_hash": prev,
                "record_ids": json.loads(row["record_ids"]),
                "detail": json.loads(row["detail"]),
            }
            digest = _audit.entry_hash(fields)
            conn.execute(
                sa.text(
                    "UPDATE audit_log SET actor = 'forger', prev_hash = :p, entry_hash = :h"
                    " WHERE seq = :s"
                ),
                {"p": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
    result = log.verify()
    assert not result.intact
    assert (result.entries, result.first_bad, result.last_checkpoint) == (N, 1, None)
    assert any("no valid signed checkpoint" in p for p in result.problems)
    assert result.to_dict()["intact"] is False


def test_entries_after_the_last_checkpoint_are_allowed(log):
    log.append_many([_entry(i) for i in range(3)])  # the command has not checkpointed yet
    result = log.verify()
    assert result.intact, result.problems
    assert (result.entries, result.last_checkpoint.entry_count) == (N + 3, N)


def test_deleting_a_middle_row_is_caught(log, db):
    _sql(db, "DELETE FROM audit_log WHERE seq = 7")
    result = log.verify()
    assert (result.intact, result.first_bad) == (False, 7)


def test_deleting_the_tail_and_its_db_checkpoint_is_caught_by_the_exported_file(log, db):
    log.append_many([_entry(i) for i in range(5)])
    log.checkpoint()
    _sql(db, "DELETE FROM audit_log WHERE seq > :n", n=N)
    _sql(db, "DELETE FROM audit_checkpoints WHERE entry_count > :n", n=N)
    result = log.verify()
    assert not result.intact
    assert result.first_bad == N + 1
    assert any(CHECKPOINTS_FILE in p for p in result.problems)


def test_deleting_the_tail_after_a_checkpoint_is_caught(log, db):
    _sql(db, "DELETE FROM audit_log WHERE seq > 9")
    result = log.verify()
    assert (result.intact, result.first_bad) == (False, 10)


def test_a_checkpoint_deleted_from_the_db_but_in_the_file_is_caught(log, db):
    _sql(db, "DELETE FROM audit_checkpoints")
    result = log.verify()
    assert not result.intact
    assert result.first_bad is None  # the entries themselves are fine
    assert any("missing from the database" in p for p in result.problems)


def test_a_checkpoint_cut_from_the_file_is_caught(log, home):
    (home / CHECKPOINTS_FILE).write_text("")
    result = log.verify()
    assert not result.intact
    assert any("is not in" in p for p in result.problems)


def test_swapping_two_rows_is_caught(log, db):
    rows = _rows(db)
    a, b = rows[3], rows[8]
    columns = [c for c in a if c != "seq"]
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    with db.engine.begin() as conn:
        for target, source in ((a, b), (b, a)):
            values = {c: source[c] for c in columns}
            conn.execute(
                sa.text(f"UPDATE audit_log SET {assignments} WHERE seq = :seq"),
                {**values, "seq": target["seq"]},
            )
    result = log.verify()
    assert (result.intact, result.first_bad) == (False, 4)


def _shift_down(conn: Connection, after: int) -> None:
    """Renumber entries after ``after`` one up, in two steps to dodge the primary key."""
    conn.execute(sa.text("UPDATE audit_log SET seq = seq + 1000000 WHERE seq > :k"), {"k": after})
    conn.execute(
        sa.text("UPDATE audit_log SET seq = seq - 999999 WHERE seq > 1000000"),
    )


@pytest.mark.parametrize("linked", [False, True], ids=["naive", "linked"])
def test_inserting_a_row_is_caught_at_the_inserted_row(log, db, linked):
    rows = _rows(db)
    k = 5
    forged = {
        **rows[k - 1],
        "seq": k + 1,
        "actor": "ghost",
        "prev_hash": rows[k - 1]["entry_hash"],
    }
    if linked:  # the forger knows the canonical form and links the row properly
        fields = {
            **forged,
            "record_ids": json.loads(forged["record_ids"]),
            "detail": json.loads(forged["detail"]),
        }
        forged["entry_hash"] = _audit.entry_hash(fields)
    with db.engine.begin() as conn:
        _shift_down(conn, k)
        conn.execute(sa.insert(_audit.audit_log_table), forged)
    result = log.verify()
    assert result.entries == N + 1
    assert (result.intact, result.first_bad) == (False, k + 1), result.problems


def test_a_forged_checkpoint_signature_is_caught(log, db, home):
    _sql(db, "UPDATE audit_checkpoints SET signature = :s", s="00" * 64)
    lines = (home / CHECKPOINTS_FILE).read_text().splitlines()
    forged = [json.loads(line) | {"signature": "00" * 64} for line in lines]
    (home / CHECKPOINTS_FILE).write_text("".join(json.dumps(f) + "\n" for f in forged))
    result = log.verify()
    assert not result.intact
    assert result.last_checkpoint is None
    assert any("bad signature" in p for p in result.problems)


def test_a_checkpoint_signed_with_another_key_is_caught(log, db, home):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    mallory = SigningKey(Ed25519PrivateKey.generate())
    rows = _rows(db)
    body = Checkpoint(
        2, N, rows[-1]["entry_hash"], "2026-06-02T00:00:00.000000Z", mallory.key_id, ""
    )
    forged = Checkpoint(**{**body.__dict__, "signature": mallory.sign(body.signed_bytes())})
    with db.engine.begin() as conn:
        row = forged.to_dict()
        row.pop("format")
        conn.execute(sa.insert(_audit.audit_checkpoints_table), row)
    with open(home / CHECKPOINTS_FILE, "ab") as handle:
        handle.write(canonical_json(forged.to_dict()) + b"\n")
    result = log.verify()
    assert not result.intact
    assert any("unknown key" in p for p in result.problems)
    # ...which a reviewer who decides to trust that key accepts.
    assert log.verify(trusted_keys=[mallory.public_key_pem]).intact


# --------------------------------------------------------------------------- failures


def test_a_batch_with_a_bad_entry_writes_nothing(log, db, home):
    before_rows, before_file = _rows(db), (home / CHECKPOINTS_FILE).read_bytes()
    batch = [_entry(1), {**_entry(2), "detail": {"when": datetime.now(UTC)}}, _entry(3)]
    with pytest.raises(BadInput, match="entry #1"):
        log.append_many(batch)
    assert _rows(db) == before_rows
    assert (home / CHECKPOINTS_FILE).read_bytes() == before_file


@pytest.mark.parametrize(
    "bad",
    [
        {"actor": "", "action": "ACCESS", "outcome": "DENIED"},
        {"actor": "u", "action": "access", "outcome": "DENIED"},
        {"actor": "u", "action": "ACCESS", "outcome": "DENIED", "record_ids": "A1"},
        {"actor": "u", "action": "ACCESS", "outcome": "DENIED", "colour": "red"},
        {"actor": "u", "action": "ACCESS", "outcome": "DENIED", "detail": {"x": float("nan")}},
        "ACCESS",
    ],
)
def test_malformed_entries_are_bad_input(log, bad):
    with pytest.raises(BadInput):
        log.append(bad)


def test_a_failure_inside_the_transaction_rolls_everything_back(db, home, monkeypatch):
    create_schema(db.engine)
    audit = AuditLog(db.engine, home, checkpoint_every=5)
    audit.append_many([_entry(i) for i in range(5)])
    before_rows, before_file = _rows(db), (home / CHECKPOINTS_FILE).read_bytes()

    real_commit = Connection.commit

    def failing_commit(self):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Connection, "commit", failing_commit)
    with pytest.raises(sa.exc.OperationalError):
        audit.append_many([_entry(i) for i in range(7)])  # crosses checkpoint 10
    monkeypatch.setattr(Connection, "commit", real_commit)
    assert _rows(db) == before_rows
    assert (home / CHECKPOINTS_FILE).read_bytes() == before_file
    assert audit.verify().intact


# --------------------------------------------------------------------------- concurrency


def _append_worker(url: str, schema: str | None, home: str, n: int, tag: str) -> None:
    engine = _engine_from(url, schema)
    audit = AuditLog(engine, home)
    for i in range(n):
        audit.append({"actor": tag, "action": "ACCESS", "outcome": "GRANTED", "detail": {"i": i}})
    audit.checkpoint()
    engine.dispose()


def test_two_processes_appending_at_once_keep_one_chain(db, home):
    create_schema(db.engine)
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_append_worker, args=(db.url, db.schema, str(home), 300, tag))
        for tag in ("p1", "p2")
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=180)
    assert [w.exitcode for w in workers] == [0, 0]
    result = AuditLog(db.engine, home).verify()
    assert result.intact, result.problems
    assert result.entries == 600
    actors = [r["actor"] for r in _rows(db)]
    assert actors.count("p1") == actors.count("p2") == 300
    # Both processes ended with a checkpoint, signed by the one key pair they share.
    with db.engine.connect() as conn:
        keys = set(conn.execute(sa.text("SELECT key_id FROM audit_checkpoints")).scalars())
    assert keys == {load_signing_key(home, create=False).key_id}


def test_entries_read_back_parsed_and_filtered_by_action(log):
    entries = log.entries()
    assert [e["seq"] for e in entries] == list(range(1, N + 1))
    first = entries[0]
    assert isinstance(first["record_ids"], list)
    assert first["detail"] is None or isinstance(first["detail"], dict)
    action = first["action"]
    assert log.entries(action) == [e for e in entries if e["action"] == action]
    assert log.details("NO_SUCH_ACTION") == []
