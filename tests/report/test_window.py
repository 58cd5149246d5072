"""The report window: the last full calendar half-year by default, explicit dates otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from sanitizer._errors import BadInput
from sanitizer.report import last_full_half_year, report_window


@pytest.mark.parametrize(
    ("as_of", "since", "until"),
    [
        (date(2026, 6, 1), date(2025, 7, 1), date(2025, 12, 31)),
        (date(2026, 6, 30), date(2025, 7, 1), date(2025, 12, 31)),  # H1 not over yet
        (date(2026, 7, 1), date(2026, 1, 1), date(2026, 6, 30)),
        (date(2026, 12, 31), date(2026, 1, 1), date(2026, 6, 30)),
        (date(2027, 1, 1), date(2026, 7, 1), date(2026, 12, 31)),
    ],
)
def test_default_window_is_the_last_full_half_year_before_as_of(as_of, since, until):
    assert last_full_half_year(as_of) == (since, until)
    window = report_window(as_of)
    assert (window.since, window.until, window.as_of) == (since, until, as_of)


def test_one_date_given_fills_in_the_other():
    as_of = date(2026, 11, 29)
    assert report_window(as_of, since=date(2026, 3, 1)).until == as_of
    assert report_window(as_of, until=date(2026, 9, 15)).since == date(2026, 7, 1)


def test_since_after_until_is_bad_input():
    with pytest.raises(BadInput, match="after --until"):
        report_window(date(2026, 7, 1), date(2026, 5, 2), date(2026, 5, 1))


def test_timestamps_compare_against_the_inclusive_window():
    window = report_window(date(2026, 7, 1))
    start, end = window.ts_bounds
    assert start <= "2026-01-01T00:00:00.000000Z" < end
    assert start <= "2026-06-30T23:59:59.999999Z" < end
    assert not ("2026-07-01T00:00:00.000000Z" < end)
    assert not (start <= "2025-12-31T23:59:59.999999Z")
