"""Parquet and CSV hold the same tables: round trips and canonical text."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.tables import SCHEMA, canonical_text, read_tables, to_arrow, write_tables


def test_parquet_and_csv_round_trip_to_identical_frames(frames, write, tmp_path):
    from_parquet = read_tables(write(frames, "parquet", "pq"))
    write_tables(dict(from_parquet), tmp_path / "csv", "csv")
    from_csv = read_tables(tmp_path / "csv")
    for name in SCHEMA:
        pd.testing.assert_frame_equal(from_parquet[name], from_csv[name], check_exact=True)


def test_typed_frames_have_contract_types(frames, write):
    tables = read_tables(write(frames))
    arrests, events = tables["arrests"], tables["court_events"]
    assert str(arrests["ARREST_DATE"].dtype) == "datetime64[s]"
    assert arrests["Latitude"].dtype == "float64"
    assert str(tables["persons"]["BIRTH_YEAR"].dtype) == "Int64"
    # null booleans take the contract's default: ENTIRE_INSTRUMENT true, others false
    assert events["ENTIRE_INSTRUMENT"].all() and not events["FAMILY_OFFENSE"].any()


def test_canonical_text_is_format_independent(frames, write):
    a = read_tables(write(frames, "parquet", "a"))
    b = read_tables(write(frames, "csv", "b"))
    for name, schema in SCHEMA.items():
        text_a = canonical_text(to_arrow(a[name], schema))
        text_b = canonical_text(to_arrow(b[name], schema))
        assert text_a.equals(text_b), name
    sample = canonical_text(to_arrow(a["complaints"], SCHEMA["complaints"]))
    assert sample.column("SUSP_HEIGHT_IN")[0].as_py() == "70"
    assert sample.column("CMPLNT_FR_DT")[0].as_py() == "2020-01-09"


def test_list_cells_are_canonicalised(frames, write):
    frames["access_grants"].loc[0, "GRANTEE_IDS"] = " det.rivera ; det.chen;;"
    tables = read_tables(write(frames, "csv"))
    assert tables["access_grants"].loc[0, "GRANTEE_IDS"] == "det.rivera;det.chen"


def test_csv_quotes_survive(frames, write):
    tables = read_tables(write(frames, "csv"))
    assert (
        tables["arrests"].loc[0, "ARREST_NARRATIVE"] == frames["arrests"].loc[0, "ARREST_NARRATIVE"]
    )


def test_empty_tables_are_header_only_files(frames, write, fmt):
    frames = {name: frame.iloc[0:0] for name, frame in frames.items()}
    directory = write(frames, fmt)
    if fmt == "csv":
        assert (
            directory / "persons.csv"
        ).read_text().strip() == '"PERSON_ID","BIRTH_YEAR","SEX","RACE"'
    tables = read_tables(directory)
    assert all(len(tables[name]) == 0 for name in SCHEMA)
    assert isinstance(to_arrow(tables["persons"], SCHEMA["persons"]), pa.Table)


def test_content_digest_follows_the_canonical_form(frames):
    import hashlib

    from sanitizer.tables import content_digest

    expected = hashlib.sha256(b"P1\x1f1990\x1fM\x1fBLACK\nP2\x1f1985\x1fF\x1fWHITE HISPANIC")
    assert content_digest(frames["persons"], "persons") == expected.hexdigest()
    shuffled = frames["arrests"].iloc[::-1]
    assert content_digest(shuffled, "arrests") == content_digest(frames["arrests"], "arrests")
    assert content_digest(frames["persons"].iloc[0:0], "persons") == hashlib.sha256().hexdigest()


def test_content_digest_is_the_same_for_csv_and_parquet(frames, write):
    from sanitizer.tables import content_digest

    a = read_tables(write(frames, "parquet", "a"))
    b = read_tables(write(frames, "csv", "b"))
    for name in SCHEMA:
        assert content_digest(a[name], name) == content_digest(b[name], name)


# rows of a two-column-key table; keys drawn from few values so that ties, prefixes
# ("A" < "AB"), non-ASCII bytes and nulls meet, in and out of key order
_KEY_TEXT = st.one_of(st.none(), st.sampled_from(["", "A", "AB", "B", "é", "Z", "a"]))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(_KEY_TEXT, _KEY_TEXT, st.sampled_from(["ANALYST", None])), max_size=8),
    presort=st.booleans(),
)
def test_content_digest_skips_the_sort_only_when_the_rows_are_in_key_order(rows, presort):
    """Tables written in key order are not sorted again (most of a digest at nyc); any
    table, sorted or not, with ties and null keys, must digest as a sorted copy does."""
    import hashlib

    import pyarrow.compute as pc

    from sanitizer.tables import content_digest, make_frame

    frame = make_frame(
        "patterns",
        [
            {
                "PATTERN_ID": p,
                "CMPLNT_NUM": c,
                "PATTERN_SOURCE": s,
                "ESTABLISHED_BY_ARREST_KEY": None,
            }
            for p, c, s in rows
        ],
    )
    if presort:
        frame = frame.sort_values(["PATTERN_ID", "CMPLNT_NUM"], kind="stable", na_position="last")
    text = canonical_text(to_arrow(frame, SCHEMA["patterns"]))
    if text.num_rows:  # the reference: always sort (Arrow's stable sort, nulls last)
        order = pc.sort_indices(
            text, sort_keys=[("PATTERN_ID", "ascending"), ("CMPLNT_NUM", "ascending")]
        )
        text = text.take(order)
    lines = ["\x1f".join("" if v is None else v for v in row.values()) for row in text.to_pylist()]
    expected = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert content_digest(frame, "patterns") == expected
