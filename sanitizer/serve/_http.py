"""A small HTTP front for a :class:`GuardedModel`, speaking MLflow's scoring protocol.

``GET /health`` (and ``/ping``) answers 200 while the model may serve and 503 with the
reason once it may not (decertified, expired, a used record sealed). ``POST
/invocations`` takes MLflow's JSON payloads, ``{"dataframe_split": {"columns": [...],
"data": [[...]]}}`` or ``{"dataframe_records": [{...}, ...]}``, and returns
``{"predictions": [{column: value}, ...]}``. Refusals are 4xx with ``{"error_code",
"message"}``: 400 for a request the guard refused or could not read, 403 when the model
itself may no longer serve. The standard library's server is enough: one model, one
process, requests answered one at a time (the guard's caches are shared).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd

from .._errors import BadInput, Refused
from ._guard import InferenceRefused

__all__ = ["make_server", "parse_payload"]

MSG_PAYLOAD = (
    "request body must be JSON with 'dataframe_split' ({{'columns': [...], 'data': "
    "[[...]]}}) or 'dataframe_records' ([{{...}}]); {problem}"
)
#: Largest request body accepted, in bytes.
MAX_BODY = 64 * 1024 * 1024


def parse_payload(body: bytes) -> pd.DataFrame:
    """MLflow's ``dataframe_split`` / ``dataframe_records`` JSON as a DataFrame (strings kept)."""
    try:
        document = json.loads(body or b"null")
    except ValueError as error:
        raise BadInput(MSG_PAYLOAD.format(problem=f"not JSON ({error})")) from None
    if not isinstance(document, dict):
        raise BadInput(MSG_PAYLOAD.format(problem="got no JSON object"))
    keys = sorted(set(document) & {"dataframe_split", "dataframe_records"})
    extra = sorted(set(document) - {"dataframe_split", "dataframe_records", "params"})
    if len(keys) != 1 or extra:
        raise BadInput(MSG_PAYLOAD.format(problem=f"got keys {sorted(document)}"))
    value = document[keys[0]]
    try:
        if keys[0] == "dataframe_split":
            if not isinstance(value, dict) or "columns" not in value or "data" not in value:
                raise ValueError("dataframe_split needs 'columns' and 'data'")
            return pd.DataFrame(value["data"], columns=value["columns"], dtype=object)
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise ValueError("dataframe_records must be a list of objects")
        return pd.DataFrame.from_records(value).astype(object)
    except (ValueError, TypeError) as error:
        raise BadInput(MSG_PAYLOAD.format(problem=str(error))) from None


def _predictions_json(frame: pd.DataFrame) -> bytes:
    records = frame.to_json(orient="records", double_precision=15, date_format="iso")
    return b'{"predictions": ' + records.encode("utf-8") + b"}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "sanitizer-serve/1"
    model = None  # set by make_server
    lock = threading.Lock()
    quiet = True

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, json.dumps({"error_code": code, "message": message}).encode())

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path.split("?")[0] not in ("/health", "/ping"):
            return self._error(404, "NOT_FOUND", f"no such endpoint {self.path}")
        with self.lock:
            health = self.model.health()
        self._send(200 if health["status"] == "ok" else 503, json.dumps(health).encode())

    def do_POST(self):  # noqa: N802 - the stdlib's name
        if self.path.split("?")[0] != "/invocations":
            return self._error(404, "NOT_FOUND", f"no such endpoint {self.path}")
        kind = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if kind != "application/json":
            return self._error(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._error(413, "TOO_LARGE", f"request body over {MAX_BODY} bytes")
        try:
            frame = parse_payload(self.rfile.read(length))
            with self.lock:
                out = self.model.predict(frame)
        except (InferenceRefused, BadInput) as error:
            return self._error(400, "INVALID_PARAMETER_VALUE", str(error))
        except Refused as error:
            return self._error(403, "REFUSED", str(error))
        except Exception as error:  # noqa: BLE001 - never a traceback to the client
            return self._error(500, "INTERNAL_ERROR", f"prediction failed ({type(error).__name__})")
        self._send(200, _predictions_json(out))


def make_server(model, host: str = "127.0.0.1", port: int = 5000, *, quiet: bool = True):
    """An ``HTTPServer`` answering for ``model`` (call ``serve_forever``; port 0 picks one)."""
    handler = type("Handler", (_Handler,), {"model": model, "quiet": quiet})
    return HTTPServer((host, port), handler)
