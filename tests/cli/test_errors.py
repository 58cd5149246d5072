"""Bad input on the command line: exit 2, a message naming the culprit, nothing left behind.

CONTRACT.md ("Commands"): exit 2 for bad input or usage, ``--json`` prints exactly one
JSON object on stdout, and a command that exits 2 leaves the home as it was.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.registry import Registry

runner = CliRunner()
AS_OF = ("--as-of", "2026-06-01")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def only_json(result) -> dict:
    """The one JSON object on stdout (fails on none, or on more than one)."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.fixture()
def world_copy(tmp_path, tiny_world):
    """A private copy of the tiny world that a test may break."""
    return shutil.copytree(tiny_world, tmp_path / "data")


# --- the registry commands need all seven tables present --------------------------------
@pytest.mark.parametrize("command", ["build", "explain", "export"])
def test_registry_commands_refuse_a_missing_table(tmp_path, world_copy, command):
    (world_copy / "patterns.parquet").unlink()
    home = tmp_path / "home"
    args = {
        "build": ["build"],
        "explain": ["explain", "100000001"],
        "export": ["export", "--out", tmp_path / "out.csv"],
    }[command]
    result = invoke("registry", *args, "--data", world_copy, "--home", home, *AS_OF, "--json")
    assert result.exit_code == 2, result.output
    assert "MISSING_TABLE patterns" in result.stderr
    assert only_json(result)["exit_code"] == 2
    assert not home.exists() and not (tmp_path / "out.csv").exists()


def test_registry_build_refuses_an_ambiguous_table(tmp_path, world_copy):
    (world_copy / "complaints.csv").write_text("CMPLNT_NUM\n")
    home = tmp_path / "home"
    result = invoke("registry", "build", "--data", world_copy, "--home", home, *AS_OF)
    assert result.exit_code == 2
    assert "AMBIGUOUS_TABLE complaints" in result.stderr
    assert not home.exists()


def test_registry_commands_only_check_the_other_tables_are_there(tmp_path, world_copy):
    # an unreadable patterns file is not read: the registry needs only its three tables
    (world_copy / "patterns.parquet").write_bytes(b"not parquet")
    result = invoke("registry", "build", "--data", world_copy, "--home", tmp_path / "home", *AS_OF)
    assert result.exit_code == 0, result.output


# --- registry export --out is checked before anything is created ------------------------
@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("folder", "is a directory"),
        ("no-such-folder/x.csv", "does not exist"),
        ("x.txt", "must end in .parquet or .csv"),
    ],
)
def test_export_refuses_a_bad_out_before_opening_the_home(tmp_path, tiny_world, out, expected):
    (tmp_path / "folder").mkdir()
    home = tmp_path / "home"
    result = invoke(
        "registry", "export", "--data", tiny_world, "--out", tmp_path / out, "--home", home
    )
    assert result.exit_code == 2, result.output
    assert f"--out {tmp_path / out}" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.output
    assert not home.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_export_refuses_an_unwritable_out(tmp_path, tiny_world):
    home = tmp_path / "home"
    result = invoke(
        "registry", "export", "--data", tiny_world, "--out", "/proc/x.csv", "--home", home
    )
    assert result.exit_code == 2, result.output
    assert "--out /proc/x.csv" in result.stderr and "Traceback" not in result.output
    assert not home.exists()


def test_export_that_fails_while_writing_leaves_no_file(tmp_path, tiny_world, monkeypatch):
    def half_written(self, tables, as_of, policy, out):
        out.write_text("ARREST_KEY,sta")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Registry, "export", half_written)
    target = tmp_path / "out"
    target.mkdir()
    home = tmp_path / "home"
    result = invoke(
        "registry", "export", "--data", tiny_world, "--out", target / "x.csv", "--home", home
    )
    assert result.exit_code == 2, result.output
    assert f"--out {target / 'x.csv'}" in result.stderr and "No space left" in result.stderr
    assert list(target.iterdir()) == []
    assert not home.exists()


