"""Micro-benchmark of the registry's fast rules engine (``sanitizer.registry.evaluate``).

``run_engine(arrests, events, as_of)`` times one evaluation; ``synthetic(n_arrests)``
builds a plausible random frame pair without the synthetic world generator (about 2.5
arrests per person and 3 events per arrest: dispositions, ACDs, convictions with sentences,
releases, a few 160.58/160.59 orders and notices). Run ``python -m bench.bench_registry
[N]`` to print the timing for N arrests (default 1,000,000).

``duckdb_160_50`` is a plain-SQL peer that computes only the CPL 160.50 subset (favourable
terminations and ACDs that ran their course), and ``compare`` times it against the engine
in the same process: how much the engine's other rules, precedence, reasons and roll-up
cost next to a database doing the simplest rule.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from sanitizer.registry import evaluate


def run_engine(arrests: pd.DataFrame, events: pd.DataFrame, as_of) -> tuple[float, object]:
    """Evaluate once; return (wall seconds, RegistryResult)."""
    start = time.perf_counter()
    result = evaluate(arrests, events, as_of)
    return time.perf_counter() - start, result


def synthetic(n_arrests: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random contract-typed arrests and court_events frames (not the synthetic world)."""
    from sanitizer.tables import PANDAS_DTYPES, SCHEMA

    rng = np.random.default_rng(seed)
    n_people = max(1, int(n_arrests / 2.5))
    day0 = np.datetime64("2006-01-01", "D")
    adate = day0 + rng.integers(0, 20 * 365, n_arrests)
    keys = np.char.add("A", np.arange(n_arrests).astype(str)).astype(object)
    arrests = pd.DataFrame(
        {
            c.name: pd.Series([None] * n_arrests, dtype=PANDAS_DTYPES[c.kind])
            if c.kind != "bool"
            else False
            for c in SCHEMA["arrests"].columns
        }
    )
    arrests["ARREST_KEY"] = pd.array(keys, dtype="str")
    arrests["PERSON_ID"] = pd.array(
        np.char.add("P", rng.integers(0, n_people, n_arrests).astype(str)).astype(object),
        dtype="str",
    )
    arrests["ARREST_DATE"] = adate.astype("datetime64[s]")
    arrests["LAW_CAT_CD"] = pd.array(rng.choice(["F", "M", "M", "V"], n_arrests), dtype="str")
    outcome = rng.choice(
        ["DISMISSAL", "ACD", "CONV_M", "CONV_F", "CONV_V", "OPEN"],
        n_arrests,
        p=[0.3, 0.15, 0.25, 0.1, 0.15, 0.05],
    )
    rows = []

    def add(mask, **cols):
        idx = np.flatnonzero(mask)
        lag = rng.integers(10, 400, idx.size)
        rows.append(
            pd.DataFrame(
                {
                    "ARREST_KEY": keys[idx],
                    "EVENT_DATE": (adate[idx] + lag + cols.pop("extra", 0)),
                    **{k: v for k, v in cols.items()},
                }
            )
        )

    add(outcome == "DISMISSAL", EVENT_TYPE="DISPOSITION", DISPOSITION="DISMISSAL")
    add(outcome == "ACD", EVENT_TYPE="DISPOSITION", DISPOSITION="ACD_GRANTED")
    for kind, cls in (("CONV_M", "MISDEMEANOR"), ("CONV_F", "FELONY_D"), ("CONV_V", "VIOLATION")):
        add(outcome == kind, EVENT_TYPE="CONVICTION", OFFENSE_CLASS=cls, extra=0)
        add(outcome == kind, EVENT_TYPE="SENTENCE", SUPERVISION="NONE", extra=500)
    felons = (outcome == "CONV_F") & (rng.random(n_arrests) < 0.5)
    add(felons, EVENT_TYPE="RELEASE", extra=1500)
    add(
        (outcome == "CONV_M") & (rng.random(n_arrests) < 0.02),
        EVENT_TYPE="COURT_ORDER",
        ORDER_KIND="SEAL_160_58",
        extra=900,
    )
    add(
        (outcome == "CONV_F") & (rng.random(n_arrests) < 0.02),
        EVENT_TYPE="COURT_ORDER",
        ORDER_KIND="SEAL_160_59",
        extra=4000,
    )
    add(
        (outcome == "DISMISSAL") & (rng.random(n_arrests) < 0.05),
        EVENT_TYPE="NOTICE",
        NOTICE_ACTION="SEAL",
        NOTICE_STATUTE="CPL 160.50",
        extra=30,
    )
    ev = pd.concat(rows, ignore_index=True)
    ev["EVENT_DATE"] = ev["EVENT_DATE"].astype("datetime64[s]")
    ev["EVENT_ID"] = np.char.add("E", np.arange(len(ev)).astype(str)).astype(object)
    out = {}
    for c in SCHEMA["court_events"].columns:
        if c.name in ev:
            out[c.name] = ev[c.name].astype(PANDAS_DTYPES[c.kind])
        elif c.kind == "bool":
            out[c.name] = np.full(len(ev), bool(c.null_as))
        else:
            out[c.name] = pd.Series([None] * len(ev), dtype=PANDAS_DTYPES[c.kind])
    return arrests, pd.DataFrame(out)


#: Favourable terminations of the entire instrument (CPL 160.50(3)), the ACD aside.
FAVOURABLE_160_50 = (
    "DISMISSAL",
    "ACQUITTAL",
    "DECLINE_PROSECUTE",
    "POLICE_DECLINE",
    "NO_TRUE_BILL",
    "TRIAL_ORDER_DISMISSAL",
    "VERDICT_SET_ASIDE",
    "JUDGMENT_VACATED",
    "HABEAS_DISCHARGE",
)

