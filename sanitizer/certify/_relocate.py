"""A home that was moved or copied: point MLflow's artifact paths at the home they are in.

``sanitizer home copy`` makes such a copy safely (for a monitor, say) and relocates it;
``sanitizer home relocate`` takes over a home moved or copied some other way.

MLflow's SQLite store records every artifact location as an absolute ``file://`` path
(experiments, runs, model versions). Everything else in a home is relative to it (the
registry database, snapshots, keys, the audit log). So a copied home, handed to a court's
monitor say, would read its models, certificates and lineage reports from the *original*
home while it exists: ``verify`` would check the wrong files, and a new retrain would
write into the original. Opening such a home is refused (:func:`check_location`) until
``sanitizer home relocate`` rewrites the recorded locations, in one transaction, from the
old ``mlartifacts/`` folder to this one (:func:`relocate`). Nothing is re-signed: the
certificates bind artifact digests, never paths.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .._errors import BadInput, Refused

__all__ = [
    "Relocation",
    "recorded_artifact_roots",
    "check_location",
    "relocate",
    "relocate_home",
    "copy_home",
]

#: (table, column) pairs of MLflow's SQLite schema holding artifact locations.
LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("model_versions", "source"),
    ("model_versions", "storage_location"),
    ("logged_models", "artifact_location"),
)
ARTIFACTS = "mlartifacts"
MSG_MOVED = (
    "the home {home} was moved or copied from {old}: its MLflow store still points at the "
    "artifacts there, so models, certificates and reports would be read from (and written "
    "to) the other home. Run `sanitizer home relocate --home {home}` first"
)


@dataclass(frozen=True)
class Relocation:
    """What :func:`relocate` changed."""

    old_root: str
    new_root: str
    rows: dict[str, int]

    def to_dict(self) -> dict:
        return {"from": self.old_root, "to": self.new_root, "rows": dict(self.rows)}


def _root_uri(folder: Path) -> str:
    return f"file://{folder.resolve()}/"


def _columns(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    present = []
    for table, column in LOCATION_COLUMNS:
        names = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column in names:
            present.append((table, column))
    return present


def _database(home) -> Path | None:
    uri = home.mlflow_uri
    if not uri.startswith("sqlite:///"):
        return None  # a tracking server keeps its own artifact store
    return Path(uri[len("sqlite:///") :])


def recorded_artifact_roots(home) -> set[str]:
    """The ``file://.../mlartifacts/`` roots the home's experiments record (ours only)."""
    database = _database(home)
    if database is None or not database.is_file():
        return set()
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT artifact_location FROM experiments WHERE name LIKE 'sanitizer/%'"
        ).fetchall()
    marker = f"/{ARTIFACTS}/"
    return {
        location[: location.rindex(marker) + len(marker)]
        for (location,) in rows
        if location and marker in location
    }


def check_location(home) -> None:
    """Refuse a home whose MLflow store records another home's artifact folder."""
    expected = _root_uri(home.artifacts_dir)
    for root in sorted(recorded_artifact_roots(home)):
        if root != expected:
            old = root.removeprefix("file://").removesuffix(f"/{ARTIFACTS}/")
            raise Refused(MSG_MOVED.format(home=home.path, old=old))


#: SQLite's own files beside a database: never copied byte for byte.
SQLITE_SIDE_FILES = ("*.db-wal", "*.db-shm", "*.db-journal")


def copy_home(home, target: Path | str, actor: str = "cli"):
    """A working copy of ``home`` at ``target``, relocated (see :func:`relocate_home`).

    The copy's audit log records the relocation; the original is not written to.
    """
    copied = copy_files(home, target)
    from ..registry import Registry

    relocate_home(copied, Registry(copied), actor)
    return copied


