"""Build contract-typed arrests / court_events frames from a few dicts (test helper)."""

from __future__ import annotations

import pandas as pd

from sanitizer.tables import PANDAS_DTYPES, SCHEMA


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A frame of ``name`` with every contract column, typed as ``sanitizer.tables`` reads it."""
    schema = SCHEMA[name]
    data = {}
    for column in schema.columns:
        values = [row.get(column.name) for row in rows]
        if column.kind == "bool":
            values = [column.null_as if v is None else v for v in values]
        data[column.name] = pd.Series(values, dtype="object")
    frame = pd.DataFrame(data, index=range(len(rows)))
    for column in schema.columns:
        dtype = PANDAS_DTYPES[column.kind]
        if column.kind == "date":
            frame[column.name] = pd.to_datetime(frame[column.name]).astype(dtype)
        else:
            frame[column.name] = frame[column.name].astype(dtype)
    return frame


def arrests(*rows: dict) -> pd.DataFrame:
    filled = []
    for i, row in enumerate(rows):
        filled.append({"PERSON_ID": "P1", "LAW_CAT_CD": "M", "ARREST_KEY": f"A{i + 1}", **row})
    return table("arrests", filled)


def events(*rows: dict) -> pd.DataFrame:
    filled = []
    for i, row in enumerate(rows):
        filled.append({"EVENT_ID": f"E{i + 1:03d}", "ARREST_KEY": "A1", **row})
    return table("court_events", filled)
