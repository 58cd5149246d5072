"""``sanitizer evaluate``: train without registering, and write the evaluation reports.

A failing gate is a finding of the report here, not a refusal: the command exits 0 once
the files are written. The work is :mod:`sanitizer._evaluate`; this module parses the
options and renders the summary table.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._errors import BadInput, SanitizerError
from .._home import Home
from ._common import emit, fail, load_tables, parse_as_of, readable_database, stage_progress
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

__all__ = ["EvaluateModel", "evaluate"]


class EvaluateModel(str, Enum):
    """``evaluate --model``: which models to train and judge."""

    patternizr = "patternizr"
    recidivism = "recidivism"
    all = "all"


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
    trees: TreesOption = None,
    home: HomeOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
):
    """Train (never register) and write the evaluation table and the fairness report.

    Exit 0 once the files are written, whatever the gates say: a failing gate is a finding
    of the report, not an error of the command.
    """
    from .._evaluate import evaluate_models, evaluation_plan, evaluation_stages, home_snapshot

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
            with readable_database(resolved):
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
