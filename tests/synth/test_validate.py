import pytest

from sanitizer.synth import write_world
from sanitizer.tables import PANDAS_DTYPES, SCHEMA, validate_directory


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("world", ["tiny_world", "small_world"])
def test_written_world_validates(tmp_path, request, world, fmt):
    w = request.getfixturevalue(world)
    rows = write_world(w, tmp_path, fmt)
    assert set(rows) == set(SCHEMA)
    assert all(rows[name] == len(w.tables[name]) for name in SCHEMA)
    report, tables = validate_directory(tmp_path)
    assert report.errors == [], [str(e) for e in report.errors[:10]]
    assert report.warnings == []
    assert tables is not None
    for name in ("complaint_offenders", "series", "grants", "dockets", "arrests"):
        assert (tmp_path / "truth" / f"{name}.{fmt}").is_file()


def test_frames_have_contract_columns_and_dtypes(tiny_world):
    assert list(tiny_world.tables) == list(SCHEMA)
    for name, schema in SCHEMA.items():
        frame = tiny_world.tables[name]
        assert list(frame.columns) == schema.column_names, name
        for column in schema.columns:
            assert str(frame[column.name].dtype) == PANDAS_DTYPES[column.kind], (name, column.name)
