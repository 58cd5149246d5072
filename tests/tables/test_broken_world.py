"""``validate`` on a hand-broken copy of the synthetic world names every planted error."""

from __future__ import annotations

import csv
import shutil

from sanitizer.tables import read_tables, validate_directory, write_tables


def rewrite_csv(path, edit):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_every_planted_error_is_named_and_nothing_else(tiny_world, tmp_path):
    tables = read_tables(tiny_world)
    broken = tmp_path / "broken"
    write_tables(dict(tables), broken, "csv")
    events = tables["court_events"]
    restored_row = int(events.index[events["DISPOSITION"] == "ACD_RESTORED"][0]) + 1
    granted_id = events.loc[events["DISPOSITION"] == "ACD_GRANTED", "EVENT_ID"].iloc[0]

    def persons(rows):
        header = rows[0]
        rows[3][header.index("SEX")] = "X"  # data row 3: vocabulary
        rows[4][header.index("BIRTH_YEAR")] = "19x0"  # data row 4: wrong type

    def arrests(rows):
        header = rows[0]
        column = header.index("LAW_CAT_CD")
        for row in rows:
            del row[column]  # a missing column
        header.append("OFFICER_BADGE")  # an extra column: a warning only
        for row in rows[1:]:
            row.append("1234")
        rows[7][header.index("ARREST_DATE")] = "2021-02-30"  # data row 7: bad date

    def court_events(rows):
        header = rows[0]
        drop = [i for i, row in enumerate(rows) if row[header.index("EVENT_ID")] == granted_id]
        del rows[drop[0]]  # the ACD_RESTORED now lacks its ACD_GRANTED

    def complaints(rows):
        rows.append(list(rows[5]))  # a duplicate of data row 5

    def complaint_arrests(rows):
        rows[2][rows[0].index("ARREST_KEY")] = "NO-SUCH-ARREST"  # data row 2: dangling

    for name, edit in [
        ("persons", persons),
        ("arrests", arrests),
        ("court_events", court_events),
        ("complaints", complaints),
        ("complaint_arrests", complaint_arrests),
    ]:
        rewrite_csv(broken / f"{name}.csv", edit)
    shutil.copy(tiny_world / "patterns.parquet", broken / "patterns.parquet")  # ambiguous

    report, _ = validate_directory(broken)
    found = {(e.code, e.table, e.column, e.row) for e in report.errors}
    deleted_before_restored = (
        restored_row - 1 if granted_row_before(events, granted_id, restored_row) else restored_row
    )
    expected = {
        ("BAD_VALUE", "persons", "SEX", 3),
        ("WRONG_TYPE", "persons", "BIRTH_YEAR", 4),
        ("MISSING_COLUMN", "arrests", "LAW_CAT_CD", None),
        ("BAD_DATE", "arrests", "ARREST_DATE", 7),
        ("BAD_TIMELINE", "court_events", "EVENT_TYPE", deleted_before_restored),
        ("DUPLICATE_KEY", "complaints", "CMPLNT_NUM", len(tables["complaints"]) + 1),
        ("DANGLING_REFERENCE", "complaint_arrests", "ARREST_KEY", 2),
        ("AMBIGUOUS_TABLE", "patterns", None, None),
    }
    assert found == expected, [str(e) for e in report.errors]
    assert [(w.code, w.column) for w in report.warnings] == [("EXTRA_COLUMN", "OFFICER_BADGE")]


def granted_row_before(events, granted_id, restored_row) -> bool:
    granted_row = int(events.index[events["EVENT_ID"] == granted_id][0]) + 1
    return granted_row < restored_row
