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
from typer.core import TyperGroup

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
from ._common import emit

__all__ = ["app", "main"]

_ARGV = "sanitizer.argv"
#: The parser's "usage" error: typer vendors click, and its public ``BadParameter`` is one.
_UsageError = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "UsageError")


class _Commands(TyperGroup):
    """The top-level group: ``--json`` keeps its promise for usage errors too.

    A missing option or an unknown value is refused by the argument parser before any
    command code runs, so ``_common.fail`` never sees it; the group that dispatches every
    command does, and prints the one JSON object before the parser's usage message.
    """

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        ctx.meta[_ARGV] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _UsageError as error:
            if "--json" in ctx.meta.get(_ARGV, ()):
                emit({"error": error.format_message(), "exit_code": error.exit_code}, True)
            raise


app = typer.Typer(
    cls=_Commands,
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
