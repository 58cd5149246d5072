"""Build frames in the in-memory types from plain records (tests, the synthetic world)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ._read import PANDAS_DTYPES
from ._schema import SCHEMA

__all__ = ["make_frame"]


def make_frame(name: str, records: Sequence[Mapping] | Mapping[str, Sequence] = ()) -> pd.DataFrame:
    """A frame of table ``name`` with every contract column, in order and in its type.

    Columns the records leave out are null (booleans take the contract's default).
    Unknown column names raise, so a typo cannot silently become an extra column.
    """
    schema = SCHEMA[name]
    raw = pd.DataFrame(records if not isinstance(records, Mapping) else dict(records))
    unknown = sorted(set(raw.columns) - set(schema.column_names))
    if unknown:
        raise KeyError(f"{name} has no column(s) {unknown}; expected some of {schema.column_names}")
    columns = {}
    for column in schema.columns:
        dtype = PANDAS_DTYPES[column.kind]
        if column.name in raw:
            values = raw[column.name]
        else:
            values = pd.Series([None] * len(raw), dtype="object")
        if column.kind == "bool":
            values = values.astype("object").where(values.notna(), column.null_as).astype(bool)
        elif column.kind == "date":
            values = pd.to_datetime(values).astype(dtype)
        else:
            values = values.astype(dtype)
        columns[column.name] = values.reset_index(drop=True)
    return pd.DataFrame(columns)
