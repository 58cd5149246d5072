"""Whole-directory checks: keys, references between tables, per-type fields, timelines.

``validate_directory`` reports every problem; ``read_tables`` is what the pipeline calls:
it returns typed tables or raises ``BadInput`` listing what is wrong, so no command ever
works on half-valid data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import BadInput
from . import _issues as msg
from ._arrow import arrow_strings, isin, lookup, value_set
from ._issues import MAX_ROWS_PER_PROBLEM, ValidationReport
from ._read import Tables, locate_tables, read_table
from ._schema import (
    EVENT_TYPE_REQUIRES,
    LIST_SEPARATOR,
    NOTICE_STATUTE_PATTERN,
    SCHEMA,
    WILDCARD,
)

__all__ = ["validate_directory", "read_tables", "check_frames"]

#: Errors listed in a ``BadInput`` message before "... and N more".
MAX_ERRORS_IN_MESSAGE = 20


def validate_directory(
    directory: Path | str, tables: tuple[str, ...] | None = None
) -> tuple[ValidationReport, Tables | None]:
    """Check every table in ``directory`` (or only ``tables``) against the contract.

    Returns the report and, when every wanted table could be read, the typed tables (even
    if the report has errors, so callers can show context). References into a table that
    was not asked for are not checked: ``validate`` itself always reads all seven. Those
    tables are still located (never read), because CONTRACT.md requires all seven: a folder
    ``validate`` rejects with MISSING_TABLE or AMBIGUOUS_TABLE is rejected alike by a
    command that needs only some of its tables.
    """
    wanted = tuple(SCHEMA) if tables is None else tuple(n for n in SCHEMA if n in tables)
    unknown = sorted(set(tables or ()) - set(SCHEMA))
    if unknown:
        raise ValueError(f"unknown tables {unknown}; expected some of {list(SCHEMA)}")
    directory = Path(directory)
    report = ValidationReport()
    if not directory.is_dir():
        report.error("MISSING_TABLE", "*", None, None, f"{directory} is not a directory")
        return report, None
    located = {n: found for n, found in locate_tables(directory, report).items() if n in wanted}
    frames = {}
    for name, (path, fmt) in located.items():
        frame = read_table(name, path, fmt, report)
        if frame is not None:
            frames[name] = frame
    check_frames(frames, report)
    if len(frames) != len(wanted):
        return report, None
    sources = {name: path for name, (path, _) in located.items()}
    return report, Tables(frames, directory, sources)


def read_tables(directory: Path | str, tables: tuple[str, ...] | None = None) -> Tables:
    """Read and validate a data directory (or some of its tables); ``BadInput`` on any error."""
    report, tables = validate_directory(directory, tables)
    if not report.valid or tables is None:
        raise BadInput(describe_errors(Path(directory), report))
    return tables


def describe_errors(directory: Path, report: ValidationReport) -> str:
    shown = [str(e) for e in report.errors[:MAX_ERRORS_IN_MESSAGE]]
    more = len(report.errors) - len(shown)
    lines = [f"{directory} does not match the data contract ({len(report.errors)} errors):"]
    lines += [f"  {line}" for line in shown]
    if more > 0:
        lines.append(f"  ... and {more} more; run `sanitizer validate {directory}` for all")
    return "\n".join(lines)


def check_frames(frames: dict[str, pd.DataFrame], report: ValidationReport) -> None:
    """The checks that span rows or tables, on whatever tables could be read."""
    for name, frame in frames.items():
        _check_keys(name, frame, report)
    value_sets: dict = {}
    for name, frame in frames.items():
        _check_references(name, frame, frames, report, value_sets)
    if "court_events" in frames:
        _check_event_fields(frames["court_events"], report)
        _check_dockets(frames["court_events"], report)
        _check_event_order(frames["court_events"], report)
        if "arrests" in frames:
            _check_events_after_arrest(frames["court_events"], frames["arrests"], report)
    if "arrests" in frames and "persons" in frames:
        _check_born_before_arrest(frames["arrests"], frames["persons"], report)
    if "complaints" in frames:
        _check_complaint_window(frames["complaints"], report)
    if "patterns" in frames:
        _check_pattern_sources(frames["patterns"], report)
    if "access_grants" in frames:
        _check_grant_window(frames["access_grants"], report)


def _check_keys(name: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    key = list(SCHEMA[name].key)
    complete = frame[key].notna().all(axis=1)
    duplicated = frame.duplicated(key, keep="first") & complete
    rows = np.flatnonzero(duplicated.to_numpy())
    if rows.size == 0:
        return
    first_row = (
        frame[key]
        .assign(_row=np.arange(len(frame)) + 1)
        .groupby(key, sort=False)["_row"]
        .transform("min")
        .to_numpy()
    )
    shown = rows[:MAX_ROWS_PER_PROBLEM]
    keys = frame[key].iloc[shown].astype(str).agg("/".join, axis=1).tolist()
    report.row_errors(
        "DUPLICATE_KEY",
        name,
        "/".join(key),
        rows,
        (
            msg.MSG_DUPLICATE_KEY.format(key=k, first_row=int(first_row[r]))
            for k, r in zip(keys, shown, strict=True)
        ),
    )


def _check_references(name, frame, frames, report, value_sets: dict) -> None:
    for column in SCHEMA[name].columns:
        if column.references is None:
            continue
        target_table, target_column = column.references
        if target_table not in frames:
            continue  # already reported as missing or unreadable
        if column.references not in value_sets:
            value_sets[column.references] = value_set(frames[target_table][target_column])
        known = value_sets[column.references]
        values = frame[column.name]
        if column.kind == "list":
            items = values.str.split(LIST_SEPARATOR).explode().dropna()
            items = items[(items != "") & (items != WILDCARD)]
            bad = items[~isin(items, known)]
            rows, shown = bad.index.to_numpy(), bad.tolist()
        else:
            bad_mask = values.notna().to_numpy() & ~isin(values, known)
            rows = np.flatnonzero(bad_mask)
            shown = values.iloc[rows[:MAX_ROWS_PER_PROBLEM]].tolist()
        report.row_errors(
            "DANGLING_REFERENCE",
            name,
            column.name,
            rows,
            (
                msg.MSG_DANGLING.format(
                    value=v, target_table=target_table, target_column=target_column
                )
                for v in shown
            ),
        )


def _check_event_fields(events: pd.DataFrame, report: ValidationReport) -> None:
    for event_type, columns in EVENT_TYPE_REQUIRES.items():
        of_type = (events["EVENT_TYPE"] == event_type).fillna(False).to_numpy()
        for column in columns:
            rows = np.flatnonzero(of_type & events[column].isna().to_numpy())
            report.row_errors(
                "BAD_VALUE",
                "court_events",
                column,
                rows,
                (
                    msg.MSG_REQUIRED_FOR_TYPE.format(column=column, event_type=event_type)
                    for _ in rows
                ),
            )

    _check_notice_statutes(events, report)


def _check_notice_statutes(events: pd.DataFrame, report: ValidationReport) -> None:
    """A SEAL or UNSEAL NOTICE must name a statute the registry knows (what it refuses)."""
    sealing = (
        (events["EVENT_TYPE"] == "NOTICE") & events["NOTICE_ACTION"].isin(["SEAL", "UNSEAL"])
    ).fillna(False)
    statute = events["NOTICE_STATUTE"]
    known = statute.astype("str").str.extract(NOTICE_STATUTE_PATTERN, expand=False).notna()
    bad = sealing & statute.notna() & ~known
    rows = np.flatnonzero(bad.to_numpy(dtype=bool))
    shown = rows[:MAX_ROWS_PER_PROBLEM]
    report.row_errors(
        "BAD_VALUE",
        "court_events",
        "NOTICE_STATUTE",
        rows,
        (
            msg.MSG_NOTICE_STATUTE.format(received=v, action=a)
            for v, a in zip(statute.iloc[shown], events["NOTICE_ACTION"].iloc[shown], strict=True)
        ),
    )


def docket_keys(events: pd.DataFrame) -> pd.Series:
    """One id per docket: the arrest key plus DOCKET_ID (null = the arrest's single docket)."""
    joined = pc.binary_join_element_wise(
        arrow_strings(events["ARREST_KEY"]),
        pc.fill_null(arrow_strings(events["DOCKET_ID"]), ""),
        "\x1f",
    )
    return pd.Series(pd.array(joined, dtype="str"), index=events.index)


def docket_codes(events: pd.DataFrame) -> np.ndarray:
    """Docket ids as dense integer codes (for group-bys that must be fast)."""
    encoded = pc.dictionary_encode(arrow_strings(docket_keys(events)))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _check_dockets(events: pd.DataFrame, report: ValidationReport) -> None:
    named = events.dropna(subset=["DOCKET_ID", "ARREST_KEY"])
    # the docket's owner is the arrest most of its rows name: the odd rows out are wrong
    counts = named.groupby(["DOCKET_ID", "ARREST_KEY"], sort=False).size()
    if counts.index.get_level_values(0).is_unique:
        return
    owner_of = counts.sort_values(ascending=False, kind="stable").reset_index()
    owner_of = owner_of.drop_duplicates("DOCKET_ID").set_index("DOCKET_ID")["ARREST_KEY"]
    owners = _lookup(named["DOCKET_ID"], owner_of)
    conflicting = named[named["ARREST_KEY"] != owners]
    rows = conflicting.index.to_numpy()
    report.row_errors(
        "BAD_VALUE",
        "court_events",
        "DOCKET_ID",
        rows,
        (
            msg.MSG_DOCKET_TWO_ARRESTS.format(docket=d, other=o)
            for d, o in zip(conflicting["DOCKET_ID"], owners[conflicting.index], strict=True)
        ),
    )


#: (event kind needing a predecessor, predecessor, message): on the same docket, on or before.
_PREDECESSORS = (
    (
        ("DISPOSITION", "ACD_RESTORED"),
        ("DISPOSITION", "ACD_GRANTED"),
        "ACD_RESTORED without an earlier ACD_GRANTED on the same docket",
    ),
    (
        ("APPEAL_DECIDED", None),
        ("PEOPLE_APPEAL_FILED", None),
        "APPEAL_DECIDED without an earlier PEOPLE_APPEAL_FILED on the same docket",
    ),
    (
        ("SENTENCE", None),
        ("CONVICTION", None),
        "SENTENCE without an earlier CONVICTION on the same docket",
    ),
    (
        ("RELEASE", None),
        ("SENTENCE", None),
        "RELEASE without an earlier SENTENCE on the same docket",
    ),
    (
        ("SUPERVISION_END", None),
        ("SENTENCE", None),
        "SUPERVISION_END without an earlier SENTENCE on the same docket",
    ),
    (
        ("SUPERVISION_REVOKED", None),
        ("SENTENCE", None),
        "SUPERVISION_REVOKED without an earlier SENTENCE on the same docket",
    ),
)


def _kind_mask(events: pd.DataFrame, kind: tuple[str, str | None]) -> np.ndarray:
    event_type, disposition = kind
    mask = events["EVENT_TYPE"] == event_type
    if disposition is not None:
        mask &= events["DISPOSITION"] == disposition
    return mask.fillna(False).to_numpy(dtype=bool)


def _check_event_order(events: pd.DataFrame, report: ValidationReport) -> None:
    dockets = docket_codes(events)
    n_dockets = int(dockets.max()) + 1 if len(dockets) else 0
    never = np.iinfo(np.int64).max
    days = events["EVENT_DATE"].to_numpy().astype("datetime64[D]").astype(np.int64)
    days = np.where(events["EVENT_DATE"].isna().to_numpy(), never, days)
    for kind, predecessor, message in _PREDECESSORS:
        needs = _kind_mask(events, kind)
        if not needs.any():
            continue
        earliest = np.full(n_dockets, never, dtype=np.int64)
        has = _kind_mask(events, predecessor)
        np.minimum.at(earliest, dockets[has], days[has])
        first = earliest[dockets[needs]]
        ok = (first != never) & (first <= days[needs])
        rows = np.flatnonzero(needs)[~ok]
        report.row_errors(
            "BAD_TIMELINE", "court_events", "EVENT_TYPE", rows, (message for _ in rows)
        )


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by key) looked up for each of ``keys``, keeping the dtype."""
    return lookup(keys, values.index.to_series(), values)


def _check_events_after_arrest(events, arrests, report) -> None:
    arrest_date = _lookup(events["ARREST_KEY"], arrests.set_index("ARREST_KEY")["ARREST_DATE"])
    before = (events["EVENT_DATE"] < arrest_date).fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(before)
    shown = rows[:MAX_ROWS_PER_PROBLEM]
    report.row_errors(
        "BAD_TIMELINE",
        "court_events",
        "EVENT_DATE",
        rows,
        (
            f"event on {e:%Y-%m-%d} is before its arrest {k} on {a:%Y-%m-%d}"
            for e, k, a in zip(
                events["EVENT_DATE"].iloc[shown],
                events["ARREST_KEY"].iloc[shown],
                arrest_date.iloc[shown],
                strict=True,
            )
        ),
    )


def _check_born_before_arrest(arrests, persons, report) -> None:
    birth = _lookup(arrests["PERSON_ID"], persons.set_index("PERSON_ID")["BIRTH_YEAR"])
    too_early = (arrests["ARREST_DATE"].dt.year < birth).fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(too_early)
    shown = rows[:MAX_ROWS_PER_PROBLEM]
    report.row_errors(
        "BAD_TIMELINE",
        "arrests",
        "ARREST_DATE",
        rows,
        (
            f"arrest on {d:%Y-%m-%d} is before its person's birth year {b}"
            for d, b in zip(arrests["ARREST_DATE"].iloc[shown], birth.iloc[shown], strict=True)
        ),
    )


def time_seconds(times: pd.Series) -> np.ndarray:
    """``HH:MM:SS`` texts (already validated) as seconds after midnight; null -> 0."""
    text = pc.fill_null(arrow_strings(times), "00:00:00")
    parts = [
        pc.cast(pc.utf8_slice_codeunits(text, start, start + 2), pa.int64()) for start in (0, 3, 6)
    ]
    seconds = pc.add(pc.add(pc.multiply(parts[0], 3600), pc.multiply(parts[1], 60)), parts[2])
    return seconds.to_numpy(zero_copy_only=False)


def _moment(dates: pd.Series, times: pd.Series) -> pd.Series:
    return dates + pd.to_timedelta(time_seconds(times), unit="s")


def _check_complaint_window(complaints, report) -> None:
    start = _moment(complaints["CMPLNT_FR_DT"], complaints["CMPLNT_FR_TM"])
    end = _moment(complaints["CMPLNT_TO_DT"], complaints["CMPLNT_TO_TM"])
    rows = np.flatnonzero((end < start).fillna(False).to_numpy(dtype=bool))
    report.row_errors(
        "BAD_TIMELINE",
        "complaints",
        "CMPLNT_TO_DT",
        rows,
        ("the complaint's window ends (TO) before it starts (FR)" for _ in rows),
    )


def _check_pattern_sources(patterns, report) -> None:
    needs = (patterns["PATTERN_SOURCE"] == "ARREST_DERIVED").fillna(False)
    rows = np.flatnonzero((needs & patterns["ESTABLISHED_BY_ARREST_KEY"].isna()).to_numpy())
    report.row_errors(
        "BAD_VALUE",
        "patterns",
        "ESTABLISHED_BY_ARREST_KEY",
        rows,
        ("required for an ARREST_DERIVED membership but empty" for _ in rows),
    )


def _check_grant_window(grants, report) -> None:
    inverted = (grants["EXPIRES_AT"] < grants["EFFECTIVE_FROM"]).fillna(False)
    rows = np.flatnonzero(inverted.to_numpy(dtype=bool))
    report.row_errors(
        "BAD_TIMELINE",
        "access_grants",
        "EXPIRES_AT",
        rows,
        ("the grant expires before it takes effect" for _ in rows),
    )