def copy_files(home, target: Path | str):
    """The home's files at ``target`` (a new folder), not yet relocated.

    Databases are copied with SQLite's online backup API, which reads a consistent state
    even while another process (a server) writes, and everything else file by file.
    ``shutil.copytree`` is wrong for a live home: it copies a database and its WAL at
    different moments, and opening and closing a database's files outside SQLite drops
    the locks this process holds on it, so another process may then checkpoint and delete
    a WAL this one still reads (sqlite.org/howtocorrupt.html, 2.2). All or nothing: the
    copy is staged beside ``target`` and renamed into place.
    """
    from .._home import Home

    target = Path(target).absolute()
    if target.exists():
        raise BadInput(f"{target} already exists; copy into a new folder")
    if not home.path.is_dir():
        raise BadInput(f"{home.path} is not a home (no such folder)")
    for what, url, inside in (
        ("registry", home.db_url, home.path / "registry.db"),
        ("MLflow store", home.mlflow_uri, home.path / "mlflow.db"),
    ):
        if url != f"sqlite:///{inside}":
            raise BadInput(
                f"the {what} of {home.path} is {url}, not in the home: copy it with its own "
                "tools and the folder by hand, then run `sanitizer home relocate`"
            )
    staging = target.with_name(f".{target.name}.copying")
    shutil.rmtree(staging, ignore_errors=True)

    def skip(directory, names):
        side = shutil.ignore_patterns(*SQLITE_SIDE_FILES)(directory, names)
        return set(side) | {n for n in names if n.endswith(".db")}

    try:
        shutil.copytree(home.path, staging, ignore=skip)
        for database in sorted(home.path.rglob("*.db")):
            destination = staging / database.relative_to(home.path)
            source, copy = sqlite3.connect(database), sqlite3.connect(destination)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Home(target, f"sqlite:///{target / 'registry.db'}", f"sqlite:///{target / 'mlflow.db'}")


def relocate_home(home, registry, actor: str = "cli") -> Relocation:
    """:func:`relocate`, recorded as a ``HOME_RELOCATED`` audit entry.

    The rewrite runs inside the audit log's write transaction: if it fails, no entry is
    written; the entry says from which folder the models were taken over.
    """
    database, old_root, new_root = _plan(home)
    if old_root is None:
        return Relocation(new_root, new_root, {})
    done: list[Relocation] = []
    registry.audit.append_many(
        [
            {
                "actor": actor,
                "action": "HOME_RELOCATED",
                "outcome": "DONE",
                "record_ids": [],
                "detail": {"from": old_root, "to": new_root},
            }
        ],
        before_commit=lambda _connection: done.append(_rewrite(database, old_root, new_root)),
    )
    return done[0]


def relocate(home) -> Relocation:
    """Rewrite every recorded artifact location under another home's folder to this one.

    One SQLite transaction: either every location moves or none does. Refuses a home
    whose MLflow store is a tracking server, and one whose recorded folder is ambiguous
    (several roots); a home with no MLflow store has nothing to relocate.
    """
    database, old_root, new_root = _plan(home)
    if old_root is None:
        return Relocation(new_root, new_root, {})
    return _rewrite(database, old_root, new_root)


def _plan(home) -> tuple[Path, str | None, str]:
    """(the MLflow database, the other home's root to move from or None, this home's root)."""
    database = _database(home)
    if database is None:
        raise BadInput(
            f"{home.mlflow_uri} is a tracking server: its artifact locations are the server's"
        )
    new_root = _root_uri(home.artifacts_dir)
    # no MLflow store: no model was ever registered here, nothing points away
    roots = recorded_artifact_roots(home) - {new_root}
    if len(roots) > 1:
        raise Refused(
            f"{database} records artifacts under several other homes ({', '.join(sorted(roots))})"
        )
    return database, (roots.pop() if roots else None), new_root


def _rewrite(database: Path, old_root: str, new_root: str) -> Relocation:
    counts = {}
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        for table, column in _columns(connection):
            cursor = connection.execute(
                f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                f"WHERE substr({column}, 1, ?) = ?",
                (new_root, len(old_root) + 1, len(old_root), old_root),
            )
            counts[f"{table}.{column}"] = cursor.rowcount
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
    return Relocation(old_root, new_root, counts)
