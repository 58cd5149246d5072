"""Validation findings: what is wrong, where, and the report that collects them.

Message texts are module constants so that code and tests share them (fairlearn's habit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = [
    "Issue",
    "ValidationReport",
    "ERROR_CODES",
    "MAX_ROWS_PER_PROBLEM",
]

#: The error codes of CONTRACT.md (``validate``).
ERROR_CODES = (
    "MISSING_TABLE",
    "AMBIGUOUS_TABLE",
    "MISSING_COLUMN",
    "WRONG_TYPE",
    "BAD_DATE",
    "DUPLICATE_KEY",
    "DANGLING_REFERENCE",
    "BAD_VALUE",
    "BAD_TIMELINE",
)

#: A problem that hits many rows lists this many, then one summary line with the count.
MAX_ROWS_PER_PROBLEM = 100

MSG_MISSING_TABLE = "no {table}.parquet or {table}.csv in {directory}"
MSG_UNREADABLE = "{file} could not be read as {fmt}: {reason}"
MSG_AMBIGUOUS = "both {table}.csv and {table}.parquet exist in {directory}; keep one"
MSG_MISSING_COLUMN = "{file} has no column {column!r} (required by the contract)"
MSG_EXTRA_COLUMN = "{file} has a column {column!r} the contract does not define; it is ignored"
MSG_WRONG_TYPE = "expected {expected}, got {received!r}"
MSG_WRONG_COLUMN_TYPE = "column is stored as {received}; expected {expected}"
MSG_BAD_DATE = "expected a date YYYY-MM-DD, got {received!r}"
MSG_BAD_TIME = "expected a time HH:MM:SS, got {received!r}"
MSG_REQUIRED = "value is required but empty"
MSG_REQUIRED_FOR_TYPE = "{column} is required when EVENT_TYPE is {event_type} but empty"
MSG_BAD_VOCAB = "{received!r} is not one of {allowed}"
MSG_NOTICE_STATUTE = (
    "{received!r} names no statute a {action} NOTICE can apply; expected CPL 160.50, 160.55, "
    "160.57, 160.58 or 160.59"
)
MSG_DUPLICATE_KEY = "key {key} already appears at row {first_row}"
MSG_DANGLING = "{value!r} not found in {target_table}.{target_column}"
MSG_MORE_ROWS = "... and {more:,} more rows with the same problem ({code} in {table}.{column})"
MSG_DOCKET_TWO_ARRESTS = (
    "docket {docket!r} also belongs to arrest {other!r}; a docket has one arrest"
)


@dataclass(frozen=True)
class Issue:
    """One finding of ``validate``.

    ``row`` is the 1-based data row (header not counted), or None for a finding about a
    whole table or column.
    """

    code: str
    table: str
    column: str | None
    row: int | None
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.table
        if self.column:
            where += f".{self.column}"
        if self.row is not None:
            where += f" row {self.row}"
        return f"{self.code} {where}: {self.message}"


@dataclass
class ValidationReport:
    """Every error and warning found in one data directory."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, code: str, table: str, column: str | None, row: int | None, message: str):
        self.errors.append(Issue(code, table, column, row, message))

    def warn(self, code: str, table: str, column: str | None, row: int | None, message: str):
        self.warnings.append(Issue(code, table, column, row, message))

    def row_errors(
        self,
        code: str,
        table: str,
        column: str | None,
        rows: np.ndarray,
        messages: Iterable[str],
    ):
        """Record one problem found at many rows, capped at ``MAX_ROWS_PER_PROBLEM``.

        ``rows`` are 0-based positions; ``messages`` is consumed only up to the cap, so a
        generator that formats lazily keeps huge failures cheap.
        """
        rows = np.asarray(rows)
        if rows.size == 0:
            return
        for position, message in zip(rows[:MAX_ROWS_PER_PROBLEM], messages, strict=False):
            self.errors.append(Issue(code, table, column, int(position) + 1, message))
        if rows.size > MAX_ROWS_PER_PROBLEM:
            more = rows.size - MAX_ROWS_PER_PROBLEM
            self.errors.append(
                Issue(
                    code,
                    table,
                    column,
                    None,
                    MSG_MORE_ROWS.format(more=more, code=code, table=table, column=column),
                )
            )

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }
