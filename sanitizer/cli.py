"""The ``sanitizer`` command: thin wrappers that call one library function each.

Each command parses its options, calls the library, and prints either a human summary
or (``--json``) exactly one JSON object on stdout; progress and logs go to stderr. Only
this module turns the library's exceptions into exit codes (CONTRACT.md): 1 refused,
2 bad input or usage.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._errors import BadInput, SanitizerError
from ._home import Home

__all__ = ["app", "main"]

app = typer.Typer(
    name="sanitizer",
    help="Keep police ML tools free of sealed New York arrest records, and prove it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)

DEMO_AS_OF = date(2026, 6, 1)


class Scale(str, Enum):
    tiny = "tiny"
    small = "small"
    nyc = "nyc"


class Format(str, Enum):
    parquet = "parquet"
    csv = "csv"


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")
]
HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="SANITIZER_HOME",
        help="Folder for everything stateful (default ./.sanitizer).",
        show_default=False,
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed.")]


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

        yield advance
        progress.update(task, completed=stages)


def _require_empty_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise BadInput(f"--out {out} is not empty; choose a new folder or pass --overwrite")


def synthesize(scale: str, seed: int, out: Path, fmt: str, overwrite: bool = False) -> dict:
    """Generate the synthetic world into ``out``, all or nothing.

    The tables are written to a temporary sibling folder and moved into place only when
    every file is complete, so an interrupted run never leaves a half-written data set.
    """
    from .synth import SCALES, generate, write_world

    _require_empty_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        with stage_progress(f"synth {scale}", SCALES[scale].stages) as advance:
            world = generate(scale, seed, progress=advance)
            rows = write_world(world, staging, fmt)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return {"tables": rows, "out": str(out), "scale": scale, "seed": seed, "format": fmt}


@app.command()
def synth(
    scale: Annotated[Scale, typer.Option("--scale", help="World size.")] = Scale.tiny,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the tables into.")] = Path(
        "data/synthetic"
    ),
    fmt: Annotated[Format, typer.Option("--format", help="File format.")] = Format.parquet,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a non-empty --out folder.")
    ] = False,
    as_json: JsonOption = False,
):
    """Write the seven input tables of a seeded synthetic NYPD world, plus truth/."""
    try:
        result = synthesize(scale.value, seed, out, fmt.value, overwrite)
    except SanitizerError as error:
        raise fail(error) from None

    def human():
        table = Table("table", "rows", title=f"{out} ({scale.value}, seed {seed})")
        for name, rows in result["tables"].items():
            table.add_row(name, f"{rows:,}")
        Console().print(table)

    emit({"tables": result["tables"]}, as_json, human)


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="Folder holding the seven input tables.")],
    as_json: JsonOption = False,
):
    """Check every table against the data contract; report every problem (exit 2 if any)."""
    from .tables import validate_directory

    report, _ = validate_directory(directory)

    def human():
        console = Console()
        if report.valid:
            console.print(f"[green]valid[/]: {directory} matches the data contract")
        for issue in report.errors:
            console.print(f"[red]error[/] {issue}", highlight=False, soft_wrap=True)
        for issue in report.warnings:
            console.print(f"[yellow]warning[/] {issue}", highlight=False, soft_wrap=True)
        if not report.valid:
            console.print(f"{len(report.errors)} errors, {len(report.warnings)} warnings")

    emit(report.to_dict(), as_json, human)
    if not report.valid:
        raise typer.Exit(2)


@app.command()
def demo(
    home: HomeOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
):
    """The whole story on `small` data, in the home (so far: synthesise and validate)."""
    from .tables import validate_directory

    try:
        resolved = Home.resolve(home).ensure()
        data = resolved.path / "demo-data"
        result = synthesize("small", seed, data, "parquet", overwrite=True)
        report, _ = validate_directory(data)
        if not report.valid:
            raise BadInput(f"the synthetic data failed validation: {report.errors[0]}")
    except SanitizerError as error:
        raise fail(error) from None
    payload = {"home": str(resolved.path), "report": None, "models": [], "data": str(data)}

    def human():
        console = Console()
        console.print(f"Synthesised {sum(result['tables'].values()):,} rows into {data}")
        console.print("[green]valid[/]: every table matches the contract")
        console.print(f"Look at them: sanitizer validate {data}")

    emit(payload, as_json, human)


def main() -> None:
    """Console-script entry point."""
    app()
