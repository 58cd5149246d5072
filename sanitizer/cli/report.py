"""``sanitizer report``: the compliance report for a window of days.

The window rules live in :func:`sanitizer.report.report_window`; this command parses the
dates, writes the HTML and its figures, and exits 1 when the report finds the system
not compliant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .._errors import SanitizerError
from .._home import Home
from ._common import emit, fail, parse_as_of, parse_day, readable_database
from ._options import AsOfOption, DbOption, HomeOption, JsonOption

__all__ = ["report"]


def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="HTML file to write (default HOME/reports/compliance-UNTIL.html); "
            "the figures go next to it as .json.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day covered, YYYY-MM-DD (default: see --until)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Last day covered, YYYY-MM-DD. With neither date: the last full calendar "
            "half-year before --as-of; with only --since: up to --as-of; with only --until: "
            "from the start of its half-year.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """The compliance report: self-contained HTML plus its figures as JSON.

    Exit 1 if not compliant: a sealed record shown without a grant, or a broken audit chain.
    """
    from ..report import ComplianceReport, report_window

    try:
        window = report_window(
            parse_as_of(as_of), parse_day("--since", since), parse_day("--until", until)
        )
        resolved = Home.resolve(home, db)
        with readable_database(resolved):
            result = ComplianceReport(resolved, window)
        html_path, json_path = result.write(out)
    except SanitizerError as error:
        raise fail(error) from None
    figures = result.figures
    payload = {
        "path": str(html_path),
        "json": str(json_path),
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "compliant": result.compliant,
        "unauthorized_sealed_access": figures["access"]["unauthorized_sealed_access"],
        "audit_intact": figures["audit"]["intact"],
    }

    def human():
        console = Console()
        verdict = "[green]compliant[/]" if result.compliant else "[red]NOT COMPLIANT[/]"
        console.print(f"{verdict}: report for {window.label} -> {html_path}", highlight=False)
        console.print(f"figures -> {json_path}", highlight=False)

    emit(payload, as_json, human)
    if not result.compliant:
        raise typer.Exit(1)
