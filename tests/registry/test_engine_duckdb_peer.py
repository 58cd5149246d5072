"""The DuckDB 160.50 peer of the bench: what it returns, not how fast (no timing asserts)."""

from __future__ import annotations

import pandas as pd
import pytest

from sanitizer.registry import evaluate

pytest.importorskip("duckdb")

from bench.bench_registry import compare, duckdb_160_50, synthetic  # noqa: E402

from .registry_frames import arrests, events  # noqa: E402

AS_OF = "2026-06-01"


def _keys(frame: pd.DataFrame) -> set:
    return set(zip(frame["ARREST_KEY"], frame["DOCKET_ID"].fillna(""), strict=True))


def test_peer_covers_the_engines_160_50_dockets():
    arr, ev = synthetic(3_000, seed=3)
    subset = duckdb_160_50(arr, ev, AS_OF)
    dockets = evaluate(arr, ev, AS_OF).by_docket
    sealed = dockets[dockets["status"] == "SEALED_160_50"]
    assert len(sealed) > 0
    assert _keys(sealed) <= _keys(subset)
    assert set(subset["term_type"]) <= {"DISMISSAL", "ACD"}


def test_peer_applies_the_acd_period_and_restoration():
    arr = arrests(
        {"ARREST_DATE": "2022-02-01"},
        {"ARREST_DATE": "2022-02-01"},
        {"ARREST_DATE": "2022-02-01"},
    )
    ev = events(
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_GRANTED", "EVENT_DATE": "2022-08-31"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "FAMILY_OFFENSE": True,
            "EVENT_DATE": "2022-03-01",
        },
        {
            "ARREST_KEY": "A3",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "EVENT_DATE": "2022-03-01",
        },
        {
            "ARREST_KEY": "A3",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_RESTORED",
            "EVENT_DATE": "2022-05-01",
        },
    )
    out = duckdb_160_50(arr, ev, "2023-02-28").set_index("ARREST_KEY")
    assert out.loc["A1", "sealed_since"] == pd.Timestamp("2023-02-28")  # month end clipped
    assert "A2" not in out.index  # a family-offence ACD runs 12 months
    assert "A3" not in out.index  # restored
    assert "A2" in duckdb_160_50(arr, ev, "2023-03-01")["ARREST_KEY"].tolist()


def test_compare_reports_both_timings():
    arr, ev = synthetic(500, seed=1)
    figures = compare(arr, ev, AS_OF)
    assert set(figures) >= {"engine_s", "duckdb_s", "ratio"}
    assert figures["engine_s"] > 0 and figures["duckdb_s"] > 0
