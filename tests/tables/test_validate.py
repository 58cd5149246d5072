"""``validate``: every error class, named by table, column and 1-based row."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanitizer._errors import BadInput
from sanitizer.tables import MAX_ROWS_PER_PROBLEM, read_tables, validate_directory, write_table
from sanitizer.tables import _issues as msg


def codes(report):
    return {(e.code, e.table, e.column, e.row) for e in report.errors}


def test_minimal_data_is_valid(frames, write, fmt):
    report, tables = validate_directory(write(frames, fmt))
    assert report.errors == [] and report.warnings == []
    assert tables is not None and set(tables) == set(frames)


def test_missing_and_ambiguous_tables(frames, write):
    directory = write(frames, "parquet")
    (directory / "patterns.parquet").unlink()
    write_table(frames["persons"], "persons", directory, "csv")
    report, tables = validate_directory(directory)
    assert ("MISSING_TABLE", "patterns", None, None) in codes(report)
    assert ("AMBIGUOUS_TABLE", "persons", None, None) in codes(report)
    assert tables is None


def test_unreadable_file_is_reported_not_raised(frames, write):
    directory = write(frames, "parquet")
    (directory / "arrests.parquet").write_bytes(b"not parquet at all")
    report, _ = validate_directory(directory)
    [error] = [e for e in report.errors if e.table == "arrests"]
    assert error.code == "MISSING_TABLE" and "arrests.parquet could not be read" in error.message


def test_missing_column_is_an_error_and_extra_column_a_warning(frames, write, fmt):
    directory = write(frames, fmt, name="in")
    # write_table insists on the contract; write the broken file by hand
    path = directory / f"persons.{fmt}"
    broken = pd.DataFrame(
        {
            "PERSON_ID": ["P1", "P2"],
            "BIRTH_YEAR": ["1990", "1985"],
            "SEX": ["M", "F"],
            "NICKNAME": ["x", "y"],
        }
    )
    if fmt == "csv":
        broken.to_csv(path, index=False)
    else:
        pq.write_table(
            pa.Table.from_pandas(broken.astype({"BIRTH_YEAR": int}), preserve_index=False), path
        )
    report, _ = validate_directory(directory)
    assert ("MISSING_COLUMN", "persons", "RACE", None) in codes(report)
    assert [(w.code, w.column) for w in report.warnings] == [("EXTRA_COLUMN", "NICKNAME")]


def test_csv_cells_of_the_wrong_type_and_bad_dates(frames, write, tmp_path):
    directory = write(frames, "csv")
    text = (directory / "persons.csv").read_text().replace('"1985"', '"nineteen"')
    (directory / "persons.csv").write_text(text)
    events = (directory / "court_events.csv").read_text()
    events = events.replace('"2022-05-01"', '"2022-02-30"').replace('"2022-09-01"', '"09/01/2022"')
    (directory / "court_events.csv").write_text(events)
    complaints = (directory / "complaints.csv").read_text().replace('"22:15:00"', '"25:61:00"')
    (directory / "complaints.csv").write_text(complaints)
    report, _ = validate_directory(directory)
    found = codes(report)
    assert ("WRONG_TYPE", "persons", "BIRTH_YEAR", 2) in found
    assert ("BAD_DATE", "court_events", "EVENT_DATE", 3) in found
    assert ("BAD_DATE", "court_events", "EVENT_DATE", 5) in found
    assert ("BAD_DATE", "complaints", "CMPLNT_FR_TM", 1) in found
    [birth] = [e for e in report.errors if e.column == "BIRTH_YEAR"]
    assert birth.message == msg.MSG_WRONG_TYPE.format(expected="an integer", received="nineteen")


def test_parquet_column_stored_with_the_wrong_type(frames, write):
    directory = write(frames, "parquet")
    table = pq.read_table(directory / "persons.parquet")
    as_int = table.set_column(0, "PERSON_ID", pa.array([1, 2]))
    pq.write_table(as_int, directory / "persons.parquet")
    report, _ = validate_directory(directory)
    assert ("WRONG_TYPE", "persons", "PERSON_ID", None) in codes(report)


def test_duplicate_keys_name_the_first_occurrence(frames, write, fmt):
    frames["arrests"] = pd.concat(
        [frames["arrests"], frames["arrests"].iloc[[0]]], ignore_index=True
    )
    dup = frames["patterns"].iloc[[0]]
    frames["patterns"] = pd.concat([frames["patterns"], dup], ignore_index=True)
    report, _ = validate_directory(write(frames, fmt))
    assert ("DUPLICATE_KEY", "arrests", "ARREST_KEY", 3) in codes(report)
    assert ("DUPLICATE_KEY", "patterns", "PATTERN_ID/CMPLNT_NUM", 3) in codes(report)
    [error] = [e for e in report.errors if e.table == "arrests" and e.code == "DUPLICATE_KEY"]
    assert error.message == msg.MSG_DUPLICATE_KEY.format(key="A1", first_row=1)


@pytest.mark.parametrize(
    "table, column, value",
    [
        ("arrests", "PERSON_ID", "P404"),
        ("court_events", "ARREST_KEY", "A404"),
        ("complaint_arrests", "CMPLNT_NUM", "C404"),
        ("complaint_arrests", "ARREST_KEY", "A404"),
        ("patterns", "CMPLNT_NUM", "C404"),
        ("patterns", "ESTABLISHED_BY_ARREST_KEY", "A404"),
        ("access_grants", "SCOPE_ARREST_KEYS", "A1;A404"),
        ("access_grants", "SCOPE_PERSON_IDS", "P404"),
    ],
)
def test_dangling_references(frames, write, table, column, value):
    frames[table].loc[0, column] = value
    report, _ = validate_directory(write(frames))
    dangling = [e for e in report.errors if e.code == "DANGLING_REFERENCE"]
    assert [(e.table, e.column, e.row) for e in dangling] == [(table, column, 1)]
    assert "404" in dangling[0].message


def test_wildcard_scope_is_not_a_dangling_reference(frames, write):
    frames["access_grants"].loc[0, "SCOPE_ARREST_KEYS"] = "*"
    report, _ = validate_directory(write(frames))
    assert report.valid


def test_values_outside_a_vocabulary(frames, write, fmt):
    frames["persons"].loc[1, "RACE"] = "MARTIAN"
    frames["court_events"].loc[0, "DISPOSITION"] = "PARDON"
    frames["access_grants"].loc[0, "RECORD_TYPES"] = "PHOTO;DNA"
    frames["complaints"].loc[0, "KY_CD"] = "344"
    report, _ = validate_directory(write(frames, fmt))
    found = codes(report)
    assert ("BAD_VALUE", "persons", "RACE", 2) in found
    assert ("BAD_VALUE", "court_events", "DISPOSITION", 1) in found
    assert ("BAD_VALUE", "access_grants", "RECORD_TYPES", 1) in found
    assert ("BAD_VALUE", "complaints", "KY_CD", 1) in found
    [race] = [e for e in report.errors if e.column == "RACE"]
    assert race.message.startswith("'MARTIAN' is not one of BLACK, WHITE HISPANIC")


def test_required_values_and_fields_required_by_event_type(frames, write, fmt):
    frames["arrests"].loc[1, "ARREST_DATE"] = pd.NaT
    frames["court_events"].loc[3, "OFFENSE_CLASS"] = None
    report, _ = validate_directory(write(frames, fmt))
    found = codes(report)
    assert ("BAD_VALUE", "arrests", "ARREST_DATE", 2) in found
    assert ("BAD_VALUE", "court_events", "OFFENSE_CLASS", 4) in found


def test_impossible_timelines(frames, write, fmt):
    events = frames["court_events"]
    events = events[events["EVENT_ID"] != "E2"].reset_index(drop=True)  # restored, never granted
    events.loc[0, "EVENT_DATE"] = pd.Timestamp("2019-12-31")  # before arrest A1
    frames["court_events"] = events
    frames["persons"].loc[1, "BIRTH_YEAR"] = 2023  # P2 arrested in 2022
    frames["complaints"].loc[0, "CMPLNT_TO_DT"] = pd.Timestamp("2020-01-08")
    report, _ = validate_directory(write(frames, fmt))
    timeline = {(e.table, e.row) for e in report.errors if e.code == "BAD_TIMELINE"}
    assert timeline == {("court_events", 1), ("court_events", 2), ("arrests", 2), ("complaints", 1)}
    restored = [e for e in report.errors if e.table == "court_events" and e.row == 2]
    assert "ACD_RESTORED without an earlier ACD_GRANTED" in restored[0].message


def test_a_docket_belongs_to_one_arrest(frames, write):
    frames["court_events"].loc[0, "DOCKET_ID"] = "D2"
    report, _ = validate_directory(write(frames))
    [error] = report.errors
    assert (error.code, error.column) == ("BAD_VALUE", "DOCKET_ID")


def test_many_bad_rows_are_capped_with_a_count(frames, write):
    n = MAX_ROWS_PER_PROBLEM + 150
    persons = pd.concat([frames["persons"]] * (n // 2 + 1), ignore_index=True).iloc[:n].copy()
    persons["PERSON_ID"] = [f"P{i}" for i in range(1, n + 1)]
    persons["SEX"] = "Q"
    frames["persons"] = persons
    report, _ = validate_directory(write(frames))
    sex = [e for e in report.errors if e.column == "SEX"]
    assert len(sex) == MAX_ROWS_PER_PROBLEM + 1
    assert sex[-1].row is None and "150 more rows" in sex[-1].message


def test_read_tables_raises_bad_input_naming_the_problem(frames, write):
    frames["persons"].loc[0, "SEX"] = "Q"
    with pytest.raises(BadInput, match=r"BAD_VALUE persons.SEX row 1"):
        read_tables(write(frames))


def test_not_a_directory(tmp_path):
    report, tables = validate_directory(tmp_path / "nope")
    assert not report.valid and tables is None


def test_unknown_notice_statute_is_a_bad_value(frames, write, fmt):
    events = frames["court_events"]
    events.loc[0, ["EVENT_TYPE", "NOTICE_ACTION", "NOTICE_STATUTE"]] = [
        "NOTICE",
        "SEAL",
        "CPL 160.56",
    ]
    events.loc[0, "DISPOSITION"] = None
    report, _ = validate_directory(write(frames, fmt))
    assert codes(report) == {("BAD_VALUE", "court_events", "NOTICE_STATUTE", 1)}
    assert "'CPL 160.56'" in report.errors[0].message
    with pytest.raises(BadInput, match=r"court_events\.NOTICE_STATUTE row 1"):
        read_tables(write(frames, fmt, name="again"))
