"""What every command does the same way: dates, output, errors, progress, the registry.

Only the CLI turns the library's exceptions into exit codes (CONTRACT.md: 1 refused,
2 bad input or usage), and it does so here, in :func:`fail`, so every command prints
``Error: ...`` on stderr alike. Results go through :func:`emit` so ``--json`` always
means exactly one JSON object on stdout.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .._errors import BadInput, SanitizerError
from .._home import Home

__all__ = [
    "REGISTRY_TABLES",
    "emit",
    "fail",
    "load_tables",
    "opened_registry",
    "parse_as_of",
    "parse_day",
    "stage_progress",
    "stderr",
]

#: Progress and errors go to stderr, so stdout holds only the result.
stderr = Console(stderr=True)

#: What the registry reads: the rules need arrests and court events (and arrests' persons).
REGISTRY_TABLES = ("persons", "arrests", "court_events")


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
    elif human is not None:
        human()
    else:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def fail(error: SanitizerError) -> typer.Exit:
    """Translate a library error into ``Error: ...`` on stderr and its exit code."""
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
def opened_registry(home: Path | None, db: str | None):
    """The home's registry, for commands that read their inputs first.

    Opening creates the home and its database, so if the command then fails with bad
    input, a home this command created is removed again (CONTRACT.md: exit 2 leaves the
    home exactly as it was). An existing home is never removed.
    """
    from ..registry._registry import Registry

    resolved = Home.resolve(home, db)
    existed = resolved.path.exists()
    try:
        yield Registry(resolved)
    except BadInput:
        if not existed and resolved.path.exists():
            shutil.rmtree(resolved.path)
        raise


def load_tables(data: Path, tables: tuple[str, ...] | None = None):
    """Read the input tables of ``--data`` (all seven, or just ``tables``)."""
    from ..tables import read_tables

    return read_tables(data, tables)
