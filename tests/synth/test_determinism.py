from pathlib import Path

import pytest

import sanitizer.synth as synth
from sanitizer.synth import generate, write_world


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_public_names_exist():
    for name in synth.__all__:
        assert hasattr(synth, name), name


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_same_bytes(tmp_path, fmt):
    write_world(generate("tiny", seed=7), tmp_path / "a", fmt)
    write_world(generate("tiny", seed=7), tmp_path / "b", fmt)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == sorted(b)
    assert len(a) >= 7 + 5  # seven tables plus truth files
    for name in a:
        assert a[name] == b[name], f"{name} differs between two runs with one seed"


def test_other_seed_differs(tmp_path, tiny_world):
    write_world(tiny_world, tmp_path / "a")
    write_world(generate("tiny", seed=1), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    for table in ("arrests.parquet", "court_events.parquet", "complaints.parquet"):
        assert a[table] != b[table]


def test_progress_labels_and_unknown_scale():
    labels = []
    generate("tiny", seed=0, progress=labels.append)
    assert labels[0] == "people" and "court" in labels
    with pytest.raises(ValueError, match="scale must be one of"):
        generate("huge")
