"""``sanitizer verify`` and ``sanitizer lineage``: what a reviewer runs to check a model.

``verify`` re-checks a model from scratch against the current registry; ``lineage
prove-absent`` proves one arrest was not used, and ``lineage check-proof`` checks such a
proof with nothing else. Each answers exit 1 for "no" and still prints one JSON object.
``verify`` and ``prove-absent`` only read a home's models, so they never create one: a
missing home is bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._errors import BadInput, Refused, SanitizerError
from ._common import emit, fail, load_tables, opened_registry, parse_as_of, stage_progress
from ._options import AsOfOption, DbOption, HomeOption, JsonOption, ModelUriArgument

__all__ = ["lineage_app", "verify"]

#: An empty key is in no data set, so "proving" it absent would prove nothing.
MSG_EMPTY_KEY = "ARREST_KEY is empty; name the arrest to prove absent"

lineage_app = typer.Typer(help="Lineage proofs a reviewer can check.", no_args_is_help=True)


def verify(
    model_uri: ModelUriArgument,
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
    from .._verify import verify_model

    try:
        day = parse_as_of(as_of)
        with opened_registry(home, db, create=False) as registry:
            tables = load_tables(data) if data is not None else None
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


# `sanitizer lineage --help` lists the commands in the order they are registered here.
@lineage_app.command("check-proof")
def lineage_check_proof(
    proof_file: Annotated[Path, typer.Argument(help="The JSON printed by `lineage prove-absent`.")],
    as_json: JsonOption = False,
):
    """Check an absence proof with nothing else: exit 0 valid, 1 invalid."""
    from ..lineage import check_proof

    try:
        document = json.loads(proof_file.read_text())
    except (OSError, ValueError) as error:
        raise fail(BadInput(f"{proof_file}: not a readable JSON proof ({error})")) from None
    valid = check_proof(document)
    root = document.get("root") if isinstance(document, dict) else None
    absent = document.get("absent", True) is not False if isinstance(document, dict) else None

    def human():
        verdict = "[green]valid[/]" if valid else "[red]INVALID[/]"
        claim = "absent from" if absent else "INCLUDED in (used by the model)"
        what = f"{document.get('key')} {claim} the set" if valid else "proof"
        Console().print(f"{verdict}: {what} with root {root}")

    emit({"valid": valid, "root": root, "absent": absent}, as_json, human)
    if not valid:
        raise typer.Exit(1)


@lineage_app.command("prove-absent")
def lineage_prove_absent(
    model_uri: ModelUriArgument,
    arrest_key: Annotated[str, typer.Argument(help="The arrest to prove absent.")],
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Print a proof that the arrest was not in the model's data (exit 1 if it was)."""
    from .._verify import prove_absent

    try:
        if not arrest_key.strip():
            raise BadInput(MSG_EMPTY_KEY)
        with opened_registry(home, db, create=False) as registry:
            proof = prove_absent(registry.home, model_uri, arrest_key)
    except SanitizerError as error:
        if error.exit_code == 1:
            emit({"absent": False, "reason": str(error)}, as_json, lambda: None)
        raise fail(error) from None
    emit(proof, True)
    if not proof["absent"]:  # printed: the proof that it was used instead
        raise fail(Refused(proof["reason"]))
