"""``sanitizer demo``: the whole story on `small` data, for a first look.

The command only synthesises the data and renders the result; the story itself (registry,
access, retrains, events, report) is :func:`sanitizer._demo.run_demo`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from .._errors import SanitizerError
from .._home import Home
from ._common import emit, fail, parse_as_of, stage_progress
from ._options import AsOfOption, HomeOption, JsonOption, SeedOption
from .data import synthesize

__all__ = ["DEMO_AS_OF", "demo"]

#: CONTRACT.md: ``demo`` defaults to this date, so its story reads the same every day.
DEMO_AS_OF = date(2026, 6, 1)


def demo(
    home: HomeOption = None,
    seed: SeedOption = 0,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
):
    """The whole story on `small` data, in the home: registry to report."""
    from .._demo import DEMO_STEPS, run_demo

    try:
        day = parse_as_of(as_of, default=DEMO_AS_OF)
        resolved = Home.resolve(home)

        def synthesise(folder: Path) -> dict:
            return synthesize("small", seed, folder, "parquet", overwrite=True)

        with stage_progress("demo", len(DEMO_STEPS)) as advance:
            result = run_demo(resolved, synthesise, day, progress=advance)
    except SanitizerError as error:
        raise fail(error) from None
    payload = result.to_dict()

    def human():
        console = Console()
        console.print(f"[bold]Demo home[/]: {payload['home']}")
        console.print(f"Synthetic `small` world: {payload['data']}")
        for policy, snap in payload["snapshots"].items():
            console.print(
                f"Registry ({policy}): snapshot {snap['snapshot_id']}, {snap['excluded']:,} of "
                f"{snap['arrests']:,} arrests excluded"
            )
        granted = sum(a["granted"] for a in payload["access"])
        console.print(
            f"Access gate: {granted} granted, {len(payload['access']) - granted} denied "
            "(every attempt audited)"
        )
        for trained in payload["retrains"]:
            verdict = "[green]certified[/]" if trained["certified"] else "[red]refused[/]"
            console.print(f"{verdict} {trained['model_uri'] or trained['name']}", highlight=False)
            for reason in trained["reasons"]:
                console.print(f"    {reason}", highlight=False)
        events = payload["events"]
        if events:
            console.print(
                f"New court events ({events['file']}): newly excluded "
                f"{', '.join(events['newly_excluded'].get('strict', [])) or 'nothing'}; "
                f"decertified {', '.join(events['decertified']) or 'none'}; "
                f"recertified {', '.join(events['recertified']) or 'none'}"
            )
            if events.get("refused"):
                console.print(
                    f"Retrain refused for {', '.join(events['refused'])} (reasons above): "
                    "nothing serves it until a retrain passes every gate"
                )
        intact = "[green]intact[/]" if payload["audit"].get("intact") else "[red]BROKEN[/]"
        console.print(f"Audit chain: {intact}, {payload['audit'].get('entries', 0)} entries")
        console.print(f"[bold]Compliance report[/]: {payload['report']}")
        console.print("\nLook further:")
        data, home_dir = payload["data"], payload["home"]
        console.print(f"  open {payload['report']}")
        console.print(f"  mlflow ui --backend-store-uri sqlite:///{home_dir}/mlflow.db")
        for uri in payload["models"][:1]:
            console.print(f"  sanitizer verify {uri} --home {home_dir} --as-of {day}")
            console.print(f"  sanitizer verify {uri} --data {data} --home {home_dir} --as-of {day}")
        console.print(f"  sanitizer registry explain 100000005 --data {data} --home {home_dir}")
        console.print(f"  sanitizer audit verify --home {home_dir}")
        console.print(f"  sanitizer report --home {home_dir} --as-of {day}")

    emit(payload, as_json, human)
