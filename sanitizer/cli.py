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
from datetime import UTC, date, datetime
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
#: Progress steps of ``synth.generate`` (people ... truth) plus writing the files.
SYNTH_STAGES = 9


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
DataOption = Annotated[
    Path, typer.Option("--data", help="Folder holding the seven input tables.", show_default=False)
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="SANITIZER_DB_URL",
        help="SQLAlchemy URL of the registry database (default HOME/registry.db).",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Date the registry is replayed to, YYYY-MM-DD (default today, UTC)."
    ),
]


class Policy(str, Enum):
    strict = "strict"
    statutory = "statutory"


PolicyOption = Annotated[Policy, typer.Option("--policy", help="Which statuses are excluded.")]


def parse_as_of(value: str | None, default: date | None = None) -> date:
    """``--as-of`` as a date; today (UTC) when absent."""
    if value is None:
        return default or datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--as-of {value!r} is not a date YYYY-MM-DD") from None


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
    from .synth import generate, write_world

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
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
):
    """The whole story on `small` data, in the home, as far as it is built."""
    from ._demo import DEMO_STEPS, run_demo

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
        intact = "[green]intact[/]" if payload["audit"].get("intact") else "[red]BROKEN[/]"
        console.print(f"Audit chain: {intact}, {payload['audit'].get('entries', 0)} entries")
        console.print("\nLook further:")
        data, home_dir = payload["data"], payload["home"]
        console.print(f"  sanitizer registry explain 100000005 --data {data} --home {home_dir}")
        console.print(f"  sanitizer audit verify --home {home_dir}")
        console.print(f"  sanitizer validate {data}")

    emit(payload, as_json, human)


