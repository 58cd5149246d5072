"""The period a compliance report covers (CONTRACT.md: ``--since``, ``--until``, ``--as-of``).

Why a fixed default: the 2023 implementing order asks for semi-annual reports, so with no
dates the report covers the last *full* calendar half-year before the as-of date
(1 January to 30 June, or 1 July to 31 December), and two reports run on different days of
the same half-year cover the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .._errors import BadInput

__all__ = ["ReportWindow", "report_window", "last_full_half_year", "half_year_start"]

MSG_ORDER = "--since {since} is after --until {until}; the window would be empty"


@dataclass(frozen=True)
class ReportWindow:
    """The inclusive dates a report covers, and the date it was run as of.

    Attributes
    ----------
    since, until : date
        First and last day covered, both inclusive, in UTC.
    as_of : date
        The report's as-of date: it picks the default window and the registry snapshot.
    """

    since: date
    until: date
    as_of: date

    @property
    def ts_bounds(self) -> tuple[str, str]:
        """``[start, end)`` as text comparable with audit timestamps (``YYYY-MM-DDT...Z``)."""
        return self.since.isoformat(), (self.until + timedelta(days=1)).isoformat()

    @property
    def label(self) -> str:
        """``2026-01-01 to 2026-06-30``."""
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    def to_dict(self) -> dict[str, str]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "as_of": self.as_of.isoformat(),
        }


def half_year_start(day: date) -> date:
    """1 January or 1 July: the first day of the calendar half-year holding ``day``."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def last_full_half_year(as_of: date) -> tuple[date, date]:
    """The last calendar half-year that ended before ``as_of`` (both ends inclusive).

    Examples
    --------
    >>> last_full_half_year(date(2026, 6, 1))
    (datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
    >>> last_full_half_year(date(2026, 7, 1))
    (datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))
    """
    end = half_year_start(as_of) - timedelta(days=1)
    return half_year_start(end), end


def report_window(
    as_of: date, since: date | None = None, until: date | None = None
) -> ReportWindow:
    """The window a report covers, from the options given.

    With neither date, the last full calendar half-year before ``as_of``. With only
    ``since``, up to ``as_of``. With only ``until``, from the start of the half-year
    holding ``until``.

    Raises
    ------
    BadInput
        ``since`` is after ``until``.
    """
    if since is None and until is None:
        since, until = last_full_half_year(as_of)
    elif until is None:
        until = as_of
    elif since is None:
        since = half_year_start(until)
    if since > until:
        raise BadInput(MSG_ORDER.format(since=since, until=until))
    return ReportWindow(since, until, as_of)
