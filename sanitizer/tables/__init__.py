"""The data contract: table definitions, readers, writers and ``validate``.

The only place raw input is coerced (STYLE.md: validate at the boundary, once). Every
other stage receives ``Tables`` whose columns have the types documented in ``_read``.
"""

from ._arrow import arrow_strings, isin, lookup, position_in, value_set
from ._frames import make_frame
from ._issues import ERROR_CODES, MAX_ROWS_PER_PROBLEM, Issue, ValidationReport
from ._read import ARROW_TYPES, PANDAS_DTYPES, Tables
from ._schema import (
    AGE_GROUPS,
    EVENT_TYPES,
    LIST_SEPARATOR,
    RACES,
    SCHEMA,
    SEXES,
    TABLE_NAMES,
    WILDCARD,
    Column,
    TableSchema,
)
from ._validate import (
    check_frames,
    docket_codes,
    docket_keys,
    read_tables,
    time_seconds,
    validate_directory,
)
from ._write import FORMATS, canonical_text, content_digest, to_arrow, write_table, write_tables

__all__ = [
    "AGE_GROUPS",
    "ARROW_TYPES",
    "Column",
    "ERROR_CODES",
    "EVENT_TYPES",
    "FORMATS",
    "Issue",
    "LIST_SEPARATOR",
    "MAX_ROWS_PER_PROBLEM",
    "PANDAS_DTYPES",
    "RACES",
    "SCHEMA",
    "SEXES",
    "TABLE_NAMES",
    "TableSchema",
    "Tables",
    "ValidationReport",
    "WILDCARD",
    "arrow_strings",
    "canonical_text",
    "content_digest",
    "check_frames",
    "docket_codes",
    "docket_keys",
    "isin",
    "lookup",
    "make_frame",
    "position_in",
    "time_seconds",
    "read_tables",
    "to_arrow",
    "validate_directory",
    "value_set",
    "write_table",
    "write_tables",
]
