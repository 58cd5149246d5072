"""The three notebooks under ``notebooks/`` run top to bottom on ``tiny`` data and say so.

Notebook 01 runs as a user would run it (it synthesises its own world and makes its own
home); 02 and 03 are handed that home instead of making their own, which saves retraining
the same models twice (their set-up cell trains exactly as 01 does). One test, because
they share that home: split across xdist workers, 01 would run twice.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _images(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def _errors(notebook) -> list[str]:
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def test_every_notebook_has_a_parameters_cell_and_stored_outputs():
    import nbformat

    for name in _build_module().NOTEBOOKS:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        tags = [c.metadata.get("tags", []) for c in notebook.cells]
        assert any("parameters" in t for t in tags), f"{name} has no parameters cell"
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(c.get("outputs") or c.execution_count for c in code), (
            f"{name} is committed without outputs; run notebooks/build.py"
        )
        assert not _errors(notebook), f"{name} was committed with an error output"


@pytest.mark.slow
def test_the_notebooks_run_on_tiny_data(tmp_path, monkeypatch):
    build = _build_module()
    for variable in ("MLFLOW_TRACKING_URI", "SANITIZER_DB_URL", "SANITIZER_HOME", "SANITIZER_DATA"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    first = tmp_path / "01"
    home, data = first / "home", first / "data"

    scientist = build.execute(
        NOTEBOOKS / build.NOTEBOOKS[0], {"WORKDIR": str(first)}, workdir=tmp_path
    )
    text = build.output_text(scientist)
    assert "certified models:/patternizr-burglary/1" in text
    assert "certified models:/recidivism/1" in text
    assert _images(scientist) == 1, "the before/after plot is missing"
    assert "rows carrying an excluded arrest" in text  # the comparison table

    reviewer = build.execute(
        NOTEBOOKS / build.NOTEBOOKS[1],
        {"WORKDIR": str(tmp_path / "02"), "HOME": str(home), "DATA": str(data)},
        workdir=tmp_path,
    )
    text = build.output_text(reviewer)
    for line in (
        "signed by the exported key: True",
        "signature valid: True",
        "signature valid after moving valid_until to 2099: False",
        "artifact digest matches the certificate: True",
        "recomputed root matches the certificate: True",
        "excluded root matches the certificate: True",
        "excluded arrests among the model's keys: 0",
        "check_proof: True",
        "absence proof valid (by hand): True",
        "compliant: True",
    ):
        assert line in text, line
    assert re.search(r"relabelled for used arrest \S+: False", text)
    assert "absent: False | " in text and "is among the arrests of the clean data" in text
    assert "its inclusion proof checks (check_proof): True" in text

    serving = build.execute(
        NOTEBOOKS / build.NOTEBOOKS[2],
        {"WORKDIR": str(tmp_path / "03"), "HOME": str(home), "DATA": str(data)},
        workdir=tmp_path,
    )
    text = build.output_text(serving)
    assert "request refused: column(s) PERP_RACE are not inputs of recidivism" in text
    assert "do not match the certificate" in text
    assert "original: ok" in text
    assert "P-NOBODY" in text
    assert "refused: models:/recidivism/1: certificate expired on" in text
