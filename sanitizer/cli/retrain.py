"""``sanitizer retrain patternizr|recidivism``: one model from registry to certificate.

The two commands take the same options except ``--crime-type`` (CONTRACT.md: recidivism
is "the same" as patternizr). :class:`RetrainOptions` declares those shared options once
and :func:`with_retrain_options` adds them to each command's signature, so the two
commands cannot drift apart; :func:`run_retrain` is the one body both run.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import Annotated, get_type_hints

import typer
from rich.console import Console
from rich.table import Table

from .._errors import BadInput, SanitizerError
from ._common import emit, fail, load_tables, opened_registry, parse_as_of, stage_progress
from ._options import (
    AsOfOption,
    DataOption,
    DbOption,
    HomeOption,
    JsonOption,
    Policy,
    PolicyOption,
    SeedOption,
    TreesOption,
)

__all__ = ["CrimeType", "RetrainOptions", "retrain_app", "run_retrain", "with_retrain_options"]

retrain_app = typer.Typer(
    help="Sanitize, train, check, gate, certify and register a model.", no_args_is_help=True
)

#: The fairness mitigations ``--mitigation`` accepts.
MITIGATIONS = ("threshold_optimizer", "exponentiated_gradient")


class CrimeType(str, Enum):
    """``retrain patternizr --crime-type``: which pattern model."""

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


@dataclass(frozen=True)
class RetrainOptions:
    """The options every retrain command takes, in the order ``--help`` lists them.

    Each field's annotation is its typer option; :func:`with_retrain_options` turns the
    fields into command parameters and hands the parsed values back as one object.
    """

    data: DataOption
    as_of: AsOfOption = None
    policy: PolicyOption = Policy.strict
    seed: SeedOption = 0
    mitigate: MitigateOption = False
    mitigation: MitigationOption = "threshold_optimizer"
    trees: TreesOption = None
    home: HomeOption = None
    db: DbOption = None
    as_json: JsonOption = False


def _shared_parameters() -> list[inspect.Parameter]:
    """:class:`RetrainOptions`' fields as keyword parameters typer can read."""
    hints = get_type_hints(RetrainOptions, include_extras=True)
    return [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[field.name],
            default=inspect.Parameter.empty if field.default is MISSING else field.default,
        )
        for field in fields(RetrainOptions)
    ]


def with_retrain_options(command: Callable[..., None]) -> Callable[..., None]:
    """Turn ``command(options, **own)`` into a typer command taking the shared options too.

    ``--data`` comes first, then the command's own options, then the other shared ones:
    the order ``--help`` has always shown.
    """
    shared = _shared_parameters()
    names = [parameter.name for parameter in shared]
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]

    @functools.wraps(command)
    def wrapper(**values):
        options = RetrainOptions(**{name: values.pop(name) for name in names})
        return command(options, **values)

    parameters = [
        shared[0],
        *(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in own),
        *shared[1:],
    ]
    wrapper.__signature__ = inspect.Signature(parameters)
    wrapper.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return wrapper


def run_retrain(kind: str, crime_type: str | None, options: RetrainOptions) -> None:
    """Retrain ``kind``, print the outcome, and exit 1 when the model was refused."""
    from .._retrain import STEPS, retrain

    try:
        day = parse_as_of(options.as_of)
        if options.mitigate and options.mitigation not in MITIGATIONS:
            raise BadInput(f"--mitigation {options.mitigation!r} is not a known mitigation")
        tables = load_tables(options.data)
        with opened_registry(options.home, options.db) as registry:
            with stage_progress(f"retrain {kind}", len(STEPS)) as advance:
                result = retrain(
                    registry.home,
                    tables,
                    kind,
                    crime_type=crime_type,
                    as_of=day,
                    policy=options.policy.value,
                    seed=options.seed,
                    mitigate=options.mitigation if options.mitigate else None,
                    overrides={"n_estimators": options.trees} if options.trees else {},
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

    emit(payload, options.as_json, human)
    if not payload["certified"]:
        raise typer.Exit(1)


@retrain_app.command("patternizr")
@with_retrain_options
def retrain_patternizr(
    options: RetrainOptions,
    crime_type: Annotated[CrimeType, typer.Option("--crime-type", help="Which pattern model.")],
):
    """Retrain one crime type's pattern model; certify and register it if every gate passes."""
    run_retrain("patternizr", crime_type.value, options)


@retrain_app.command("recidivism")
@with_retrain_options
def retrain_recidivism(options: RetrainOptions):
    """Retrain the recidivism model; certify and register it if every gate passes."""
    run_retrain("recidivism", None, options)
