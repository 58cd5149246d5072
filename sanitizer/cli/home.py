"""``sanitizer home copy`` / ``relocate``: a home that works where it is.

MLflow records absolute artifact paths; until they point at the home they are in, every
command that reads models refuses the home (see :mod:`sanitizer.certify._relocate`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .._errors import BadInput, SanitizerError
from .._home import Home
from ._common import emit, fail, opened_registry
from ._options import DbOption, HomeOption, JsonOption

__all__ = ["home_app"]

home_app = typer.Typer(help="The home folder itself.", no_args_is_help=True)


@home_app.command("relocate")
def home_relocate(home: HomeOption = None, db: DbOption = None, as_json: JsonOption = False):
    """Point the MLflow store's artifact paths at this home after moving or copying it."""
    try:
        if not Home.resolve(home, db).path.is_dir():
            raise BadInput(f"{Home.resolve(home, db).path} is not a home (no such folder)")
        with opened_registry(home, db) as registry:
            from ..certify import relocate_home

            moved = relocate_home(registry.home, registry)
    except SanitizerError as error:
        raise fail(error) from None

    def human():
        if moved.old_root == moved.new_root:
            Console().print(f"nothing to do: artifacts already under {moved.new_root}")
        else:
            Console().print(f"artifacts now read from {moved.new_root} (was {moved.old_root})")

    emit(moved.to_dict(), as_json, human)


@home_app.command("copy")
def home_copy(
    target: Annotated[Path, typer.Argument(help="New folder for the copy (must not exist).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
):
    """Copy the home (safely, even while it serves) to TARGET, relocated to work there."""
    try:
        from ..certify import copy_home

        copied = copy_home(Home.resolve(home), target)
    except SanitizerError as error:
        raise fail(error) from None
    emit({"home": str(copied.path)}, as_json, lambda: Console().print(f"copied to {copied.path}"))
