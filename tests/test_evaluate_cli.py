"""`sanitizer evaluate`: one command writes the evaluation table and the fairness report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    base = tmp_path_factory.mktemp("evaluate")
    out, home = base / "out", base / "home"
    result = invoke(
        "evaluate",
        "--data",
        SAMPLE,
        "--crime-type",
        "burglary",
        "--trees",
        "10",
        "--as-of",
        "2026-06-01",
        "--out",
        out,
        "--home",
        home,
        "--json",
    )
    return result, out, home


def test_writes_the_table_and_the_report(evaluated):
    result, out, home = evaluated
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["out"] == str(out)
    assert set(payload["models"]) == {"patternizr-burglary", "recidivism"}
    for name, model in payload["models"].items():
        assert set(model["gates"]) == {"fairness", "quality"}, name
        assert all(isinstance(g["passed"], bool) for g in model["gates"].values())
    metrics = payload["models"]["patternizr-burglary"]["metrics"]
    assert 0 <= metrics["perfect_rebuild"] <= metrics["partial_rebuild"] <= 1
    assert metrics["truth"]["sets"] > 0  # data/sample has truth/ (CSV)
    assert payload["models"]["recidivism"]["metrics"]["auc"] > 0.5
    assert sorted(p.name for p in out.iterdir()) == [
        "evaluation.json",
        "evaluation.md",
        "fairness.json",
        "fairness.md",
    ]
    assert not home.exists()  # evaluating creates no home


def test_table_sits_beside_the_published_figures(evaluated):
    _, out, _ = evaluated
    table = (out / "evaluation.md").read_text()
    assert "Patternizr (published)" in table and "| 0.330 | 0.800 |" in table
    assert "true series (truth/)" in table and "raw (before sanitization)" in table
    document = json.loads((out / "evaluation.json").read_text())
    results = document["models"]["patternizr-burglary"]["results"]
    assert {"sanitized/patterns", "sanitized/truth", "raw/patterns"} <= set(results)
    assert document["published"]["patternizr"] == {"perfect_rebuild": 0.33, "partial_rebuild": 0.8}


def test_report_covers_groups_gates_and_before_after(evaluated):
    _, out, _ = evaluated
    page = (out / "fairness.md").read_text()
    for heading in (
        "## Gates",
        "### Recall@10 by group",
        "### Patternizr's race test",
        "### Decisions by group",
        "### Insufficient evidence",
        "### Before vs after sanitization",
    ):
        assert heading in page, heading
    document = json.loads((out / "fairness.json").read_text())
    burglary = document["models"]["patternizr-burglary"]
    assert {r["dimension"] for r in burglary["report"]["by_group"]} == {
        "race",
        "sex",
        "age_group",
        "borough",
    }
    assert burglary["report"]["notes"]  # tiny data: small groups, reported as such
    assert burglary["before_sanitization"]["gates"].keys() == {"fairness", "quality"}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--data", "/no/such/folder"], "/no/such/folder"),
        (["--data", SAMPLE, "--crime-type", "arson"], "--crime-type 'arson'"),
        (["--data", SAMPLE, "--model", "recidivism", "--crime-type", "robbery"], "--crime-type"),
        (["--data", SAMPLE, "--mitigate", "magic"], "--mitigate 'magic'"),
        (["--data", SAMPLE, "--model", "nonsense"], "nonsense"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, named):
    out = tmp_path / "out"
    result = invoke("evaluate", *args, "--out", out, "--home", tmp_path / "home")
    assert result.exit_code == 2
    assert named in result.output
    assert not out.exists() and not (tmp_path / "home").exists()
