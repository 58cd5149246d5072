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
    """The whole story on `small` data, in the home: registry to report."""
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
        intact = "[green]intact[/]" if payload["audit"].get("intact") else "[red]BROKEN[/]"
        console.print(f"Audit chain: {intact}, {payload['audit'].get('entries', 0)} entries")
        console.print(f"[bold]Compliance report[/]: {payload['report']}")
        console.print("\nLook further:")
        data, home_dir = payload["data"], payload["home"]
        console.print(f"  open {payload['report']}")
        console.print(f"  mlflow ui --backend-store-uri sqlite:///{home_dir}/mlflow.db")
        for uri in payload["models"][:1]:
            console.print(f"  sanitizer verify {uri} --home {home_dir} --as-of {day}")
            console.print(
                f"  sanitizer verify {uri} --data {data} --home {home_dir} --as-of {day}"
            )
        console.print(f"  sanitizer registry explain 100000005 --data {data} --home {home_dir}")
        console.print(f"  sanitizer audit verify --home {home_dir}")
        console.print(f"  sanitizer report --home {home_dir} --as-of {day}")

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
retrain_app = typer.Typer(
    help="Sanitize, train, check, gate, certify and register a model.", no_args_is_help=True
)
app.add_typer(retrain_app, name="retrain")


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
            from ._compliance import apply_events

            with stage_progress("events apply", 8) as advance:
                result = apply_events(
                    registry.home, tables, file, as_of=day, registry=registry, progress=advance
                )
    except SanitizerError as error:
        raise fail(error) from None
    payload = {
        "newly_excluded": result["newly_excluded"],
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
        for uri in payload["decertified"]:
            console.print(f"[yellow]decertified[/] {uri}: {payload['reasons'][uri]}")
        for uri in payload["recertified"]:
            console.print(f"[green]recertified[/] {uri}")
        for uri in payload["refused"]:
            console.print(f"[red]retrain refused[/] for {uri}; nothing serves it now")

    emit(payload, as_json, human)
    if payload["refused"]:
        raise typer.Exit(1)


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


# --- models -------------------------------------------------------------------------------------
class CrimeType(str, Enum):
    burglary = "burglary"
    robbery = "robbery"
    grand_larceny = "grand-larceny"


MitigateOption = Annotated[
    bool,
    typer.Option(
        "--mitigate", help="Apply the fairness mitigation (see --mitigation) before gating."
    ),
]
MitigationOption = Annotated[
    str,
    typer.Option(
        "--mitigation",
        help="threshold_optimizer (per-group thresholds at serving) or exponentiated_gradient.",
    ),
]
TreesOption = Annotated[
    int | None,
    typer.Option("--trees", help="Override the configured number of trees (quick trials)."),
]


def _retrain_command(
    kind, crime_type, data, as_of, policy, seed, mitigate, mitigation, trees, home, db, as_json
) -> None:
    from ._retrain import retrain

    try:
        day = parse_as_of(as_of)
        if mitigate and mitigation not in ("threshold_optimizer", "exponentiated_gradient"):
            raise BadInput(f"--mitigation {mitigation!r} is not a known mitigation")
        tables = load_tables(data)
        with opened_registry(home, db) as registry:
            with stage_progress(f"retrain {kind}", 6) as advance:
                result = retrain(
                    registry.home,
                    tables,
                    kind,
                    crime_type=crime_type,
                    as_of=day,
                    policy=policy,
                    seed=seed,
                    mitigate=mitigation if mitigate else None,
                    overrides={"n_estimators": trees} if trees else {},
                    registry=registry,
                    progress=advance,
                )
    except SanitizerError as error:
        raise fail(error) from None
    payload = result.to_dict()

    def human():
        console = Console()
        if payload["certified"]:
            console.print(f"[green]certified[/] {payload['model_uri']}")
        else:
            console.print(f"[red]refused[/] {result.name} (run {payload['run_id']})")
            for reason in payload["reasons"]:
                console.print(f"  {reason}", highlight=False)
        table = Table("gate", "passed")
        for gate, verdict in payload["gates"].items():
            table.add_row(gate, "yes" if verdict.get("passed") else "[red]no[/]")
        console.print(table)
        console.print(
            f"fingerprint {payload['fingerprint']}; valid until "
            f"{payload['valid_until'] or 'no expiry'}"
        )

    emit(payload, as_json, human)
    if not payload["certified"]:
        raise typer.Exit(1)


@retrain_app.command("patternizr")
def retrain_patternizr(
    data: DataOption,
    crime_type: Annotated[CrimeType, typer.Option("--crime-type", help="Which pattern model.")],
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    seed: SeedOption = 0,
    mitigate: MitigateOption = False,
    mitigation: MitigationOption = "threshold_optimizer",
    trees: TreesOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Retrain one crime type's pattern model; certify and register it if every gate passes."""
    _retrain_command(
        "patternizr",
        crime_type.value,
        data,
        as_of,
        policy.value,
        seed,
        mitigate,
        mitigation,
        trees,
        home,
        db,
        as_json,
    )


@retrain_app.command("recidivism")
def retrain_recidivism(
    data: DataOption,
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    seed: SeedOption = 0,
    mitigate: MitigateOption = False,
    mitigation: MitigationOption = "threshold_optimizer",
    trees: TreesOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Retrain the recidivism model; certify and register it if every gate passes."""
    _retrain_command(
        "recidivism",
        None,
        data,
        as_of,
        policy.value,
        seed,
        mitigate,
        mitigation,
        trees,
        home,
        db,
        as_json,
    )


@app.command()
def verify(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@certified or models:/NAME/N.")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Raw tables: also re-run the three lineage checks."),
    ] = None,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Re-check a model from scratch against the current registry (exit 1: not compliant)."""
    from ._verify import verify_model

    try:
        day = parse_as_of(as_of)
        tables = load_tables(data) if data is not None else None
        with opened_registry(home, db) as registry:
            with stage_progress("verify", 5) as advance:
                payload = verify_model(
                    registry.home,
                    model_uri,
                    as_of=day,
                    tables=tables,
                    registry=registry,
                    progress=advance,
                )
    except SanitizerError as error:
        if error.exit_code == 1:  # a refusal is an outcome: still one JSON object
            refused = {"compliant": False, "model_uri": model_uri, "checks": {}, "skipped": []}
            emit({**refused, "reason": str(error)}, as_json, lambda: None)
        raise fail(error) from None

    def human():
        console = Console()
        verdict = "[green]compliant[/]" if payload["compliant"] else "[red]NOT COMPLIANT[/]"
        console.print(f"{verdict}: {payload['model_uri']}")
        table = Table("check", "passed", "detail")
        for name, check in payload["checks"].items():
            table.add_row(name, "yes" if check["passed"] else "[red]no[/]", check["detail"])
        for name in payload["skipped"]:
            table.add_row(name, "skipped", "needs --data")
        console.print(table)

    emit(payload, as_json, human)
    if not payload["compliant"]:
        raise typer.Exit(1)


@lineage_app.command("prove-absent")
def lineage_prove_absent(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@certified or models:/NAME/N.")],
    arrest_key: Annotated[str, typer.Argument(help="The arrest to prove absent.")],
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Print a proof that the arrest was not in the model's data (exit 1 if it was)."""
    from ._verify import prove_absent

    try:
        with opened_registry(home, db) as registry:
            proof = prove_absent(registry.home, model_uri, arrest_key)
    except SanitizerError as error:
        if error.exit_code == 1:
            emit({"absent": False, "reason": str(error)}, as_json, lambda: None)
        raise fail(error) from None
    emit(proof, True)


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


def _parse_day(option: str, value: str | None) -> date | None:
    """A ``--since`` / ``--until`` date, or None when absent; BadInput names the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option} {value!r} is not a date YYYY-MM-DD") from None


@app.command()
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
    from .report import ComplianceReport, report_window

    try:
        window = report_window(
            parse_as_of(as_of), _parse_day("--since", since), _parse_day("--until", until)
        )
        result = ComplianceReport(Home.resolve(home, db), window)
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


class EvaluateModel(str, Enum):
    patternizr = "patternizr"
    recidivism = "recidivism"
    all = "all"


@app.command()
def evaluate(
    data: DataOption,
    model: Annotated[
        EvaluateModel, typer.Option("--model", help="Which models to evaluate.")
    ] = EvaluateModel.all,
    crime_type: Annotated[
        list[str] | None,
        typer.Option(
            "--crime-type",
            help="burglary, robbery or grand-larceny; repeat for several (default: all three).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for evaluation.md/.json and fairness.md/.json "
            "(default HOME/reports/evaluation-AS_OF).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    policy: PolicyOption = Policy.strict,
    seed: SeedOption = 0,
    mitigate: Annotated[
        str | None,
        typer.Option(
            "--mitigate",
            metavar="METHOD",
            help="Judge the recidivism decisions after threshold_optimizer or "
            "exponentiated_gradient.",
            show_default=False,
        ),
    ] = None,
    trees: Annotated[
        int | None,
        typer.Option("--trees", help="Override the configured number of trees (quick trials)."),
    ] = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Train (never register) and write the evaluation table and the fairness report.

    Exit 0 once the files are written, whatever the gates say: a failing gate is a finding
    of the report, not an error of the command.
    """
    from ._evaluate import evaluate_models, evaluation_plan, evaluation_stages, home_snapshot

    try:
        day = parse_as_of(as_of)
        patterns, recidivism = evaluation_plan(model.value, crime_type, mitigate)
        if trees is not None and trees < 1:
            raise BadInput(f"--trees {trees} must be at least 1")
        resolved = Home.resolve(home, db)
        target = out if out is not None else resolved.reports_dir / f"evaluation-{day}"
        if target.exists() and not target.is_dir():
            raise BadInput(f"--out {target} exists and is not a directory")
        tables = load_tables(data)
        truth = data / "truth"
        with stage_progress("evaluate", evaluation_stages(patterns, recidivism)) as advance:
            snapshot = home_snapshot(resolved, tables, day, policy.value)
            run = evaluate_models(
                tables,
                target,
                as_of=day,
                policy=policy.value,
                seed=seed,
                model=model.value,
                crime_types=crime_type,
                mitigate=mitigate,
                snapshot=snapshot,
                truth_dir=truth if truth.is_dir() else None,
                n_estimators=trees,
                progress=advance,
            )
    except SanitizerError as error:
        raise fail(error) from None
    payload = run.to_dict()

    def figure(metrics: dict, key: str) -> str:
        value = metrics.get(key)
        return "—" if value is None else f"{value:.3f}"

    def human():
        console = Console()
        table = Table("model", "fairness", "quality", "headline", title=f"evaluation of {data}")
        for name, result in payload["models"].items():
            gates = result["gates"]
            metrics = result["metrics"]
            if name == "recidivism":
                headline = f"AUC {figure(metrics, 'auc')}"
            else:
                headline = (
                    f"partial rebuild {figure(metrics, 'partial_rebuild')}, "
                    f"recall@10 {figure(metrics, 'recall_at_10')}"
                )
            table.add_row(
                name,
                *(
                    "pass" if gates.get(g, {}).get("passed") else "[red]FAIL[/]"
                    for g in ("fairness", "quality")
                ),
                headline,
            )
        console.print(table)
        for path in payload["files"].values():
            console.print(f"  {path}", highlight=False)

    emit(payload, as_json, human)


@app.command()
def serve(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@certified or models:/NAME/N.")],
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free one).")] = 5000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            envvar="SANITIZER_DATA",
            help="Folder of the seven tables histories are read from (env SANITIZER_DATA).",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Pin the serving date, YYYY-MM-DD (default: today, UTC, each request)."
        ),
    ] = None,
    home: HomeOption = None,
    db: DbOption = None,
):
    """Serve a certified model over HTTP: GET /health, POST /invocations (guarded, audited)."""
    from .serve import load_uri, make_server

    try:
        day = parse_as_of(as_of) if as_of is not None else None
        model = load_uri(model_uri, as_of=day, home=Home.resolve(home, db), data=data)
        server = make_server(model, host, port)
    except SanitizerError as error:
        raise fail(error) from None
    except OSError as error:
        raise fail(BadInput(f"cannot listen on {host}:{port} ({error})")) from None
    bound_host, bound_port = server.server_address[:2]
    stderr.print(
        f"serving {model.uri} on http://{bound_host}:{bound_port} "
        f"(valid until {model.certificate.valid_until or 'no expiry'}); Ctrl-C stops",
        highlight=False,
        soft_wrap=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        model.guard.data.registry.audit.checkpoint()


def main() -> None:
    """Console-script entry point."""
    app()
