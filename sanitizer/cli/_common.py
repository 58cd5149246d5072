"""What every command does the same way: dates, output, errors, progress, the registry.

Only the CLI turns the library's exceptions into exit codes (CONTRACT.md: 1 refused,
2 bad input or usage), and it does so here, in :func:`fail`, so every command prints
``Error: ...`` on stderr alike. Results go through :func:`emit` so ``--json`` always
means exactly one JSON object on stdout: ``--json``'s callback (:func:`remember_json`)
notes the choice, and :func:`fail` prints ``{"error", "exit_code"}`` unless the command
already printed its own object (a refusal that still reports its outcome).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .._errors import BadInput, SanitizerError
from .._home import Home

__all__ = [
    "REGISTRY_TABLES",
    "check_out",
    "emit",
    "fail",
    "load_tables",
    "opened_registry",
    "parse_as_of",
    "parse_day",
    "readable_database",
    "remember_json",
    "stage_progress",
    "stderr",
    "write_out",
]

#: Progress and errors go to stderr, so stdout holds only the result.
stderr = Console(stderr=True)

#: What the registry reads: the rules need arrests and court events (and arrests' persons).
#: The other four tables must still be present (``read_tables`` checks, without reading).
REGISTRY_TABLES = ("persons", "arrests", "court_events")

MSG_NO_HOME = "no sanitizer home at {path}; pass --home DIR (or set SANITIZER_HOME)"
MSG_BAD_DATABASE = (
    "cannot read the registry database {database} ({reason}); restore it from a backup, "
    "or pass --home / --db to use another"
)
MSG_OUT_SUFFIX = "--out {out} must end in {suffixes}"
MSG_OUT_IS_DIR = "--out {out} is a directory; name a file to write"
MSG_OUT_NO_PARENT = "--out {out}: folder {parent} does not exist"
MSG_OUT_WRITE = "--out {out}: cannot write there ({error})"

T = TypeVar("T")


@dataclass
class _Invocation:
    """What the running command promised on stdout, so that an error keeps the promise."""

    as_json: bool
    printed: bool = False


_INVOCATION: ContextVar[_Invocation | None] = ContextVar("sanitizer_invocation", default=None)


def remember_json(ctx: typer.Context, value: bool) -> bool:
    """``--json``'s callback: note the choice for :func:`fail` until the command ends.

    Errors become exits in :func:`fail`, far from the command's parameters; noting the
    choice here keeps that true for every command without passing ``--json`` around.
    """
    token = _INVOCATION.set(_Invocation(as_json=value))
    ctx.call_on_close(lambda: _INVOCATION.reset(token))
    return value


def parse_as_of(value: str | None, default: date | None = None) -> date:
    """``--as-of`` as a date; today (UTC) when absent."""
    if value is None:
        return default or datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--as-of {value!r} is not a date YYYY-MM-DD") from None


def parse_day(option: str, value: str | None) -> date | None:
    """A ``--since`` / ``--until`` date, or None when absent; BadInput names the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option} {value!r} is not a date YYYY-MM-DD") from None


def emit(payload: dict, as_json: bool, human: Callable[[], None] | None = None) -> None:
    """Print the command's result: one JSON object, or the human rendering."""
    if as_json:
        sys.stdout.write(json.dumps(payload, sort_keys=False, default=str) + "\n")
        invocation = _INVOCATION.get()
        if invocation is not None:
            invocation.printed = True
    elif human is not None:
        human()
    else:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def fail(error: SanitizerError) -> typer.Exit:
    """Translate a library error into ``Error: ...`` on stderr and its exit code.

    With ``--json``, stdout gets ``{"error", "exit_code"}`` too, so a script reading it
    always finds one object; not when the command already printed its result.
    """
    invocation = _INVOCATION.get()
    if invocation is not None and invocation.as_json and not invocation.printed:
        emit({"error": str(error), "exit_code": error.exit_code}, as_json=True)
    stderr.print(f"[bold red]Error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(error.exit_code)


@contextmanager
def stage_progress(label: str, stages: int):
    """A rich progress bar on stderr advanced by the library's ``progress(stage)`` calls."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=stages, stage="")

        def advance(stage: str) -> None:
            progress.update(task, advance=1, stage=stage)

        def plan(stages: int) -> None:
            """A new length, for commands that learn how many stages they have midway."""
            progress.update(task, total=stages)

        advance.plan = plan
        yield advance
        progress.update(task, completed=progress.tasks[0].total)


@contextmanager
def opened_registry(home: Path | None, db: str | None, *, create: bool = True):
    """The home's registry, for commands that read their inputs first.

    Opening creates the home and its database, so if the command then fails with bad
    input, a home this command created is removed again (CONTRACT.md: exit 2 leaves the
    home exactly as it was). An existing home is never removed. ``create=False`` is for
    commands that only read what a home already holds (models): a missing home is bad
    input then, rather than a new, empty home. A database that cannot be read is bad
    input naming the file (:func:`readable_database`).
    """
    from ..registry._registry import Registry

    resolved = Home.resolve(home, db)
    if not create and not resolved.path.is_dir():
        raise BadInput(MSG_NO_HOME.format(path=resolved.path))
    existed = resolved.path.exists()
    try:
        with readable_database(resolved):
            yield Registry(resolved)
    except BadInput:
        if not existed and resolved.path.exists():
            shutil.rmtree(resolved.path)
        raise


@contextmanager
def readable_database(home: Home):
    """Turn "this file is not a database" into :class:`BadInput` naming the file (exit 2).

    Only the driver's plain ``DatabaseError`` (not a database, a malformed image) is the
    input's fault; its subclasses (a lock, a constraint, bad SQL) stay errors of their own.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DatabaseError

    try:
        yield
    except DatabaseError as error:
        if type(error) is not DatabaseError:
            raise
        url = make_url(home.db_url)
        name = url.database if url.drivername.startswith("sqlite") else url.render_as_string()
        raise BadInput(MSG_BAD_DATABASE.format(database=name, reason=error.orig)) from None


def check_out(out: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse an ``--out`` file that cannot be written, before anything is read or created.

    A command should not do its work, or create a home, only to fail on where to put the
    result. Writability is tried (a temporary folder made and removed beside ``out``)
    rather than asked of ``os.access``, which says yes to root even where nothing can be
    created, such as ``/proc``.
    """
    if out.is_dir():
        raise BadInput(MSG_OUT_IS_DIR.format(out=out))
    if out.suffix.lower() not in suffixes:
        raise BadInput(MSG_OUT_SUFFIX.format(out=out, suffixes=" or ".join(suffixes)))
    if not out.parent.is_dir():
        raise BadInput(MSG_OUT_NO_PARENT.format(out=out, parent=out.parent))
    try:
        with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent):
            pass
    except OSError as error:
        raise BadInput(MSG_OUT_WRITE.format(out=out, error=error.strerror or error)) from None


def write_out(out: Path, write: Callable[[Path], T]) -> T:
    """``write(path)`` into a private folder beside ``out``, then move the file onto ``out``.

    Whatever ``write`` leaves behind when it fails (its own temporary files included) goes
    with the folder, so a failed write never leaves a stray or half-written file, and the
    failure is bad input naming ``--out``.
    """
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        try:
            result = write(staging / out.name)
            os.replace(staging / out.name, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise BadInput(MSG_OUT_WRITE.format(out=out, error=error.strerror or error)) from None
    return result


def load_tables(data: Path, tables: tuple[str, ...] | None = None):
    """Read the input tables of ``--data`` (all seven, or just ``tables``)."""
    from ..tables import read_tables

    return read_tables(data, tables)
