"""``sanitizer registry build|explain|export``: New York's sealing rules over court events.

Each command reads only the tables the rules need (``REGISTRY_TABLES``), after checking
that the other four are there too (CONTRACT.md requires all seven), and asks the home's
registry for one thing: a stored snapshot, one arrest's status, or every status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._errors import SanitizerError
from ._common import (
    REGISTRY_TABLES,
    check_out,
    emit,
    fail,
    load_tables,
    opened_registry,
    parse_as_of,
    write_out,
)
from ._options import AsOfOption, DataOption, DbOption, HomeOption, JsonOption, Policy, PolicyOption

__all__ = ["registry_app"]

#: What ``registry export --out`` may end in: Parquet, or CSV by extension (CONTRACT.md).
EXPORT_SUFFIXES = (".parquet", ".csv")

registry_app = typer.Typer(
    help="The sealing registry: New York's rules replayed over court events.",
    no_args_is_help=True,
)


@registry_app.command("build")
def registry_build(
    data: DataOption,
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Replay the court events through the rules and store a registry snapshot."""
    try:
        day = parse_as_of(as_of)
        tables = load_tables(data, REGISTRY_TABLES)
        with opened_registry(home, db) as registry:
            snapshot = registry.build(tables, day, policy.value)
    except SanitizerError as error:
        raise fail(error) from None
    payload = snapshot.to_dict()

    def human():
        console = Console()
        console.print(
            f"snapshot [bold]{payload['snapshot_id']}[/] as of {payload['as_of']}, "
            f"policy {payload['policy']}: {payload['excluded']:,} of {payload['arrests']:,} "
            "arrests excluded"
        )
        table = Table("status", "arrests")
        for status, n in payload["counts"].items():
            table.add_row(status, f"{n:,}")
        console.print(table)
        console.print(f"digest        {payload['digest']}")
        console.print(f"excluded_root {payload['excluded_root']}")

    emit(payload, as_json, human)


@registry_app.command("explain")
def registry_explain(
    arrest_key: Annotated[str, typer.Argument(help="The ARREST_KEY to explain.")],
    data: DataOption,
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """One arrest's status, the statute and event behind it, and when that may change."""
    try:
        day = parse_as_of(as_of)
        tables = load_tables(data, REGISTRY_TABLES)
        with opened_registry(home, db) as registry:
            payload = registry.explain(tables, arrest_key, day, policy.value)
    except SanitizerError as error:
        raise fail(error) from None

    def human():
        console = Console()
        for key, value in payload.items():
            console.print(f"{key:17} {value}", highlight=False, soft_wrap=True)

    emit(payload, as_json, human)


@registry_app.command("export")
def registry_export(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="File to write: .parquet, or .csv for CSV.")],
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Write every arrest's status as one row (the columns of `registry explain`)."""
    try:
        day = parse_as_of(as_of)
        check_out(out, EXPORT_SUFFIXES)
        tables = load_tables(data, REGISTRY_TABLES)
        with opened_registry(home, db) as registry:
            rows = write_out(out, lambda path: registry.export(tables, day, policy.value, path))
    except SanitizerError as error:
        raise fail(error) from None
    emit(
        {"path": str(out), "rows": rows},
        as_json,
        lambda: Console().print(f"{rows:,} rows -> {out}"),
    )
