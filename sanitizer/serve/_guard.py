"""The inference guard: what every request passes through, whoever serves the model.

Three things, in this order (DESIGN.md, "Inference guard"):

1. **Columns.** A request carrying a column outside the model's allowed inputs is
   refused, naming the columns. MLflow would drop them silently; a caller sending
   ``PERP_RACE`` must learn that it is not used rather than believe it was.
2. **Current data.** Candidate history and person histories are read from the data
   folder, with the home's recorded events replayed, and sanitized against the registry
   *as it is now* (not as it was at training). The clean tables are cached and rebuilt
   when the home records new events or exclusions, or the date changes.
3. **Audit.** Every request, answered or refused, is an ``INFERENCE`` entry in the
   home's audit log (``docs/model-registry.md``); an answer is returned only once its
   entry is written.

The guard runs inside the MLflow pyfunc's ``predict``, so ``mlflow models serve`` serves
guarded too. The certificate checks (:mod:`sanitizer.serve._load`) run before it: when
the pyfunc loads, whoever loads it, and again, cheaply, before every request.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from sqlalchemy import text

from .._errors import BadInput, Refused
from .._home import Home
from ..registry import Registry, build_snapshot
from ..sanitize import SanitizedData, sanitize
from ..tables import Tables, read_tables

__all__ = [
    "CurrentData",
    "InferenceBadInput",
    "InferenceGuard",
    "InferenceRefused",
    "check_columns",
    "serving_actor",
    "serving_as_of",
    "serving_home",
]

MSG_EXTRA = (
    "request refused: column(s) {extra} are not inputs of {model} (allowed: {allowed}); "
    "remove them and send again"
)
MSG_MISSING = "request lacks column(s) {missing} that {model} needs (allowed: {allowed})"
MSG_NOT_TABLE = (
    "request must be a table (DataFrame, list of records or dict of columns); got {kind}"
)
MSG_NO_DATA = (
    "no data folder to serve from: pass --data / data=..., or set SANITIZER_DATA to the "
    "folder holding the seven input tables"
)
MSG_DATA_MISSING = "data folder {path} does not exist"


class InferenceRefused(Refused, MlflowException):
    """The guard refused a request (HTTP 400 under MLflow's scoring server too)."""

    def __init__(self, message: str):
        MlflowException.__init__(self, message, error_code=INVALID_PARAMETER_VALUE)


class InferenceBadInput(BadInput, MlflowException):
    """A request the guard cannot read (malformed values, unknown complaint)."""

    def __init__(self, message: str):
        MlflowException.__init__(self, message, error_code=INVALID_PARAMETER_VALUE)


def _capped(names) -> str:
    names = sorted(str(n) for n in names)
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def as_frame(model_input) -> pd.DataFrame:
    """The request as a DataFrame (MLflow hands DataFrames; the Python API may not)."""
    if isinstance(model_input, pd.DataFrame):
        return model_input
    if isinstance(model_input, (list, dict)):
        try:
            return pd.DataFrame(model_input)
        except ValueError as error:
            raise InferenceBadInput(MSG_NOT_TABLE.format(kind=f"unreadable ({error})")) from None
    raise InferenceBadInput(MSG_NOT_TABLE.format(kind=type(model_input).__name__))


def check_columns(frame: pd.DataFrame, allowed, required, model: str) -> None:
    """Refuse extra columns (named) and missing required ones."""
    extra = [c for c in frame.columns if c not in set(allowed)]
    if extra:
        raise InferenceRefused(
            MSG_EXTRA.format(extra=_capped(extra), model=model, allowed=", ".join(allowed))
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InferenceBadInput(
            MSG_MISSING.format(missing=_capped(missing), model=model, allowed=", ".join(allowed))
        )


@dataclass(frozen=True)
class Current:
    """The data one request is answered from: raw (events merged) and clean tables."""

    as_of: date
    raw: Tables
    clean: SanitizedData
    generation: tuple[int, int]


class CurrentData:
    """The data folder sanitized against the home's current registry, cached.

    Parameters
    ----------
    data : path
        The folder with the seven input tables (read once).
    home : Home
        Its recorded events are replayed and its registry database watched.
    policy : str
        The policy the model was trained under.
    as_of : date, optional
        Pin the registry date; default: today (UTC) at each request.
    """

    def __init__(self, data: Path, home: Home, policy: str, as_of: date | None = None):
        self.data = Path(data)
        self.home = home
        self.policy = policy
        self.as_of = as_of
        self._registry: Registry | None = None
        self._tables: Tables | None = None
        self._current: Current | None = None
        self._lock = threading.Lock()

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.home)
        return self._registry

    def generation(self) -> tuple[int, int]:
        """(recorded events, recorded exclusions): grows whenever ``events apply`` records."""
        with self.registry.store.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM recorded_events), "
                    "(SELECT count(*) FROM recorded_exclusions)"
                )
            ).one()
        return int(row[0]), int(row[1])

    def today(self) -> date:
        return self.as_of or datetime.now(UTC).date()

    def current(self, generation: tuple[int, int] | None = None) -> Current:
        """The clean tables for today and the current registry (rebuilt when stale).

        ``generation`` is :meth:`generation` when the caller has just read it.
        """
        as_of = self.today()
        generation = self.generation() if generation is None else generation
        with self._lock:
            found = self._current
            if found is not None and found.as_of == as_of and found.generation == generation:
                return found
            if self._tables is None:
                if not self.data.is_dir():
                    raise BadInput(MSG_DATA_MISSING.format(path=self.data))
                self._tables = read_tables(self.data)
            raw = self.registry.with_recorded_events(self._tables)
            snapshot = build_snapshot(raw, as_of, self.policy, self.registry.config)
            self._current = Current(as_of, raw, sanitize(raw, snapshot), generation)
            return self._current


