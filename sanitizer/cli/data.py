"""``sanitizer synth`` and ``sanitizer validate``: make a data set, check a data set.

Both work on a folder of the seven input tables and need no home: they sit before the
registry in the flow, so nothing stateful is touched.
"""

from __future__ import annotations

import shutil
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._errors import BadInput, SanitizerError
from ._common import emit, fail, stage_progress
from ._options import JsonOption, SeedOption

__all__ = ["Format", "Scale", "synth", "synthesize", "validate"]

#: Progress steps of ``synth.generate`` (people ... truth) plus writing the files.
SYNTH_STAGES = 9


class Scale(str, Enum):
    """``synth --scale``: how big a world to generate."""

    tiny = "tiny"
    small = "small"
    nyc = "nyc"


class Format(str, Enum):
    """``synth --format``: the file format of the tables."""

    parquet = "parquet"
    csv = "csv"


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
    from ..synth import generate, write_world

    _require_empty_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        with stage_progress(f"synth {scale}", SYNTH_STAGES) as advance:
            world = generate(scale, seed, progress=advance)
            advance("write")
            rows = write_world(world, staging, fmt)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return {"tables": rows, "out": str(out), "scale": scale, "seed": seed, "format": fmt}


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


def validate(
    directory: Annotated[Path, typer.Argument(help="Folder holding the seven input tables.")],
    as_json: JsonOption = False,
):
    """Check every table against the data contract; report every problem (exit 2 if any)."""
    from ..tables import validate_directory

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