# --- a corrupt registry database is unreadable input, not a crash -----------------------
@pytest.fixture()
def corrupt_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "registry.db").write_bytes(b"this is not a database" * 100)
    return home


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "verify"],
        ["registry", "explain", "100000001", "--data", "TINY"],
        ["lineage", "prove-absent", "models:/recidivism/1", "100000001"],
        ["evaluate", "--data", "TINY", "--out", "OUT"],
        ["report"],
    ],
    ids=["audit-verify", "registry-explain", "prove-absent", "evaluate", "report"],
)
def test_a_corrupt_registry_database_is_named_and_exits_2(tmp_path, corrupt_home, tiny_world, args):
    before = (corrupt_home / "registry.db").read_bytes()
    args = [{"TINY": tiny_world, "OUT": tmp_path / "evaluation"}.get(a, a) for a in args]
    result = invoke(*args, "--home", corrupt_home, "--json")
    assert result.exit_code == 2, result.output
    database = str(corrupt_home / "registry.db")
    assert database in result.stderr and "Traceback" not in result.output
    assert database in only_json(result)["error"]
    assert (corrupt_home / "registry.db").read_bytes() == before


# --- --json prints one object even when the command fails -------------------------------
def test_json_error_is_one_object_on_stdout(tmp_path, tiny_world):
    result = invoke(
        "registry", "explain", "999999999", "--data", tiny_world, "--home", tmp_path / "h",
        *AS_OF, "--json",
    )  # fmt: skip
    assert result.exit_code == 2
    payload = only_json(result)
    assert payload == {"error": payload["error"], "exit_code": 2}
    assert "999999999" in payload["error"]
    assert "Error:" in result.stderr and "999999999" in result.stderr


def test_json_error_of_a_command_without_a_home(tmp_path):
    result = invoke("lineage", "check-proof", tmp_path / "nope.json", "--json")
    assert result.exit_code == 2
    assert str(tmp_path / "nope.json") in only_json(result)["error"]


def test_without_json_an_error_prints_nothing_on_stdout(tmp_path):
    result = invoke("lineage", "check-proof", tmp_path / "nope.json")
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["registry", "explain"], "Missing argument"),
        (["registry", "explain", "1", "--data", "d", "--policy", "bogus"], "'bogus'"),
        (["validate", "d", "--bogus"], "No such option: --bogus"),
    ],
    ids=["missing-argument", "bad-choice", "unknown-option"],
)
def test_json_usage_errors_of_the_parser_are_one_object_too(tmp_path, args, fragment):
    """Refused by the argument parser, before any command code runs."""
    home = tmp_path / "home"
    result = invoke(*args, "--home", home, "--json")
    assert result.exit_code == 2
    payload = only_json(result)
    assert payload["exit_code"] == 2 and fragment in payload["error"]
    assert "Usage:" in result.stderr and not home.exists()
    plain = invoke(*args, "--home", home)
    assert plain.exit_code == 2 and plain.stdout == ""


def test_a_refusal_that_printed_its_result_prints_no_second_object(model_home):
    result = invoke("verify", "models:/recidivism/1", "--home", model_home.path, "--json")
    assert result.exit_code == 1
    payload = only_json(result)
    assert payload["compliant"] is False and "error" not in payload


# --- empty --as and empty ARREST_KEY ----------------------------------------------------
def test_records_show_refuses_an_empty_requester_first(tmp_path):
    home = tmp_path / "home"
    result = invoke(
        "records", "show", "100000001", "--data", tmp_path / "no-data", "--as", " ",
        "--purpose", "EMPLOYMENT", "--home", home, "--json",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--as" in only_json(result)["error"] and "--as" in result.stderr
    assert "audit entry" not in result.stderr and "no-data" not in result.stderr
    assert not home.exists()


def test_prove_absent_refuses_an_empty_arrest_key(model_home):
    result = invoke(
        "lineage", "prove-absent", "models:/recidivism/1", "", "--home", model_home.path, "--json"
    )
    assert result.exit_code == 2
    assert "ARREST_KEY" in only_json(result)["error"]


# --- commands that only read models never create a home ---------------------------------
@pytest.mark.parametrize(
    "args",
    [["verify", "models:/recidivism/1"], ["lineage", "prove-absent", "models:/recidivism/1", "1"]],
    ids=["verify", "prove-absent"],
)
def test_model_readers_refuse_a_missing_home(tmp_path, args):
    home = tmp_path / "fresh"
    result = invoke(*args, "--home", home, "--json")
    assert result.exit_code == 2, result.output
    assert f"no sanitizer home at {home}" in result.stderr
    assert only_json(result)["exit_code"] == 2
    assert not home.exists()