def _config_text(config, key: str, env: str | None = None) -> str:
    value = config.get(key) or (os.environ.get(env) if env else None) or ""
    return str(value)


def serving_home(config) -> Home:
    """The home a loaded model serves from, its audit log and registry included.

    ``serving_home`` / ``serving_db_url`` in its config, else ``SANITIZER_HOME`` /
    ``SANITIZER_DB_URL`` (and ``MLFLOW_TRACKING_URI``), else ``./.sanitizer``.
    """
    return Home.resolve(
        _config_text(config, "serving_home") or None,
        _config_text(config, "serving_db_url") or None,
    )


def serving_as_of(config) -> date | None:
    """The pinned date of ``serving_as_of``, or None (today, at every request)."""
    text_value = _config_text(config, "serving_as_of")
    try:
        return date.fromisoformat(text_value) if text_value else None
    except ValueError:
        raise BadInput(f"serving_as_of {text_value!r} is not a date YYYY-MM-DD") from None


def serving_actor(config) -> str:
    """Who a loaded model's audit entries name (``serving_actor``, default ``serve``)."""
    return _config_text(config, "serving_actor") or "serve"


class InferenceGuard:
    """Columns, current data and audit around a model service (see the module docstring).

    Parameters
    ----------
    config : mapping
        The packaged model config (``name``, ``policy``, ``input_columns``,
        ``required_columns`` and the ``serving_*`` overrides).
    service : object
        Has ``prepare(current) -> state`` (cached per :class:`Current`),
        ``predict(state, frame, as_of) -> DataFrame`` (the model's answer, one per
        request row or query) and ``withheld(state, frame, answer) -> int`` (what the
        clean data left out, for the audit entry). A service whose count needs only the
        request sets ``withheld_from_request = True``; the guard then counts in a worker
        thread while the model computes (Arrow kernels release the GIL).
    """

    def __init__(self, config, service):
        self.config = dict(config)
        self.service = service
        self.name = str(self.config.get("name", "model"))
        version = self.config.get("serving_version")
        self.version = int(version) if str(version or "").isdigit() else None
        self.actor = serving_actor(self.config)
        self.allowed = list(self.config.get("input_columns", []))
        self.required = list(self.config.get("required_columns", []))
        data = _config_text(self.config, "serving_data", "SANITIZER_DATA")
        if not data:
            raise BadInput(MSG_NO_DATA)
        home, as_of = serving_home(self.config), serving_as_of(self.config)
        self.data = CurrentData(Path(data), home, str(self.config["policy"]), as_of)
        self._state: tuple[Current, object] | None = None
        self._counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guard-count")

    @property
    def home(self) -> Home:
        return self.data.home

    def _prepared(self, generation=None) -> tuple[Current, object]:
        current = self.data.current(generation)
        state = self._state
        if state is None or state[0] is not current:
            state = (current, self.service.prepare(current))
            self._state = state
        return state

    def audit(self, outcome: str, rows: int, withheld: int, reason: str | None) -> None:
        """Write the request's ``INFERENCE`` entry (docs/model-registry.md)."""
        self.data.registry.audit.append(
            {
                "actor": self.actor,
                "action": "INFERENCE",
                "outcome": outcome,
                "record_ids": [],
                "detail": {
                    "model": self.name,
                    "version": self.version,
                    "rows": int(rows),
                    "filtered_candidates": int(withheld),
                    "reason": reason,
                },
            }
        )

    def predict(self, model_input, generation: tuple[int, int] | None = None) -> pd.DataFrame:
        """Answer one request, guarded and audited.

        ``generation``: the registry's :meth:`CurrentData.generation`, when the caller
        (:class:`~sanitizer.serve.GuardedModel`) has just read it for its own check.
        """
        rows = len(model_input) if hasattr(model_input, "__len__") else 0
        try:
            frame = as_frame(model_input)
            rows = len(frame)
            check_columns(frame, self.allowed, self.required, self.name)
            current, state = self._prepared(generation)
            if getattr(self.service, "withheld_from_request", False):
                counting = self._counter.submit(self.service.withheld, state, frame, None)
                out = self.service.predict(state, frame, current.as_of)
                withheld = counting.result()
            else:
                out = self.service.predict(state, frame, current.as_of)
                withheld = self.service.withheld(state, frame, out)
        except (Refused, BadInput) as error:
            self.audit("REFUSED", rows, 0, str(error))
            raise
        except Exception as error:
            self.audit("REFUSED", rows, 0, f"error: {type(error).__name__}")
            raise
        self.audit("DONE", rows, withheld, None)
        return out
