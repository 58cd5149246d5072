"""``sanitizer events apply``: record new court events and react to what they seal.

The reaction (recompute, decertify, retrain) is :func:`sanitizer._compliance.apply_events`;
this command only opens the home, shows progress and reports the outcome (exit 1 when a
retrain was refused, so nothing serves that model now).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .._errors import SanitizerError
from ._common import emit, fail, load_tables, opened_registry, parse_as_of, stage_progress
from ._options import AsOfOption, DataOption, DbOption, HomeOption, JsonOption

__all__ = ["events_app"]

events_app = typer.Typer(help="New court events: record, recompute, react.", no_args_is_help=True)


@events_app.command("apply")
def events_apply(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file with court_events columns.")],
    data: DataOption,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Record new court events in the home (DATA is never edited) and recompute the registry."""
    try:
        day = parse_as_of(as_of)
        tables = load_tables(data)
        with opened_registry(home, db) as registry:
            from .._compliance import apply_events

            # one step until the decertifications say how many retrains follow
            with stage_progress("events apply", 1) as advance:
                result = apply_events(
                    registry.home,
                    tables,
                    file,
                    as_of=day,
                    registry=registry,
                    progress=advance,
                    planned=advance.plan,
                )
    except SanitizerError as error:
        raise fail(error) from None
    payload = {
        "newly_excluded": result["newly_excluded"],
        "no_longer_excluded": result["no_longer_excluded"],
        "decertified": result["decertified"],
        "recertified": result["recertified"],
        "refused": result["refused"],
        "recorded": result["recorded"],
        "skipped": result["skipped"],
        "reasons": result["reasons"],
        "retrained_shards": result["retrained_shards"],
    }

    def human():
        console = Console()
        console.print(
            f"recorded {payload['recorded']} event(s), {payload['skipped']} already known"
        )
        for policy, keys in payload["newly_excluded"].items():
            console.print(f"newly excluded under {policy}: {', '.join(keys) or 'none'}")
        for policy, keys in payload["no_longer_excluded"].items():
            if keys:
                console.print(f"no longer excluded under {policy}: {', '.join(keys)}")
        for uri in payload["decertified"]:
            console.print(f"[yellow]decertified[/] {uri}: {payload['reasons'][uri]}")
        for uri in payload["recertified"]:
            console.print(f"[green]recertified[/] {uri}")
        for uri in payload["refused"]:
            console.print(f"[red]retrain refused[/] for {uri}; nothing serves it now")

    emit(payload, as_json, human)
    if payload["refused"]:
        raise typer.Exit(1)
