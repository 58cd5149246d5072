"""The ``sanitizer`` command: thin wrappers that call one library function each.

Each command parses its options, calls the library, and prints either a human summary
or (``--json``) exactly one JSON object on stdout; progress and logs go to stderr. Only
this package turns the library's exceptions into exit codes (CONTRACT.md): 1 refused,
2 bad input or usage.

One module per command group; the options they share are declared once in ``_options``
and the helpers they share (dates, output, errors, progress, opening the registry) live
in ``_common``. This module only builds the app and registers the commands, in the order
``sanitizer --help`` lists them.
"""

from __future__ import annotations

import typer

from . import (
    access,
    data,
    demo,
    evaluate,
    events,
    home,
    registry,
    report,
    retrain,
    review,
    serve,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="sanitizer",
    help="Keep police ML tools free of sealed New York arrest records, and prove it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for command in (
    data.synth,
    data.validate,
    demo.demo,
    review.verify,
    report.report,
    evaluate.evaluate,
    serve.serve,
):
    app.command()(command)

app.add_typer(registry.registry_app, name="registry")
app.add_typer(access.records_app, name="records")
app.add_typer(access.audit_app, name="audit")
app.add_typer(events.events_app, name="events")
app.add_typer(review.lineage_app, name="lineage")
app.add_typer(retrain.retrain_app, name="retrain")
app.add_typer(home.home_app, name="home")


def main() -> None:
    """Console-script entry point."""
    app()
