"""The world's fixed calendar (DESIGN.md "Scales").

Dates are day numbers (days since 1970-01-01, negative before) while generating, so that
every date computation is integer numpy arithmetic; they become ``datetime64[s]`` only
when a table is assembled. Nothing here reads the clock: the world is the same whenever
it is generated.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "day",
    "year_of",
    "COMPLAINT_START",
    "COMPLAINT_END",
    "END",
    "AS_OF",
    "MODERN_START",
    "EARLIEST",
    "CPL_160_50_EFFECTIVE",
    "CPL_160_55_CUTOFF",
    "MARIJUANA_2019",
    "MRTA",
    "CLEAN_SLATE",
    "CPL_160_59_EFFECTIVE",
    "YEAR",
]


def day(iso: str) -> int:
    """An ISO date as a day number."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return (
        np.asarray(days, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[Y]")
        .astype(np.int64)
        + 1970
    )


YEAR = 365
#: Complaints are reported in this window.
COMPLAINT_START = day("2016-06-01")
COMPLAINT_END = day("2026-05-31")
#: No event of any kind after this day; the as-of date that sees every rule in force.
END = day("2026-05-31")
AS_OF = day("2026-06-01")
#: Most arrests are from here on; a few careers start as early as ``EARLIEST``.
MODERN_START = day("2006-01-01")
EARLIEST = day("1970-01-01")
#: CPL 160.50 (L.1976 ch. 877): favourable terminations before it need a motion.
CPL_160_50_EFFECTIVE = day("1976-09-01")
#: CPL 160.55: violation convictions before it need a motion.
CPL_160_55_CUTOFF = day("1991-11-01")
#: L.2019 ch. 132: PL 221.05 / 221.10 convictions before it are expunged.
MARIJUANA_2019 = day("2019-08-28")
#: MRTA signed; PL 222 cannabis offences exist from here on.
MRTA = day("2021-03-31")
#: Clean Slate (CPL 160.57) operative date.
CLEAN_SLATE = day("2024-11-16")
#: CPL 160.59 in effect.
CPL_160_59_EFFECTIVE = day("2017-10-01")