registry_app = typer.Typer(
    help="The sealing registry: New York's rules replayed over court events.",
    no_args_is_help=True,
)
records_app = typer.Typer(help="The court-order access gate.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
lineage_app = typer.Typer(help="Lineage proofs a reviewer can check.", no_args_is_help=True)
events_app = typer.Typer(help="New court events: record, recompute, react.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(records_app, name="records")
app.add_typer(audit_app, name="audit")
app.add_typer(events_app, name="events")
app.add_typer(lineage_app, name="lineage")


@contextmanager
def opened_registry(home: Path | None, db: str | None):
    """The home's registry, for commands that read their inputs first.

    Opening creates the home and its database, so if the command then fails with bad
    input, a home this command created is removed again (CONTRACT.md: exit 2 leaves the
    home exactly as it was). An existing home is never removed.
    """
    from .registry._registry import Registry

    resolved = Home.resolve(home, db)
    existed = resolved.path.exists()
    try:
        yield Registry(resolved)
    except BadInput:
        if not existed and resolved.path.exists():
            shutil.rmtree(resolved.path)
        raise


#: What the registry reads: the rules need arrests and court events (and arrests' persons).
REGISTRY_TABLES = ("persons", "arrests", "court_events")


def load_tables(data: Path, tables: tuple[str, ...] | None = None):
    from .tables import read_tables

    return read_tables(data, tables)


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
    out: Annotated[Path, typer.Option("--out", help="Parquet file, or CSV by extension.")],
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Write every arrest's status as one row (the columns of `registry explain`)."""
    try:
        day = parse_as_of(as_of)
        tables = load_tables(data, REGISTRY_TABLES)
        with opened_registry(home, db) as registry:
            rows = registry.export(tables, day, policy.value, out)
    except SanitizerError as error:
        raise fail(error) from None
    emit(
        {"path": str(out), "rows": rows},
        as_json,
        lambda: Console().print(f"{rows:,} rows -> {out}"),
    )


class RecordType(str, Enum):
    ARREST_REPORT = "ARREST_REPORT"
    PHOTO = "PHOTO"
    PRINTS = "PRINTS"
    COMPLAINT_LINKS = "COMPLAINT_LINKS"
    COURT_PAPERS = "COURT_PAPERS"
    DA_FILE = "DA_FILE"
    PROPERTY = "PROPERTY"


class Purpose(str, Enum):
    INVESTIGATION_OF_SPECIFIC_CRIME = "INVESTIGATION_OF_SPECIFIC_CRIME"
    LICENSE_REVIEW = "LICENSE_REVIEW"
    SUPERVISION = "SUPERVISION"
    EMPLOYMENT = "EMPLOYMENT"
    SUBJECT_REQUEST = "SUBJECT_REQUEST"


@records_app.command("show")
def records_show(
    arrest_key: Annotated[str, typer.Argument(help="The ARREST_KEY whose records are requested.")],
    data: DataOption,
    requester: Annotated[
        str, typer.Option("--as", help="Who asks (a user id, or the subject's PERSON_ID).")
    ],
    purpose: Annotated[Purpose, typer.Option("--purpose", help="Why; must match the grant's.")],
    grant: Annotated[
        str | None, typer.Option("--grant", help="GRANT_ID of the order relied on.")
    ] = None,
    record_type: Annotated[
        RecordType, typer.Option("--record-type", help="Which record.")
    ] = RecordType.ARREST_REPORT,
    case_no: Annotated[
        str | None, typer.Option("--case-no", help="Case or complaint number.")
    ] = None,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """The access gate: show the record if the law allows it; every attempt is audited."""
    from .registry import AccessRequest

    try:
        day = parse_as_of(as_of)
        tables = load_tables(data)
        request = AccessRequest(
            arrest_key=arrest_key,
            requester=requester,
            purpose=purpose.value,
            as_of=day,
            grant_id=grant,
            record_type=record_type.value,
            case_no=case_no,
        )
        with opened_registry(home, db) as registry:
            outcome = registry.show_record(tables, request)
    except SanitizerError as error:
        raise fail(error) from None
    payload = outcome.to_dict()

    def human():
        console = Console()
        verdict = "[green]GRANTED[/]" if payload["granted"] else "[red]DENIED[/]"
        console.print(f"{verdict} {payload['reason']} (audit entry {payload['audit_seq']})")
        if payload.get("record") is not None:
            console.print_json(data=payload["record"])

    emit(payload, as_json, human)
    if not payload["granted"]:
        raise typer.Exit(1)


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
            result = registry.apply_events(tables, file, day)
    except SanitizerError as error:
        raise fail(error) from None
    payload = {
        "newly_excluded": result["newly_excluded"],
        # models that used a newly excluded record: filled in once models are certified
        "decertified": [],
        "recertified": [],
        "refused": [],
        "recorded": result["recorded"],
        "skipped": result["skipped"],
    }

    def human():
        console = Console()
        console.print(
            f"recorded {payload['recorded']} event(s), {payload['skipped']} already known"
        )
        for policy, keys in payload["newly_excluded"].items():
            console.print(f"newly excluded under {policy}: {', '.join(keys) or 'none'}")

    emit(payload, as_json, human)


@lineage_app.command("check-proof")
def lineage_check_proof(
    proof_file: Annotated[Path, typer.Argument(help="The JSON printed by `lineage prove-absent`.")],
    as_json: JsonOption = False,
):
    """Check an absence proof with nothing else: exit 0 valid, 1 invalid."""
    from .lineage import check_proof

    try:
        document = json.loads(proof_file.read_text())
    except (OSError, ValueError) as error:
        raise fail(BadInput(f"{proof_file}: not a readable JSON proof ({error})")) from None
    valid = check_proof(document)
    root = document.get("root") if isinstance(document, dict) else None

    def human():
        verdict = "[green]valid[/]" if valid else "[red]INVALID[/]"
        Console().print(
            f"{verdict}: {document.get('key') if valid else 'proof'} against root {root}"
        )

    emit({"valid": valid, "root": root}, as_json, human)
    if not valid:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Re-check the audit chain against its signed checkpoints (exit 1 if tampered)."""
    try:
        resolved = Home.resolve(home, db)
        if resolved.db_url.startswith("sqlite"):
            from sqlalchemy.engine import make_url

            database = make_url(resolved.db_url).database
            if not database or not Path(database).exists():
                raise BadInput(f"no registry database at {database}; nothing to verify")
        with opened_registry(home, db) as registry:
            result = registry.audit.verify()
    except SanitizerError as error:
        raise fail(error) from None
    payload = result.to_dict()

    def human():
        console = Console()
        if payload["intact"]:
            console.print(f"[green]intact[/]: {payload['entries']:,} entries")
        else:
            console.print(f"[red]TAMPERED[/]: first bad entry {payload['first_bad']}")
            for problem in payload.get("problems", []):
                console.print(f"  {problem}", highlight=False)

    emit(payload, as_json, human)
    if not payload["intact"]:
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()
