"""Property tests: the fast engine equals the reference engine on random histories."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sanitizer._errors import BadInput
from sanitizer.registry import RulesConfig, evaluate, evaluate_reference
from sanitizer.tables._schema import (
    DISPOSITIONS,
    EVENT_TYPES,
    NOTICE_ACTIONS,
    OFFENSE_CLASSES,
    ORDER_KINDS,
    SUPERVISIONS,
)

from .registry_frames import table

DATES = st.dates(
    min_value=pd.Timestamp("1972-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)
SECTIONS = [
    "PL 221.10",
    "PL 221.05",
    "PL 222.10",
    "PL 220.03",
    "PL 240.37",
    "PL 240.36",
    "VTL 1192.1",
    "PL 125.25",
    "PL 220.21",
    "PL 240.20",
    None,
]
STATUTES = ["CPL 160.50", "CPL 160.55", "CPL 160.57", "CPL 160.58", "CPL 160.59"]


def maybe(values, garbage=False):
    if not garbage:
        return st.sampled_from(list(values))
    return st.one_of(st.sampled_from(list(values) + [None]), st.just("GARBAGE"))


@st.composite
def histories(draw, garbage=False):
    n_people = draw(st.integers(1, 3))
    arrests, events = [], []
    counter = 0
    for p in range(n_people):
        for _ in range(draw(st.integers(1, 4))):
            key = f"A{len(arrests) + 1:02d}"
            arrests.append(
                {
                    "ARREST_KEY": key,
                    "PERSON_ID": f"P{p}",
                    "ARREST_DATE": draw(DATES),
                    "LAW_CAT_CD": draw(st.sampled_from(["F", "M", "V", "I", None])),
                }
            )
            for _ in range(draw(st.integers(0, 7))):
                counter += 1
                events.append(
                    {
                        "EVENT_ID": f"E{draw(st.integers(0, 10**6)):07d}-{counter}",
                        "ARREST_KEY": key,
                        "DOCKET_ID": draw(st.sampled_from([None, None, f"{key}-D2"])),
                        "EVENT_TYPE": draw(st.sampled_from(EVENT_TYPES)),
                        "EVENT_DATE": draw(DATES),
                        "DISPOSITION": draw(maybe(DISPOSITIONS, garbage)),
                        "CPL_SECTION": draw(
                            st.sampled_from(
                                [None, "CPL 170.55", "CPL 170.56", "CPL 215.40", "CPL 470.20"]
                            )
                        ),
                        "ENTIRE_INSTRUMENT": draw(st.sampled_from([True, True, False])),
                        "FAMILY_OFFENSE": draw(st.booleans()),
                        "OFFENSE_CLASS": draw(maybe(OFFENSE_CLASSES, garbage)),
                        "PENAL_LAW_SECTION": draw(st.sampled_from(SECTIONS)),
                        "SORA_OFFENSE": draw(st.booleans()),
                        "DRUG_ART220": draw(st.booleans()),
                        "CANNABIS_ONLY": draw(st.booleans()),
                        "INCARCERATION": draw(st.booleans()),
                        "SUPERVISION": draw(st.sampled_from([*SUPERVISIONS, None])),
                        "FOR_PEOPLE": draw(st.booleans()),
                        "ORDER_KIND": draw(maybe(ORDER_KINDS, garbage)),
                        "NOTICE_ACTION": draw(maybe(NOTICE_ACTIONS)),
                        "NOTICE_STATUTE": draw(
                            st.sampled_from(STATUTES + ([None] if garbage else []))
                        ),
                    }
                )
    as_of = draw(DATES)
    return table("arrests", arrests), table("court_events", events), as_of


def outputs(result):
    frames = [result.by_docket.sort_values(["ARREST_KEY", "DOCKET_ID"]).reset_index(drop=True)]
    for policy in ("strict", "statutory"):
        frames.append(result.for_policy(policy).reset_index(drop=True))
    return frames


def run(engine, arrests, events, as_of, config):
    try:
        return outputs(engine(arrests, events, as_of, config=config))
    except BadInput as exc:
        return str(exc)


def assert_engines_agree(history, config) -> None:
    """Both engines give the same frames, or the same error."""
    arrests, events, as_of = history
    fast = run(evaluate, arrests, events, as_of, config)
    ref = run(evaluate_reference, arrests, events, as_of, config)
    if isinstance(ref, str) or isinstance(fast, str):
        assert fast == ref
        return
    for f, r in zip(fast, ref, strict=True):
        pd.testing.assert_frame_equal(f, r)


CONFIGS = st.sampled_from(
    [
        RulesConfig(),
        RulesConfig(
            seal_160_55_at_cd_end=True,
            pl_240_37_expunge_on_notice_only=False,
            federal_access_enabled=True,
            people_appeal_window_days=400,
        ),
    ]
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), CONFIGS)
def test_fast_engine_equals_reference(history, config):
    assert_engines_agree(history, config)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), CONFIGS)
def test_without_reasons_every_other_output_is_the_same(history, config):
    """The invariance check compares statuses on perturbed copies and skips the reason
    texts (``explain=False``): every other column, per arrest and per docket, is equal."""
    arrests, events, as_of = history
    explained = run(evaluate, arrests, events, as_of, config)
    if isinstance(explained, str):
        return
    bare = outputs(evaluate(arrests, events, as_of, config, explain=False))
    for full, short in zip(explained, bare, strict=True):  # per docket, then each policy
        assert (short["reason"] == "").all()
        pd.testing.assert_frame_equal(full.drop(columns="reason"), short.drop(columns="reason"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(garbage=True))
def test_garbage_gives_a_status_or_a_clear_error(history):
    arrests, events, as_of = history
    for engine in (evaluate, evaluate_reference):
        try:
            result = engine(arrests, events, as_of)
        except BadInput as exc:
            assert "EVENT_ID" in str(exc) or "ARREST_KEY" in str(exc)
        else:
            assert result.by_arrest["status"].notna().all()


@settings(max_examples=12, deadline=None)
@given(histories(), histories())
def test_other_people_change_nothing(history, other):
    arrests, events, as_of = history
    o_arr, o_ev, _ = other
    o_arr = o_arr.assign(ARREST_KEY="X" + o_arr["ARREST_KEY"], PERSON_ID="X" + o_arr["PERSON_ID"])
    o_ev = o_ev.assign(
        ARREST_KEY="X" + o_ev["ARREST_KEY"],
        EVENT_ID="X" + o_ev["EVENT_ID"],
        DOCKET_ID="X" + o_ev["DOCKET_ID"],
    )
    try:
        alone = evaluate(arrests, events, as_of).by_arrest
        evaluate(o_arr, o_ev, as_of)
    except BadInput:
        assume(False)
    both = evaluate(
        pd.concat([o_arr, arrests], ignore_index=True),
        pd.concat([events, o_ev], ignore_index=True),
        as_of,
    ).by_arrest
    both = both[both["ARREST_KEY"].isin(alone["ARREST_KEY"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, both)


@settings(max_examples=12, deadline=None)
@given(histories())
def test_as_of_before_arrest_seals_nothing(history):
    arrests, events, _ = history
    first = arrests["ARREST_DATE"].min() - pd.Timedelta(days=1)
    try:
        out = evaluate(arrests, events, first).by_arrest
    except BadInput:
        assume(False)
    assert (out["status"] == "OPEN").all()
    assert not out["excluded_strict"].any() and out["since"].isna().all()


@settings(max_examples=12, deadline=None)
@given(histories(), DATES)
def test_expungement_dominates(history, when):
    arrests, events, as_of = history
    key = arrests["ARREST_KEY"].iloc[0]
    notice = table(
        "court_events",
        [
            {
                "EVENT_ID": "ZZ-EXPUNGE",
                "ARREST_KEY": key,
                "EVENT_TYPE": "NOTICE",
                "EVENT_DATE": when,
                "NOTICE_ACTION": "EXPUNGE",
                "NOTICE_STATUTE": "CPL 160.50(5)",
            }
        ],
    )
    try:
        out = evaluate(arrests, pd.concat([events, notice], ignore_index=True), as_of)
    except BadInput:
        assume(False)
    dk = out.by_docket
    arrest_date = arrests.set_index("ARREST_KEY").loc[key, "ARREST_DATE"]
    row = dk[(dk["ARREST_KEY"] == key) & dk["DOCKET_ID"].isna()]
    if pd.Timestamp(when) <= pd.Timestamp(as_of) and arrest_date <= pd.Timestamp(as_of):
        assert (row["status"] == "EXPUNGED_160_50_5").all()


@settings(max_examples=10, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(history, rnd):
    arrests, events, as_of = history
    alone = run(evaluate, arrests, events, as_of, RulesConfig())
    order = list(range(len(events)))
    rnd.shuffle(order)
    shuffled = run(
        evaluate, arrests, events.iloc[order].reset_index(drop=True), as_of, RulesConfig()
    )
    if isinstance(alone, str):
        assert isinstance(shuffled, str)
        return
    for f, r in zip(alone, shuffled, strict=True):
        pd.testing.assert_frame_equal(f, r)


@pytest.mark.parametrize(
    "bad",
    [
        {"EVENT_TYPE": "FOO"},
        {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": None},
        {"EVENT_TYPE": "NOTICE", "NOTICE_ACTION": "SEAL", "NOTICE_STATUTE": "CPL 999"},
        {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "FELONY_Z"},
        {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "VACATE_440_46A"},
    ],
)
def test_garbage_values_name_the_event(bad):
    arrests = table(
        "arrests", [{"ARREST_KEY": "A1", "PERSON_ID": "P1", "ARREST_DATE": "2020-01-01"}]
    )
    events = table(
        "court_events",
        [{"EVENT_ID": "E-BAD", "ARREST_KEY": "A1", "EVENT_DATE": "2020-02-01", **bad}],
    )
    for engine in (evaluate, evaluate_reference):
        with pytest.raises(BadInput, match="E-BAD"):
            engine(arrests, events, "2024-01-01")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_two_histories_in_one_evaluation_equal_two_evaluations(history, data):
    """``events apply`` evaluates the touched persons before and after the new events in
    one call (the second history as other persons); it must say what two calls say."""
    from sanitizer.registry._registry import excluded_before_and_after

    arrests, events, as_of = history
    kept = data.draw(st.lists(st.booleans(), min_size=len(events), max_size=len(events)))
    before = events[pd.Series(kept, dtype=bool).to_numpy()].reset_index(drop=True)

    def excluded(frame):
        result = evaluate_reference(arrests, frame, as_of)
        return {p: set(result.excluded_keys(p)) for p in ("strict", "statutory")}

    try:
        separately = (excluded(before), excluded(events))
    except BadInput:
        assume(False)
    assert excluded_before_and_after(arrests, before, events, as_of) == separately


NEAR = st.dates(
    min_value=pd.Timestamp("2012-01-01").date(), max_value=pd.Timestamp("2027-12-31").date()
)
FOCUS_EVENTS = [
    {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "MISDEMEANOR"},
    {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "FELONY_D"},
    {"EVENT_TYPE": "CONVICTION", "OFFENSE_CLASS": "VIOLATION"},
    {"EVENT_TYPE": "SENTENCE"},
    {"EVENT_TYPE": "SENTENCE", "SUPERVISION": "CONDITIONAL_DISCHARGE"},
    {"EVENT_TYPE": "SENTENCE", "INCARCERATION": True},
    {"EVENT_TYPE": "RELEASE"},
    {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_GRANTED"},
    {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_GRANTED"},
    {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "ACD_RESTORED"},
    {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSAL"},
    {"EVENT_TYPE": "DISPOSITION", "DISPOSITION": "DISMISSED_AS_COVERED"},
    {"EVENT_TYPE": "PEOPLE_APPEAL_FILED"},
    {"EVENT_TYPE": "APPEAL_DECIDED", "FOR_PEOPLE": True},
    {"EVENT_TYPE": "SEALING_DENIED_IJ"},
    {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58"},
    {"EVENT_TYPE": "COURT_ORDER", "ORDER_KIND": "SEAL_160_58"},
]


@st.composite
def blocked_clock_histories(draw):
    """One or two people whose convictions, 160.58 orders and later ACDs interleave: the
    histories where a pending charge's end dates a Clean Slate clock or a 160.58 reseal."""
    arrests, events = [], []
    for p in range(draw(st.integers(1, 2))):
        for _ in range(draw(st.integers(1, 4))):
            key = f"A{len(arrests) + 1:02d}"
            arrests.append(
                {
                    "ARREST_KEY": key,
                    "PERSON_ID": f"P{p}",
                    "ARREST_DATE": draw(NEAR),
                    "LAW_CAT_CD": draw(st.sampled_from(["F", "M", "M", "V"])),
                }
            )
            for _ in range(draw(st.integers(0, 4))):
                events.append(
                    {
                        "EVENT_ID": f"E{len(events) + 1:03d}",
                        "ARREST_KEY": key,
                        "DOCKET_ID": draw(st.sampled_from([None, None, None, f"{key}-D2"])),
                        "EVENT_DATE": draw(NEAR),
                        "FAMILY_OFFENSE": draw(st.booleans()),
                        **draw(st.sampled_from(FOCUS_EVENTS)),
                    }
                )
    as_of = draw(NEAR)
    if events and draw(st.booleans()):  # often while an ACD (or another clock) is running
        near = draw(st.sampled_from([e["EVENT_DATE"] for e in events]))
        as_of = near + pd.Timedelta(days=draw(st.integers(0, 200))).to_pytimedelta()
    return table("arrests", arrests), table("court_events", events), as_of


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocked_clock_histories(), CONFIGS)
def test_fast_engine_equals_reference_on_blocked_clocks_and_reopened_sealings(history, config):
    assert_engines_agree(history, config)