_SQL_160_50 = """
WITH ev AS (
    SELECT e.ARREST_KEY,
           coalesce(e.DOCKET_ID, '') AS DOCKET,
           e.DISPOSITION,
           e.CPL_SECTION,
           coalesce(e.ENTIRE_INSTRUMENT, true) AS ENTIRE,
           coalesce(e.FAMILY_OFFENSE, false) AS FAMILY,
           CAST(e.EVENT_DATE AS DATE) AS D
    FROM court_events e
    JOIN arrests a USING (ARREST_KEY)
    WHERE e.EVENT_TYPE = 'DISPOSITION'
      AND CAST(e.EVENT_DATE AS DATE) <= $as_of
      AND CAST(a.ARREST_DATE AS DATE) <= $as_of
),
fav AS (  -- latest favourable termination of the entire instrument, per docket
    SELECT ARREST_KEY, DOCKET, max(D) AS fav_date, arg_max(DISPOSITION, D) AS fav_type
    FROM ev
    WHERE ENTIRE AND DISPOSITION IN ({favourable})
    GROUP BY ARREST_KEY, DOCKET
),
acd AS (  -- latest ACD per docket, and the end of its period
    SELECT ARREST_KEY, DOCKET, D AS acd_date,
           CAST(D + to_months(
               CASE WHEN FAMILY OR regexp_matches(coalesce(CPL_SECTION, ''),
                                                  '170[.]56|210[.]46')
                    THEN 12 ELSE 6 END) AS DATE) AS acd_end
    FROM ev
    WHERE ENTIRE AND DISPOSITION = 'ACD_GRANTED'
    QUALIFY row_number() OVER (PARTITION BY ARREST_KEY, DOCKET ORDER BY D DESC) = 1
),
acd_done AS (  -- not restored within its period, and the period has run by as-of
    SELECT c.ARREST_KEY, c.DOCKET, c.acd_end
    FROM acd c
    WHERE c.acd_end <= $as_of
      AND NOT EXISTS (
          SELECT 1 FROM ev r
          WHERE r.ARREST_KEY = c.ARREST_KEY AND r.DOCKET = c.DOCKET
            AND r.DISPOSITION = 'ACD_RESTORED'
            AND r.D >= c.acd_date AND r.D < c.acd_end)
)
SELECT ARREST_KEY,
       nullif(DOCKET, '') AS DOCKET_ID,
       CAST(greatest(f.fav_date, d.acd_end) AS TIMESTAMP) AS sealed_since,
       CASE WHEN f.fav_date IS NULL OR d.acd_end > f.fav_date THEN 'ACD' ELSE f.fav_type END
           AS term_type
FROM fav f
FULL OUTER JOIN acd_done d USING (ARREST_KEY, DOCKET)
ORDER BY ARREST_KEY, DOCKET_ID NULLS FIRST
"""


def duckdb_160_50(arrests: pd.DataFrame, court_events: pd.DataFrame, as_of) -> pd.DataFrame:
    """The CPL 160.50 subset in one plain SQL query in DuckDB (a peer for timing only).

    One row per docket whose entire accusatory instrument ended favourably by ``as_of``
    (the nine favourable dispositions), or whose ACD was granted, not restored within its
    period (12 months for a family offence or a 170.56/210.46 marijuana ACD, else 6)
    and has run by ``as_of``; ``sealed_since`` is the later of the two. Unlike the engine
    it ignores People's appeals, interests-of-justice denials, the pre-1976 motion,
    notices, expungement and the precedence of other statutes: its rows approximate the
    engine's SEALED_160_50 dockets, they are not expected to equal them.
    """
    import duckdb

    events = court_events[
        [
            "ARREST_KEY",
            "DOCKET_ID",
            "EVENT_TYPE",
            "EVENT_DATE",
            "DISPOSITION",
            "CPL_SECTION",
            "ENTIRE_INSTRUMENT",
            "FAMILY_OFFENSE",
        ]
    ]
    favourable = ", ".join(f"'{d}'" for d in FAVOURABLE_160_50)
    con = duckdb.connect()
    try:
        con.register("arrests", arrests[["ARREST_KEY", "ARREST_DATE"]])
        con.register("court_events", events)
        query = _SQL_160_50.format(favourable=favourable)
        return con.execute(query, {"as_of": pd.Timestamp(as_of).date()}).df()
    finally:
        con.close()


def compare(arrests: pd.DataFrame, events: pd.DataFrame, as_of) -> dict:
    """Time the engine (every rule) and the DuckDB 160.50 subset in the same process.

    Returns ``engine_s``, ``duckdb_s``, ``ratio`` (engine / DuckDB), and for orientation
    ``engine_sealed_160_50`` (dockets the engine finds SEALED_160_50) and ``duckdb_rows``.
    No assertion on the figures: the two do not compute the same thing.
    """
    engine_s, result = run_engine(arrests, events, as_of)
    start = time.perf_counter()
    subset = duckdb_160_50(arrests, events, as_of)
    duckdb_s = time.perf_counter() - start
    sealed = int((result.by_docket["status"] == "SEALED_160_50").sum())
    return {
        "engine_s": engine_s,
        "duckdb_s": duckdb_s,
        "ratio": engine_s / duckdb_s if duckdb_s > 0 else float("inf"),
        "engine_sealed_160_50": sealed,
        "duckdb_rows": len(subset),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    arrests, events = synthetic(n)
    seconds, result = run_engine(arrests, events, "2026-06-01")
    print(f"{n:,} arrests, {len(events):,} events: {seconds:.1f} s")
    print(result.counts())
