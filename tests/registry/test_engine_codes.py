"""The fast engine's integer-code machinery: string order, codes, ties, chunked texts."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer._errors import BadInput
from sanitizer.registry import _result, evaluate, evaluate_reference
from sanitizer.registry._common import Coded, sort_words, string_order, string_rank

from .registry_frames import arrests, events, table

TEXT = st.text(alphabet=st.sampled_from(["a", "b", "Z", "0", "-", "é", "字", " "]), max_size=12)


def outputs(result):
    return [
        result.by_docket,
        result.by_arrest,
        result.for_policy("strict"),
        result.for_policy("statutory"),
    ]


def assert_same(left, right):
    for a, b in zip(outputs(left), outputs(right), strict=True):
        pd.testing.assert_frame_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=40), st.integers(0, 3))
def test_string_order_is_pythons_order(values, offset):
    array = pa.array(["pad"] * offset + values, type=pa.large_string()).slice(offset)
    order = string_order(array)
    assert [values[i] for i in order] == sorted(values)
    ranks = string_rank(array)
    assert [values[i] for i in np.argsort(ranks)] == sorted(values)


def test_long_strings_fall_back_to_a_string_sort():
    values = ["x" * 70 + "b", "x" * 70 + "a", "short"]
    array = pa.array(values, type=pa.large_string())
    assert sort_words(array) is None
    assert [values[i] for i in string_order(array)] == sorted(values)


def test_coded_columns_test_each_distinct_value_once():
    coded = Coded.of(pd.Series(["PL 221.10", None, " pl 221.10 ", "VTL 1192(1)"], dtype="str"))
    assert coded.codes[1] == -1
    assert coded.isin(["PL 221.10"]).tolist() == [True, False, False, False]
    from sanitizer.registry._common import normalise_sections

    normal = coded.map(normalise_sections)
    assert normal.decode().tolist()[0] == "PL 221.10"
    assert pd.isna(normal.decode().iloc[1])
    assert normal.codes[0] == normal.codes[2]
    assert normal.decode().iloc[3] == "VTL 1192.1"


@pytest.mark.parametrize("long_ids", [False, True], ids=["short-ids", "long-ids"])
def test_same_day_events_are_ordered_by_event_id(long_ids):
    # Two convictions and two sentences on one day: the latest by EVENT_ID counts, whatever
    # the row order (and whatever the id length: long ids take the string-sort path).
    stem = "E" + "x" * 70 if long_ids else "E"
    arr = arrests({"ARREST_DATE": "2015-01-01"}, {"ARREST_DATE": "2016-01-01"})
    ev = events(
        {
            "EVENT_ID": stem + "9",
            "EVENT_TYPE": "CONVICTION",
            "EVENT_DATE": "2015-06-01",
            "OFFENSE_CLASS": "VIOLATION",
            "PENAL_LAW_SECTION": "PL 240.20",
        },
        {
            "EVENT_ID": stem + "10",
            "EVENT_TYPE": "CONVICTION",
            "EVENT_DATE": "2015-06-01",
            "OFFENSE_CLASS": "MISDEMEANOR",
        },
        {"EVENT_ID": stem + "2", "EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2015-06-01"},
        {
            "EVENT_ID": stem + "11",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "EVENT_DATE": "2016-02-01",
            "ARREST_KEY": "A2",
        },
        {
            "EVENT_ID": stem + "1",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DISMISSAL",
            "EVENT_DATE": "2016-08-01",
            "ARREST_KEY": "A2",
        },
    )
    for as_of in ("2016-07-01", "2016-08-01", "2024-12-01"):
        fast = evaluate(arr, ev, as_of)
        assert_same(fast, evaluate_reference(arr, ev, as_of))
        shuffled = ev.iloc[::-1].reset_index(drop=True)
        assert_same(fast, evaluate(arr, shuffled, as_of))


def _partial_history():
    # A1 has two dockets: one dismissed (sealed), one a misdemeanour conviction (not).
    arr = arrests({"ARREST_DATE": "2018-01-01"}, {"ARREST_DATE": "2019-01-01"})
    ev = events(
        {
            "DOCKET_ID": "D-1",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DISMISSAL",
            "EVENT_DATE": "2018-03-01",
        },
        {
            "DOCKET_ID": "D-2",
            "EVENT_TYPE": "CONVICTION",
            "OFFENSE_CLASS": "MISDEMEANOR",
            "EVENT_DATE": "2018-04-01",
        },
        {"DOCKET_ID": "D-2", "EVENT_TYPE": "SENTENCE", "EVENT_DATE": "2018-05-01"},
        {
            "ARREST_KEY": "A2",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "ACD_GRANTED",
            "EVENT_DATE": "2019-02-01",
        },
    )
    return arr, ev


def test_partially_sealed_arrest_agrees_with_reference():
    arr, ev = _partial_history()
    fast = evaluate(arr, ev, "2019-03-01")
    assert_same(fast, evaluate_reference(arr, ev, "2019-03-01"))
    strict = fast.for_policy("strict").set_index("ARREST_KEY")
    assert strict.loc["A1", "status"] == "PARTIALLY_SEALED"
    assert "Policy: strict." in strict.loc["A1", "reason"]
    statutory = fast.for_policy("statutory").set_index("ARREST_KEY")
    assert "Policy: statutory." in statutory.loc["A1", "reason"]


def test_texts_built_in_chunks_are_the_same(monkeypatch):
    arr, ev = _partial_history()
    whole = evaluate(arr, ev, "2019-03-01")
    monkeypatch.setattr(_result, "_CHUNK", 1)
    chunked = evaluate(arr, ev, "2019-03-01")
    assert chunked.for_policy("strict")["reason"].array._pa_array.num_chunks > 1
    assert_same(whole, chunked)


def test_policies_sharing_columns_stay_independent():
    arr = arrests({"ARREST_DATE": "2020-01-10"})
    ev = events(
        {
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DECLINE_PROSECUTE",
            "EVENT_DATE": "2020-01-11",
        }
    )
    result = evaluate(arr, ev, "2024-01-01")
    strict = result.for_policy("strict")
    strict.loc[0, "reason"] = "changed"
    strict.loc[0, "status"] = "OPEN"
    assert result.for_policy("statutory").loc[0, "status"] == "SEALED_160_50"
    assert result.for_policy("strict").loc[0, "reason"] != "changed"
    assert result.by_arrest.loc[0, "reason"] != "changed"


def test_no_arrests_gives_empty_frames_like_the_reference():
    arr, ev = table("arrests", []), table("court_events", [])
    assert_same(evaluate(arr, ev, "2024-01-01"), evaluate_reference(arr, ev, "2024-01-01"))


def test_empty_texts_as_ids_are_treated_alike():
    # An empty DOCKET_ID is the arrest's single docket, as a null one is.
    arr = arrests({"ARREST_DATE": "2020-01-10"})
    ev = events(
        {
            "DOCKET_ID": "",
            "EVENT_TYPE": "DISPOSITION",
            "DISPOSITION": "DISMISSAL",
            "EVENT_DATE": "2020-02-01",
        },
        {"EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2020-02-03"},
    )
    assert_same(evaluate(arr, ev, "2024-01-01"), evaluate_reference(arr, ev, "2024-01-01"))


def test_repeated_long_event_ids_are_refused():
    long_id = "E" + "y" * 80
    arr = arrests({"ARREST_DATE": "2020-01-10"})
    ev = events(
        {"EVENT_ID": long_id, "EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2020-02-03"},
        {"EVENT_ID": long_id, "EVENT_TYPE": "SEALING_DENIED_IJ", "EVENT_DATE": "2020-02-04"},
    )
    for engine in (evaluate, evaluate_reference):
        with pytest.raises(BadInput, match="EVENT_ID repeats"):
            engine(arr, ev, "2024-01-01")


def test_many_random_people_agree_with_reference():
    # A few hundred arrests with several dockets each and same-day events: enough rows
    # for the run helpers, the tie ordering and the roll-up to meet every case at once.
    rnd = random.Random(7)
    arrest_rows, event_rows = [], []
    kinds = [
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL"},
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_GRANTED", "CPL_SECTION": "CPL 170.56"},
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_RESTORED"},
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR"},
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "FELONY_D", "PENAL_LAW_SECTION": "PL 221.10"},
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "VIOLATION"},
        {"EVENT_TYPE": "SENTENCE", "INCARCERATION": True},
        {"EVENT_TYPE": "RELEASE"},
        {"EVENT_TYPE": "PEOPLE_APPEAL_FILED"},
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58"},
        {"EVENT_TYPE": "NOTICE", "NOTICE_ACTION": "SEAL", "NOTICE_STATUTE": "CPL 160.57"},
    ]
    for i in range(300):
        key = f"K{rnd.randrange(10**6):06d}-{i}"
        arrest_rows.append(
            {
                "ARREST_KEY": key,
                "PERSON_ID": f"P{rnd.randrange(60)}",
                "ARREST_DATE": f"{rnd.randrange(2005, 2024)}-0{rnd.randrange(1, 10)}-15",
                "LAW_CAT_CD": rnd.choice(["F", "M", "V"]),
            }
        )
        for j in range(rnd.randrange(0, 5)):
            event_rows.append(
                {
                    "EVENT_ID": f"E{rnd.randrange(10**4)}-{i}-{j}",
                    "ARREST_KEY": key,
                    "DOCKET_ID": rnd.choice([None, None, f"{key}-2", f"{key}-10"]),
                    "EVENT_DATE": f"{rnd.randrange(2005, 2026)}-0{rnd.randrange(1, 4)}-01",
                    **rnd.choice(kinds),
                }
            )
    arr, ev = table("arrests", arrest_rows), table("court_events", event_rows)
    for as_of in ("2012-06-01", "2026-06-01"):
        assert_same(evaluate(arr, ev, as_of), evaluate_reference(arr, ev, as_of))
