"""``sanitizer serve``: a certified model over HTTP, guarded and audited.

Loading (certificate, guard) and the server are :mod:`sanitizer.serve`; this command
resolves the home, reports where it listens on stderr, and checkpoints the audit log when
it stops so the requests it served can be verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import BadInput, SanitizerError
from .._home import Home
from ._common import fail, parse_as_of, readable_database, stderr
from ._options import DbOption, HomeOption, ModelUriArgument

__all__ = ["serve"]


def serve(
    model_uri: ModelUriArgument,
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
    from ..serve import load_uri, make_server

    try:
        day = parse_as_of(as_of) if as_of is not None else None
        resolved = Home.resolve(home, db)
        with readable_database(resolved):
            model = load_uri(model_uri, as_of=day, home=resolved, data=data)
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
