"""The registry of one home: replay events, build snapshots, explain, and gate access.

This is what the CLI's ``registry``, ``records`` and ``audit`` commands call. Every change
to the registry and every access attempt is written to the audit log; a failure before
the commit leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, select

from .._errors import BadInput
from .._home import Home
from ..tables import (
    Issue,
    Tables,
    ValidationReport,
    check_frames,
    content_digest,
    isin,
    make_frame,
    position_in,
)
from ..tables._read import read_table
from ._access import AccessDecision, AccessRequest, decide_access
from ._audit import AuditLog, audit_log_table, create_schema
from ._engine import evaluate
from ._policy import DEFAULT, RulesConfig, get_policy
from ._result import RegistryResult
from ._rules import evaluate_reference
from ._snapshot import SNAPSHOT_COLUMNS, Snapshot, snapshot_digest
from ._store import RegistryStore

__all__ = ["Registry", "AccessOutcome", "build_snapshot", "snapshot_from_result"]

MSG_EVENT_KNOWN = "EVENT_ID {key} is already an event of the data (court_events row {row})"
MSG_EVENT_REPEATED = "EVENT_ID {key} repeats row {row} of this file"
MSG_EVENT_RECORDED = "EVENT_ID {key} is already an event recorded in this home"

#: Contract columns of an arrest shown through the gate, by record type.
_ARREST_REPORT_COLUMNS = (
    "ARREST_KEY",
    "PERSON_ID",
    "ARREST_DATE",
    "PD_CD",
    "PD_DESC",
    "KY_CD",
    "OFNS_DESC",
    "LAW_CODE",
    "LAW_CAT_CD",
    "ARREST_BORO",
    "ARREST_PRECINCT",
    "Latitude",
    "Longitude",
    "AGE_GROUP",
    "PERP_SEX",
    "PERP_RACE",
    "ARREST_NARRATIVE",
)


def _connect_args(url: str) -> dict:
    return {"timeout": 60} if url.startswith("sqlite") else {}


def snapshot_from_result(
    result: RegistryResult, policy: str, inputs: dict[str, str] | None = None
) -> Snapshot:
    """Turn the engine's answer under ``policy`` into a snapshot."""
    profile = get_policy(policy)
    frame = result.for_policy(profile.name)
    records = pd.DataFrame(
        {
            "arrest_key": frame["ARREST_KEY"].astype("str"),
            "person_id": frame["PERSON_ID"].astype("str"),
            "status": frame["status"].astype("str"),
            "statute": frame["statute"],
            "since": frame["since"],
            "access_regime": frame["access_regime"],
            "excluded": frame["excluded"].astype(bool),
            "seals_on": frame["seals_on"],
            "excluded_from": frame["excluded_from"],
            "destroy_class": frame["destroy_class"].astype(bool),
            "reason": frame["reason"],
        }
    )
    dockets = result.by_docket
    partial = records.loc[records["status"] == "PARTIALLY_SEALED", "arrest_key"]
    in_partial = isin(dockets["ARREST_KEY"], partial)
    docket_excluded = isin(dockets["status"].astype("str"), sorted(profile.excluded))
    excluded_dockets = pd.DataFrame(
        {
            "arrest_key": dockets.loc[in_partial & docket_excluded, "ARREST_KEY"].astype("str"),
            "docket_id": dockets.loc[in_partial & docket_excluded, "DOCKET_ID"].astype("str"),
        }
    ).reset_index(drop=True)
    as_of = pd.Timestamp(result.as_of).date()
    return Snapshot(
        as_of,
        profile.name,
        profile.version_hash,
        result.rules_version,
        records,
        excluded_dockets,
        dict(inputs or {}),
    )


def build_snapshot(
    tables: Tables,
    as_of: date,
    policy: str = "strict",
    config: RulesConfig = DEFAULT,
    *,
    explain: bool = True,
) -> Snapshot:
    """The registry snapshot of a set of tables: a pure function, no home involved.

    The lineage checks call it on perturbed copies of the raw data; ``Registry.snapshot``
    calls it after adding the events a home has recorded. ``explain=False`` gives the
    same statuses without the records' reasons and the input digests: for a snapshot
    that is only compared with another, never stored or shown.
    """
    if not explain:
        result = evaluate(tables["arrests"], tables["court_events"], as_of, config, explain=False)
        return snapshot_from_result(result, policy)
    # the input digests (Arrow kernels, which release the GIL) overlap the engine
    with ThreadPoolExecutor(max_workers=1) as pool:
        digests = {
            name: pool.submit(content_digest, tables[name], name)
            for name in ("arrests", "court_events")
        }
        result = evaluate(tables["arrests"], tables["court_events"], as_of, config)
        inputs = {name: future.result() for name, future in digests.items()}
    return snapshot_from_result(result, policy, inputs)


