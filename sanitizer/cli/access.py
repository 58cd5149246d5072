"""``sanitizer records show`` and ``sanitizer audit verify``: the access gate and its log.

Every request through the gate is audited, granted or not; ``audit verify`` is how a
reviewer checks that log was not edited afterwards. Both answer exit 1 for "no" (denied,
tampered): a refusal is an outcome, not an error (CONTRACT.md).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .._errors import BadInput, SanitizerError
from .._home import Home
from ._common import emit, fail, load_tables, opened_registry, parse_as_of
from ._options import AsOfOption, DataOption, DbOption, HomeOption, JsonOption

__all__ = ["Purpose", "RecordType", "audit_app", "records_app"]

#: Checked before anything is read: the audit log must say who asked.
MSG_EMPTY_REQUESTER = "--as is empty; name who asks (a user id, or the subject's PERSON_ID)"

records_app = typer.Typer(help="The court-order access gate.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


class RecordType(str, Enum):
    """``records show --record-type``: the record types of SEALING_RULES.md."""

    ARREST_REPORT = "ARREST_REPORT"
    PHOTO = "PHOTO"
    PRINTS = "PRINTS"
    COMPLAINT_LINKS = "COMPLAINT_LINKS"
    COURT_PAPERS = "COURT_PAPERS"
    DA_FILE = "DA_FILE"
    PROPERTY = "PROPERTY"


class Purpose(str, Enum):
    """``records show --purpose``: why the record is asked for; must match the grant's."""

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
    from ..registry import AccessRequest

    try:
        if not requester.strip():
            raise BadInput(MSG_EMPTY_REQUESTER)
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
