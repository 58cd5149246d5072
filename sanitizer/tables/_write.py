"""Write tables in the contract's formats, and their canonical text.

The canonical text of a value is what CONTRACT.md's content digest hashes and what the
CSV writer prints, so a table written as CSV and read back hashes to the same digest as
its Parquet twin: dates ``YYYY-MM-DD``, booleans ``true``/``false``, integers in decimal,
floats in their shortest round-trip form as Arrow prints them (``72``, ``40.7``,
``1e-7``), null as the empty string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ._read import ARROW_TYPES
from ._schema import SCHEMA, TableSchema

__all__ = ["to_arrow", "canonical_text", "content_digest", "write_table", "write_tables", "FORMATS"]

FORMATS = ("parquet", "csv")


def to_arrow(frame: pd.DataFrame, schema: TableSchema) -> pa.Table:
    """A frame in the in-memory types -> an Arrow table in contract order and types.

    Raises ``KeyError`` naming the missing columns; values that do not fit their type
    raise from Arrow. Writers of synthetic or derived tables call this, so what they
    write is exactly what readers expect.
    """
    missing = [c for c in schema.column_names if c not in frame.columns]
    if missing:
        raise KeyError(f"{schema.name}: frame lacks contract columns {missing}")
    arrays = []
    for column in schema.columns:
        series = frame[column.name]
        arrow_type = ARROW_TYPES[column.kind]
        if column.kind == "date":
            values = pd.to_datetime(series).astype("datetime64[s]")
            array = pa.array(values, type=pa.timestamp("s"), from_pandas=True)
            array = pc.cast(array, pa.date32())
        elif column.kind == "bool":
            array = pa.array(series.fillna(column.null_as).astype(bool), type=pa.bool_())
        else:
            array = pa.array(series, type=arrow_type, from_pandas=True)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=schema.column_names)


def canonical_text(table: pa.Table) -> pa.Table:
    """Every column as its canonical CSV text (nulls stay null)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            columns.append(column)
        else:
            columns.append(pc.cast(column, pa.string()))
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_table(frame: pd.DataFrame, name: str, directory: Path, fmt: str = "parquet") -> Path:
    """Write one table as ``directory/NAME.fmt``; deterministic bytes for equal input."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    schema = SCHEMA[name]
    table = to_arrow(frame, schema)
    path = Path(directory) / f"{name}.{fmt}"
    if fmt == "parquet":
        pq.write_table(
            table,
            path,
            compression="zstd",
            row_group_size=1 << 20,
            write_statistics=True,
        )
    else:
        pacsv.write_csv(
            canonical_text(table),
            path,
            write_options=pacsv.WriteOptions(quoting_style="needed"),
        )
    return path


def write_tables(
    frames: Mapping[str, pd.DataFrame], directory: Path, fmt: str = "parquet"
) -> dict[str, Path]:
    """Write every contract table present in ``frames``; returns the paths by name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        name: write_table(frames[name], name, directory, fmt) for name in SCHEMA if name in frames
    }


def content_digest(frame: pd.DataFrame, name: str) -> str:
    r"""SHA-256 of a table in CONTRACT.md's canonical form, as hex.

    Rows sorted by the table's key (byte order of the key texts), columns in contract
    order, each value as its canonical text (null = empty), fields joined by ``\x1f`` and
    rows by ``\n``. The same for CSV and Parquet input, and for any row order. Unlike
    MLflow's dataset digest, every row counts.
    """
    schema = SCHEMA[name]
    text = canonical_text(to_arrow(frame, schema))
    if text.num_rows and not _in_key_order(text, schema.key):
        sort_keys = [(k, "ascending") for k in schema.key]
        text = text.take(pc.sort_indices(text, sort_keys=sort_keys))
    digest = hashlib.sha256()
    for start in range(0, text.num_rows, _DIGEST_BATCH):
        batch = text.slice(start, _DIGEST_BATCH)
        lines = pc.binary_join_element_wise(*[pc.fill_null(c, "") for c in batch.columns], "\x1f")
        # each line followed by "\n"; the newline after the very last line is dropped
        ended = pc.binary_join_element_wise(lines, "", "\n")
        chunks = ended.chunks if isinstance(ended, pa.ChunkedArray) else [ended]
        chunks = [c for c in chunks if len(c)]
        final_batch = start + _DIGEST_BATCH >= text.num_rows
        for i, chunk in enumerate(chunks):
            view = _string_bytes(chunk)
            digest.update(view[:-1] if final_batch and i == len(chunks) - 1 else view)
    return digest.hexdigest()


def _in_key_order(text: pa.Table, key: tuple[str, ...]) -> bool:
    """True if the rows are already in the order a stable sort by ``key`` would give.

    Tables are usually written in key order (ours are); sorting and gathering millions of
    rows again took most of a digest at ``nyc``. Each row is compared with the next, key
    column by key column (byte order of the texts, ties in place); a null key or any
    doubt answers False, and the rows are sorted as before.
    """
    if text.num_rows < 2:
        return True
    ordered = pa.scalar(True)
    for column in reversed(key):
        values = text.column(column)
        before, after = values.slice(0, len(values) - 1), values.slice(1)
        ordered = pc.or_(pc.less(before, after), pc.and_(pc.equal(before, after), ordered))
    return bool(pc.all(pc.fill_null(ordered, False)).as_py())


def _string_bytes(chunk: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array's values, back to back, without copying."""
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
    first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
    return memoryview(chunk.buffers()[2])[first:last]


#: Rows joined per pass: small enough for 32-bit string offsets at any width.
_DIGEST_BATCH = 1 << 20
