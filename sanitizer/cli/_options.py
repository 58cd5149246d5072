"""The options several commands share, declared once so their names and help never drift.

CONTRACT.md promises the same ``--home``, ``--db``, ``--as-of``, ``--policy``, ``--seed``,
``--data`` and ``--json`` on every command that takes them; each is one ``Annotated``
type here that the commands reuse. ``--json`` also tells ``_common.fail`` that an error
must be one JSON object on stdout too.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._common import remember_json

__all__ = [
    "AsOfOption",
    "DataOption",
    "DbOption",
    "HomeOption",
    "JsonOption",
    "ModelUriArgument",
    "Policy",
    "PolicyOption",
    "SeedOption",
    "TreesOption",
]


class Policy(str, Enum):
    """``--policy``: which statuses keep a record out of the models."""

    strict = "strict"
    statutory = "statutory"


JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print exactly one JSON object on stdout.", callback=remember_json),
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
PolicyOption = Annotated[Policy, typer.Option("--policy", help="Which statuses are excluded.")]
TreesOption = Annotated[
    int | None,
    typer.Option("--trees", help="Override the configured number of trees (quick trials)."),
]
ModelUriArgument = Annotated[str, typer.Argument(help="models:/NAME@certified or models:/NAME/N.")]
