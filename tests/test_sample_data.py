"""The sample in data/ is valid and is what the generator writes today."""

from __future__ import annotations

import filecmp
from pathlib import Path

from sanitizer.synth import generate, write_world
from sanitizer.tables import validate_directory

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def test_sample_validates():
    report, _ = validate_directory(SAMPLE)
    assert report.valid and not report.warnings, report.errors[:5]


def test_sample_is_what_synth_writes(tmp_path):
    write_world(generate("tiny", 0), tmp_path, "csv")
    compared = filecmp.dircmp(SAMPLE, tmp_path)
    stale = compared.diff_files + compared.left_only + compared.right_only
    stale += [f"truth/{f}" for f in filecmp.dircmp(SAMPLE / "truth", tmp_path / "truth").diff_files]
    assert not stale, (
        f"data/sample is stale ({stale}); regenerate it with "
        "`sanitizer synth --scale tiny --seed 0 --format csv --out data/sample --overwrite`"
    )
