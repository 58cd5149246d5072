"""Micro-benchmark of the registry's fast rules engine (``sanitizer.registry.evaluate``).

``run_engine(arrests, events, as_of)`` times one evaluation; ``synthetic(n_arrests)``
builds a plausible random frame pair without the synthetic world generator (about 2.5
arrests per person and 3 events per arrest: dispositions, ACDs, convictions with sentences,
releases, a few 160.58/160.59 orders and notices). Run ``python -m bench.bench_registry
[N]`` to print the timing for N arrests (default 1,000,000).
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


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    arrests, events = synthetic(n)
    seconds, result = run_engine(arrests, events, "2026-06-01")
    print(f"{n:,} arrests, {len(events):,} events: {seconds:.1f} s")
    print(result.counts())