@dataclass(frozen=True)
class AccessOutcome:
    """An access attempt as ``records show`` reports it.

    What the requester sees (``to_dict``) is CONTRACT's ``{"granted", "reason",
    "audit_seq", "record"}``: the requester-facing reason, never the record's status,
    statute or regime (those, and the precise reason, are in the audit entry).
    """

    decision: AccessDecision
    audit_seq: int
    record: dict | None

    def to_dict(self) -> dict:
        reason = self.decision.public_reason
        if reason is None:  # every decision sets it; deny-by-default wording otherwise
            reason = "access audited" if self.decision.granted else "denied"
        out = {"granted": self.decision.granted, "reason": reason, "audit_seq": self.audit_seq}
        if self.decision.granted:
            out["record"] = self.record
        return out


def _jsonable(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    for column in out.columns:
        if str(out[column].dtype).startswith("datetime"):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


@dataclass(frozen=True)
class EventContext:
    """The part of the history some new court events can touch.

    ``arrests``: every arrest of the persons the new events' arrests belong to (a
    person's status reads all of that person's arrests). ``events``: per part of the
    history (the data's events, then the home's recorded ones), the events of those
    arrests and the events sharing a new event's docket number. Found with four scans of
    the millions of history rows and used for both checking the new events and
    re-evaluating the persons they touch: each scan costs 40-90 ms at ``nyc``, where
    recording one sealing must decertify within a second.
    """

    arrests: pd.DataFrame
    events: tuple[pd.DataFrame, ...]

    @classmethod
    def of(
        cls, arrests: pd.DataFrame, parts: list[pd.DataFrame], new: pd.DataFrame
    ) -> EventContext:
        named = arrests.loc[isin(arrests["ARREST_KEY"], new["ARREST_KEY"]), "PERSON_ID"]
        touched = arrests[isin(arrests["PERSON_ID"], named)]
        keys = pd.concat([touched["ARREST_KEY"], new["ARREST_KEY"]], ignore_index=True)
        near = tuple(
            part[isin(part["ARREST_KEY"], keys) | isin(part["DOCKET_ID"], new["DOCKET_ID"])]
            for part in parts
        )
        return cls(touched, near)

    def events_of(self, arrests: pd.DataFrame) -> pd.DataFrame:
        """The context's events (all parts) of these arrests."""
        return pd.concat(
            [part[isin(part["ARREST_KEY"], arrests["ARREST_KEY"])] for part in self.events],
            ignore_index=True,
        )


def new_event_issues(
    arrests: pd.DataFrame,
    events: pd.DataFrame,
    new: pd.DataFrame,
    *,
    recorded: pd.DataFrame | None = None,
    file_rows: np.ndarray | None = None,
    context_only: bool = True,
    context: EventContext | None = None,
    history_rows: Mapping[str, int] | None = None,
) -> list[Issue]:
    """Validation issues of ``new`` court events joining the history (rows 1-based in ``new``).

    The history is the data's ``events`` and the events this home has ``recorded`` (kept
    apart: joining them re-chunks every column of millions of rows, which cost 0.5 s of
    each later recording at ``nyc``). A new event's checks see its own arrest, that
    arrest's other events and the events sharing its docket number; its ``EVENT_ID`` must
    be new among all events. So only those rows of the history are checked with it
    (``context_only``: the :class:`EventContext` of ``new``, or a given one of events
    including them), and the ``EVENT_ID`` by a look-up, not by re-validating the whole
    history: at ``nyc`` that took 15 s of the 20 s between recording a sealing and
    decertifying the models that used it. The other checks' issues are those of a check
    of the whole history (``context_only=False``; the tests hold the two to the same
    issues). ``file_rows`` (1-based, one per row of ``new``) are the rows a repeated
    ``EVENT_ID`` message names; ``history_rows`` (:func:`rows_in_history`, covering the
    new ids) saves looking them up in ``events`` again.
    """
    parts = [events] if recorded is None or recorded.empty else [events, recorded]
    known = arrests
    if context_only:
        if context is None:
            context = EventContext.of(arrests, parts, new)
        known, parts = context.arrests, list(context.events)
    context_events = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    duplicate = ("DUPLICATE_KEY", "court_events")
    issues = [
        i for i in _issues_of_new_rows(known, context_events, new) if (i.code, i.table) != duplicate
    ]
    rows = np.arange(1, len(new) + 1) if file_rows is None else np.asarray(file_rows)
    return _duplicate_event_ids(events, recorded, new, rows, history_rows) + issues


def _issues_of_new_rows(arrests, events, new) -> list[Issue]:
    check = ValidationReport()
    merged = pd.concat([events, new], ignore_index=True)
    check_frames({"arrests": arrests, "court_events": merged}, check)
    offset = len(events)
    return [
        replace(i, row=None if i.row is None else i.row - offset)
        for i in check.errors
        if i.row is None or i.row > offset
    ]


def rows_in_history(history_ids: pd.Series, ids) -> dict[str, int]:
    """The 0-based row in ``history_ids`` of each of ``ids`` found there (first occurrence).

    One probe of the history's millions of ids (about 0.1 s at ``nyc``) for a few ids:
    ``events apply`` asks it once for the recorded and the new events' ids together.
    """
    shared = np.flatnonzero(isin(history_ids, ids))
    rows: dict[str, int] = {}
    for event_id, row in zip(history_ids.iloc[shared].tolist(), shared.tolist(), strict=True):
        rows.setdefault(event_id, row)
    return rows


#: Prefix of the keys of the second history in :func:`excluded_before_and_after`.
_AFTER = "after\x1f"


def excluded_before_and_after(
    arrests: pd.DataFrame,
    before: pd.DataFrame,
    after: pd.DataFrame,
    as_of: date,
    config: RulesConfig = DEFAULT,
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The keys of ``arrests`` excluded, per policy, under two histories of their events.

    One evaluation for both: the rules read only a person's own rows, so the second
    history is evaluated beside the first as other persons (its arrest, person, event and
    docket keys prefixed, which keeps their order), and the engine's fixed cost, about
    0.13 s of pandas on a handful of rows, is paid once on the path from recording a
    sealing to decertifying the models that used it.
    """

    def renamed(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        return frame.assign(**{c: _AFTER + frame[c] for c in columns if c in frame})

    both_arrests = pd.concat(
        [arrests, renamed(arrests, ("ARREST_KEY", "PERSON_ID"))], ignore_index=True
    )
    both_events = pd.concat(
        [before, renamed(after, ("ARREST_KEY", "EVENT_ID", "DOCKET_ID"))], ignore_index=True
    )
    result = evaluate_reference(both_arrests, both_events, as_of, config)
    old: dict[str, set[str]] = {}
    new: dict[str, set[str]] = {}
    for policy in ("strict", "statutory"):
        keys = result.excluded_keys(policy)
        second = keys.str.startswith(_AFTER).to_numpy(dtype=bool)
        old[policy] = set(keys[~second])
        new[policy] = {key[len(_AFTER) :] for key in keys[second]}
    return old, new


def _duplicate_event_ids(
    events: pd.DataFrame,
    recorded: pd.DataFrame | None,
    new: pd.DataFrame,
    file_rows,
    history_rows: Mapping[str, int] | None = None,
) -> list[Issue]:
    """DUPLICATE_KEY issues of new rows whose ``EVENT_ID`` the history or an earlier row has.

    Worded for the file: the data's row in ``court_events``, the home's recorded event,
    or the file's own row.
    """
    ids = new["EVENT_ID"].reset_index(drop=True)
    if history_rows is None:
        history_rows = rows_in_history(events["EVENT_ID"], ids)
    in_history = np.array([history_rows.get(i, -1) for i in ids.tolist()], dtype=np.int64)
    in_home = np.zeros(len(ids), dtype=bool)
    if recorded is not None and not recorded.empty:
        in_home = isin(ids, recorded["EVENT_ID"]) & (in_history < 0)
    first_in_new = position_in(ids, ids)
    earlier = first_in_new < np.arange(len(ids))
    repeated = ids.notna().to_numpy() & ((in_history >= 0) | in_home | earlier)

    def message(r: int) -> str:
        if in_history[r] >= 0:
            return MSG_EVENT_KNOWN.format(key=ids.iloc[r], row=in_history[r] + 1)
        if in_home[r]:
            return MSG_EVENT_RECORDED.format(key=ids.iloc[r])
        return MSG_EVENT_REPEATED.format(key=ids.iloc[r], row=int(file_rows[first_in_new[r]]))

    report = ValidationReport()
    rows = np.flatnonzero(repeated)
    report.row_errors("DUPLICATE_KEY", "court_events", "EVENT_ID", rows, map(message, rows))
    return report.errors


class Registry:
    """The registry of one home (store, audit log) over a data folder's tables."""

    def __init__(self, home: Home, config: RulesConfig = DEFAULT):
        self.home = home.ensure()
        self.config = config
        self.store = RegistryStore.open(home.db_url, home.snapshots_dir)
        # the audit log takes its own write lock (BEGIN IMMEDIATE on SQLite), so it gets a
        # plain engine rather than the store's, whose transactions already begin that way
        audit_engine = create_engine(home.db_url, connect_args=_connect_args(home.db_url))
        create_schema(audit_engine)
        self.audit = AuditLog(audit_engine, home.path)

    # --- events ----------------------------------------------------------------------------
    def with_recorded_events(self, tables: Tables) -> Tables:
        """The tables with every event recorded in this home by ``events apply`` added."""
        recorded = self.recorded_events(tables)
        if recorded.empty:
            return tables
        merged = pd.concat([tables["court_events"], recorded], ignore_index=True)
        return tables.replace(court_events=merged)

    def recorded_events(self, tables: Tables) -> pd.DataFrame:
        """The events recorded in this home by ``events apply`` that the data lacks.

        Kept apart from the data's events where only a few persons' rows are needed
        (recording an event): joining them would copy and re-chunk millions of rows.
        """
        return self._recorded(tables)[0]

    def _recorded(self, tables: Tables, also=()) -> tuple[pd.DataFrame, set[str], dict[str, int]]:
        """``recorded_events``, the ids of every recorded event (one read), and more.

        The third part is :func:`rows_in_history` of those ids and of ``also`` in the
        data's events: one probe of its millions of ids for both.
        """
        base = tables["court_events"]
        payloads = self.store.recorded_payloads()
        ids = [p["EVENT_ID"] for p in payloads]
        history_rows = rows_in_history(base["EVENT_ID"], [*ids, *also])
        if not payloads:
            return make_frame("court_events", []), set(), history_rows
        recorded = make_frame("court_events", payloads)
        known = tables["arrests"]["ARREST_KEY"]
        strangers = recorded.loc[~isin(recorded["ARREST_KEY"], known), "ARREST_KEY"]
        if len(strangers):
            raise BadInput(
                f"this home has recorded events for arrests not in {tables.directory} "
                f"({', '.join(sorted(set(strangers))[:5])}); was it used with other data?"
            )
        in_data = recorded["EVENT_ID"].isin(list(history_rows)).to_numpy()
        return recorded[~in_data].reset_index(drop=True), set(ids), history_rows

    # --- evaluation ------------------------------------------------------------------------
    def evaluate(self, tables: Tables, as_of: date) -> RegistryResult:
        tables = self.with_recorded_events(tables)
        return evaluate(tables["arrests"], tables["court_events"], as_of, self.config)

    def snapshot(self, tables: Tables, as_of: date, policy: str = "strict") -> Snapshot:
        """Compute a snapshot without storing it (what sanitize and lineage use).

        :func:`build_snapshot` on the tables with this home's recorded events, so the
        input digests overlap the rules engine here too.
        """
        return build_snapshot(self.with_recorded_events(tables), as_of, policy, self.config)

    def build(
        self, tables: Tables, as_of: date, policy: str = "strict", actor: str = "cli"
    ) -> Snapshot:
        """Compute, store and audit a snapshot; storing the same snapshot twice is a no-op."""
        return self.store_snapshot(self.snapshot(tables, as_of, policy), actor)

    def store_snapshot(
        self, snapshot: Snapshot, actor: str = "cli", audit_unchanged: bool = True
    ) -> Snapshot:
        """Store and audit an already computed snapshot (idempotent).

        ``audit_unchanged=False`` records nothing when the snapshot was already stored
        (retraining on a known snapshot is not a registry event).
        """
        try:
            with self.store.engine.begin() as connection:
                stored = self.store.save_snapshot(snapshot, connection)
        except BaseException:
            if not self.store.has_snapshot(snapshot.snapshot_id):
                self.store.discard_status_file(snapshot.snapshot_id)
            raise
        if not stored and not audit_unchanged:
            return snapshot
        self.audit.append(
            {
                "actor": actor,
                "action": "REGISTRY_SNAPSHOT",
                "outcome": "STORED" if stored else "UNCHANGED",
                "record_ids": [],
                "detail": {k: v for k, v in snapshot.to_dict().items() if k != "inputs"},
            }
        )
        self.audit.checkpoint()
        return snapshot

    def person_result(
        self, merged: Tables, arrest_key: str, as_of: date, rows: Mapping | None = None
    ) -> RegistryResult:
        """The reference engine on one person's rows: exact, and fast at any scale.

        ``merged`` already holds the home's recorded events (``with_recorded_events``);
        callers that need the tables again merge once and pass them here, and callers that
        already hold the person's rows (:func:`_person_rows`) pass those.
        """
        if rows is None:
            arrests = merged["arrests"]
            match = arrests.loc[arrests["ARREST_KEY"] == arrest_key, "PERSON_ID"]
            if match.empty:
                raise KeyError(arrest_key)
            rows = _person_rows(merged, match.iloc[0])
        return evaluate_reference(rows["arrests"], rows["court_events"], as_of, self.config)

    def explain(self, tables: Tables, arrest_key: str, as_of: date, policy: str = "strict") -> dict:
        """One arrest's status and why (``registry explain``)."""
        try:
            result = self.person_result(self.with_recorded_events(tables), arrest_key, as_of)
        except KeyError:
            raise BadInput(
                f"no arrest {arrest_key!r} in {tables.directory or 'the arrests table'}"
            ) from None
        return result.explain(arrest_key, policy)

    def export(self, tables: Tables, as_of: date, policy: str, out: Path) -> int:
        """Every arrest as one row with the columns of ``registry explain``."""
        snapshot = self.snapshot(tables, as_of, policy)
        frame = snapshot.records[list(SNAPSHOT_COLUMNS)].copy()
        for column in ("since", "seals_on", "excluded_from"):
            frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        if out.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        tmp.replace(out)
        return int(len(frame))

    # --- integrity ---------------------------------------------------------------------------
    def integrity_problems(self, snapshot_ids: list[str] = (), chain: bool = True) -> list[str]:
        """What is wrong with the stored registry, checked against itself and the audit log.

        The audit chain must be intact; each named snapshot must be stored, its digest must
        follow from its recorded parts and its status file must still hash to its recorded
        SHA-256 and status root; the events and exclusions recorded by ``events apply``
        must be exactly those its audited ``REGISTRY_EVENTS`` entries list (a deleted or
        slipped-in row is tampering). Empty when all is well. ``chain=False`` skips walking
        the whole audit chain (what a model load can afford on every call) and checks only
        the ``REGISTRY_EVENTS`` entries read here, each against its hash and predecessor.
        """
        problems = []
        verified = self.audit.verify() if chain else None
        if verified is not None and not verified.intact:
            problems.append(f"the audit chain is broken at entry {verified.first_bad}")
        if not chain:  # at least the entries read below must be as written
            problems += self.audit.entry_problems("REGISTRY_EVENTS")
        for snapshot_id in snapshot_ids:
            try:
                meta = self.store.snapshot_meta(snapshot_id)
            except BadInput:
                problems.append(f"snapshot {snapshot_id} is not stored in this registry")
                continue
            parts = (meta["as_of"], meta["policy"], meta["rules_version"], meta["status_root"])
            if snapshot_digest(*parts) != meta["digest"]:
                problems.append(f"snapshot {snapshot_id}: its digest does not match its parts")
            try:
                intact = self.store.verify_status_file(snapshot_id)
            except BadInput as missing:
                problems.append(str(missing))
                continue
            if not intact:
                problems.append(f"snapshot {snapshot_id}: its status file was altered")
        audited_events, audited_exclusions = set(), set()
        for detail in self.audit.details("REGISTRY_EVENTS"):  # in the order applied
            audited_events.update(detail.get("recorded") or [])
            for policy, keys in (detail.get("no_longer_excluded") or {}).items():
                audited_exclusions.difference_update((key, policy) for key in keys)
            for policy, keys in (detail.get("newly_excluded") or {}).items():
                audited_exclusions.update((key, policy) for key in keys)
        recorded = {p["EVENT_ID"] for p in self.store.recorded_payloads()}
        exclusions = self.store.exclusions()
        excluded = set(zip(exclusions["arrest_key"], exclusions["policy"], strict=True))
        for what, stored, audited in (
            ("recorded event", recorded, audited_events),
            ("recorded exclusion", excluded, audited_exclusions),
        ):
            if stored - audited:
                problems.append(f"{len(stored - audited)} {what}(s) that no audit entry lists")
            if audited - stored:
                problems.append(f"{len(audited - stored)} audited {what}(s) missing from the store")
        return problems

    # --- new court events --------------------------------------------------------------------
    def read_event_file(self, tables: Tables, path: Path) -> pd.DataFrame:
        """Read and check a file of new court events against the data; BadInput if wrong.

        Errors name the file and its 1-based data rows: types and vocabularies (the
        contract's ``court_events`` table), unknown arrests, repeated ``EVENT_ID``s, and
        impossible timelines once the events join the history already known.
        """
        return self._read_event_file(tables, path)[0]

    def _read_event_file(self, tables: Tables, path: Path) -> tuple[pd.DataFrame, EventContext]:
        """``read_event_file`` and the :class:`EventContext` the events were checked in.

        The home's recorded events are read once the file's ids are known, so that one
        probe of the data's millions of event ids serves both (``_recorded``).
        """
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "parquet") or not path.is_file():
            raise BadInput(f"{path}: expected an existing .csv or .parquet file of court events")
        report = ValidationReport()
        new = read_table("court_events", path, fmt, report)
        context = None
        if new is not None and report.valid:
            recorded, recorded_ids, history_rows = self._recorded(tables, also=new["EVENT_ID"])
            # one context for all the file's events, so that ``apply_events`` re-evaluates
            # the persons they touch from it; a wider context than the fresh events' own
            # checks them the same (the rows it adds are other arrests and dockets)
            parts = [tables["court_events"]] + ([] if recorded.empty else [recorded])
            context = EventContext.of(tables["arrests"], parts, new)
            # events this home already recorded are checked for identical content when
            # they are recorded again (idempotence); the rest must fit the history
            fresh = ~isin(new["EVENT_ID"], sorted(recorded_ids))
            file_rows = np.flatnonzero(fresh) + 1
            issues = new_event_issues(
                tables["arrests"],
                tables["court_events"],
                new[fresh],
                recorded=recorded,
                file_rows=file_rows,
                context=context,
                history_rows=history_rows,
            )
            for issue in issues:
                row = None if issue.row is None else int(file_rows[issue.row - 1])
                report.error(issue.code, issue.table, issue.column, row, issue.message)
        if not report.valid:
            lines = [f"{path.name}: {len(report.errors)} problem(s) in the new court events:"]
            lines += [f"  {e}" for e in report.errors[:20]]
            raise BadInput("\n".join(lines))
        return new, context

    def apply_events(self, tables: Tables, path: Path, as_of: date, actor: str = "cli") -> dict:
        """Record new court events in the home and say which arrests they newly exclude.

        All or nothing: the file is checked completely before anything is written, and
        the events are written in one transaction. Applying the same file twice records
        nothing the second time. Only the persons the events touch are re-evaluated: a
        person's status never depends on other people's rows.
        """
        new, context = self._read_event_file(tables, path)
        keys = new["ARREST_KEY"].drop_duplicates()
        # the touched persons' arrests and events, before and after, from the context
        # the new events were checked in: the history is scanned once for both
        touched = context.arrests
        mine = context.events_of(touched)
        payloads = _jsonable(new)
        batch_id = hashlib.sha256(
            json.dumps(payloads, sort_keys=True, default=str).encode()
        ).hexdigest()
        # every new event is of a touched arrest, so ``mine`` has any it repeats
        added = new[~isin(new["EVENT_ID"], mine["EVENT_ID"])]
        old, now = excluded_before_and_after(
            touched, mine, pd.concat([mine, added], ignore_index=True), as_of, self.config
        )
        newly = {p: sorted(now[p] - old[p]) for p in ("strict", "statutory")}
        # what the events undo (a 160.58 sealing reopened by a new arrest, an ACD restored
        # to the calendar): usable again, so no longer held against models certified later
        no_longer = {p: sorted(old[p] - now[p]) for p in ("strict", "statutory")}
        with self.store.engine.begin() as connection:
            recorded_ids = self.store.record_events(payloads, batch_id, connection)
            if recorded_ids:
                self.store.forget_exclusions(no_longer, connection)
                self.store.record_exclusions(newly, batch_id, connection)
            else:
                no_longer = {p: [] for p in no_longer}
        self.audit.append(
            {
                "actor": actor,
                "action": "REGISTRY_EVENTS",
                "outcome": "APPLIED" if recorded_ids else "UNCHANGED",
                "record_ids": sorted(keys.tolist()),
                "detail": {
                    "file": Path(path).name,
                    "batch": batch_id,
                    "recorded": recorded_ids,
                    "skipped": int(len(new) - len(recorded_ids)),
                    "as_of": as_of.isoformat(),
                    "newly_excluded": newly,
                    "no_longer_excluded": no_longer,
                },
            }
        )
        self.audit.checkpoint()
        return {
            "newly_excluded": newly,
            "no_longer_excluded": no_longer,
            "recorded": len(recorded_ids),
            "skipped": int(len(new) - len(recorded_ids)),
        }

    # --- access ----------------------------------------------------------------------------
    def show_record(self, tables: Tables, request: AccessRequest) -> AccessOutcome:
        """Decide an access request, audit it (granted or denied), and return the record.

        Refused with BadInput (exit 2) before anything is written: an as-of date earlier
        than the newest court event the data and this home hold, or than the as-of date of
        the newest access decision in this home's audit log (the gate's clock never runs
        backwards), and a signing key the closing checkpoint could not use. An arrest
        dated after the as-of date does not exist as of then; a record shown holds no
        event dated after it, and no event of a sealed docket the request does not open.
        """
        merged = self.with_recorded_events(tables)
        _check_access_clock(self.audit, merged, request.as_of)
        # load the signing key now: failing in the checkpoint would leave an entry behind
        self.audit.require_signing_key()
        arrests = merged["arrests"]
        mine = arrests["ARREST_KEY"] == request.arrest_key
        found = arrests.loc[mine, ["PERSON_ID", "ARREST_DATE"]]
        result, record_status, rows, after_as_of = None, None, None, False
        if not found.empty:  # one look-up of the arrest: its person and date
            person_id, arrested = found.iloc[0]
            after_as_of = pd.Timestamp(arrested).date() > request.as_of
            if not after_as_of:
                # the person's rows, read once: the engine's input and the supervision
                # record the gate checks for every docket it decides
                rows = _person_rows(merged, person_id)
                result = self.person_result(merged, request.arrest_key, request.as_of, rows)
                record_status = result.explain(request.arrest_key)
                record_status["person_id"] = person_id
        grants = tables["access_grants"]
        decision = decide_access(request, record_status, grants, rows)
        record, withheld = None, []
        if decision.granted:
            withheld = _withheld_dockets(request, result, record_status["person_id"], grants, rows)
            record = self._record(merged, request, withheld)
        seq = self.audit.append(
            {
                "actor": request.requester,
                "action": "ACCESS",
                "outcome": "GRANTED" if decision.granted else "DENIED",
                "record_ids": [request.arrest_key],
                "grant_id": request.grant_id,
                "purpose": request.purpose,
                "detail": {
                    "record_type": request.record_type,
                    "case_no": request.case_no,
                    "as_of": request.as_of.isoformat(),
                    "status": decision.status,
                    "statute": decision.statute,
                    "access_regime": decision.access_regime,
                    "basis": decision.basis,
                    "reason": decision.reason,
                    "told": decision.public_reason,
                    "arrest_after_as_of": after_as_of,
                    "withheld_dockets": withheld,
                },
            },
            # under the log's lock: a concurrent request may have decided a later as-of
            before_commit=lambda conn: _check_access_clock_locked(conn, request.as_of),
        )
        self.audit.checkpoint()
        return AccessOutcome(decision, seq, record)

    def _record(self, merged: Tables, request: AccessRequest, withheld: list[str]) -> dict:
        """The content of one record type of a granted request (SEALING_RULES.md, A).

        ARREST_REPORT is the arrest row; COURT_PAPERS the court events; PHOTO the photo
        reference; COMPLAINT_LINKS the complaint-arrest links. Court events are dated no
        later than the as-of date, and those of ``withheld`` dockets (sealed dockets of the
        arrest that the request does not open) are left out.
        """
        arrest = merged["arrests"]
        arrest = arrest[arrest["ARREST_KEY"] == request.arrest_key]
        record: dict = {"record_type": request.record_type}
        if request.record_type == "ARREST_REPORT":
            record["arrest"] = _jsonable(arrest[list(_ARREST_REPORT_COLUMNS)])[0]
        elif request.record_type == "PHOTO":
            record["photo_id"] = (
                arrest["PHOTO_ID"].iloc[0] if arrest["PHOTO_ID"].notna().any() else None
            )
        elif request.record_type == "COMPLAINT_LINKS":
            links = merged["complaint_arrests"]
            record["complaint_links"] = _jsonable(links[links["ARREST_KEY"] == request.arrest_key])
        elif request.record_type == "COURT_PAPERS":
            events = merged["court_events"]
            events = events[events["ARREST_KEY"] == request.arrest_key]
            events = events[events["EVENT_DATE"] <= pd.Timestamp(request.as_of)]
            events = events[~events["DOCKET_ID"].fillna("").isin(withheld)]
            record["court_events"] = _jsonable(events.dropna(axis=1, how="all"))
        else:
            record["note"] = f"{request.record_type} records are not held in this data set"
        return record


# --- the access gate's helpers (``show_record``) ---------------------------------------------
MSG_AS_OF_EVENTS = (
    "--as-of {as_of} is before {newest}, the date of the newest court event the data and "
    "this home hold: the gate does not decide as of a moment before facts it already "
    "knows; use --as-of {newest} or later"
)
MSG_AS_OF_ACCESS = (
    "--as-of {as_of} is before {newest}, the as-of date of the newest access decision in "
    "this home's audit log: the gate's clock never runs backwards; use --as-of {newest} "
    "or later"
)


def _newest_access_as_of(conn, skip: int = 0) -> date | None:
    """The as-of date of the newest ACCESS entry (after ``skip`` newer ones), if any."""
    t = audit_log_table
    query = select(t.c.detail).where(t.c.action == "ACCESS").order_by(t.c.seq.desc())
    row = conn.execute(query.limit(1).offset(skip)).first()
    if row is None:
        return None
    try:
        return date.fromisoformat(json.loads(row[0])["as_of"])
    except (TypeError, ValueError, KeyError):
        return None  # an unreadable entry is ``audit verify``'s finding, not the gate's


def _check_access_clock(audit: AuditLog, merged: Tables, as_of: date) -> None:
    """BadInput unless ``as_of`` is no earlier than every fact and decision already known."""
    newest_event = merged["court_events"]["EVENT_DATE"].max()
    if pd.notna(newest_event) and pd.Timestamp(newest_event).date() > as_of:
        newest = pd.Timestamp(newest_event).date()
        raise BadInput(MSG_AS_OF_EVENTS.format(as_of=as_of, newest=newest))
    with audit.engine.connect() as conn:
        newest = _newest_access_as_of(conn)
    if newest is not None and newest > as_of:
        raise BadInput(MSG_AS_OF_ACCESS.format(as_of=as_of, newest=newest))


def _check_access_clock_locked(conn, as_of: date) -> None:
    """The audit-log half of ``_check_access_clock``, under the lock, after the new entry."""
    newest = _newest_access_as_of(conn, skip=1)
    if newest is not None and newest > as_of:
        raise BadInput(MSG_AS_OF_ACCESS.format(as_of=as_of, newest=newest))


def _person_rows(merged: Tables, person_id: str) -> dict[str, pd.DataFrame]:
    """One person's ``arrests`` and ``court_events`` (a few rows out of millions)."""
    arrests = merged["arrests"]
    person_arrests = arrests[arrests["PERSON_ID"] == person_id]
    events = merged["court_events"]
    return {
        "arrests": person_arrests,
        "court_events": events[isin(events["ARREST_KEY"], person_arrests["ARREST_KEY"])],
    }


def _withheld_dockets(
    request: AccessRequest,
    result: RegistryResult,
    person_id: str,
    grants: pd.DataFrame,
    rows: Mapping,
) -> list[str]:
    """The sealed dockets of a granted arrest that this request does not open.

    Each docket whose own access regime is not UNRESTRICTED (a PARTIALLY_SEALED arrest's
    sealed dockets, or those of a sealed arrest) is decided on its own status and statute:
    shown only to a grant that passes every check for that regime, or to the subject of
    an expunged docket on their own request.
    """
    dockets = result.by_docket
    dockets = dockets[
        (dockets["ARREST_KEY"] == request.arrest_key) & (dockets["access_regime"] != "UNRESTRICTED")
    ]
    withheld = []
    for docket in dockets.itertuples(index=False):
        statute = docket.statute if isinstance(docket.statute, str) else None
        status = {
            "arrest_key": request.arrest_key,
            "person_id": person_id,
            "status": docket.status,
            "statute": statute,
            "access_regime": docket.access_regime,
        }
        if not decide_access(request, status, grants, rows).granted:
            withheld.append("" if pd.isna(docket.DOCKET_ID) else str(docket.DOCKET_ID))
    return sorted(withheld)
