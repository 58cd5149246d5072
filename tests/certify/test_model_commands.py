"""The model commands end to end on the tiny world: retrain, verify, prove-absent, events.

One home is shared by the tests of this module, in order: certify, verify, prove, tamper
and restore, then seal a used record and watch the model decertified and recertified.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from sanitizer._demo import sealing_events
from sanitizer._home import Home
from sanitizer.certify import ModelStore
from sanitizer.cli import app
from sanitizer.registry import Registry

AS_OF = "2026-06-01"
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def as_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def home(tmp_path_factory, mlflow_db_template):
    import os

    os.environ.pop("MLFLOW_TRACKING_URI", None)
    folder = tmp_path_factory.mktemp("commands") / "home"
    folder.mkdir()
    shutil.copy(mlflow_db_template, folder / "mlflow.db")
    return folder


@pytest.fixture(scope="module")
def certified(home, tiny_world):
    result = cli(
        "retrain", "patternizr", "--crime-type", "burglary", "--data", tiny_world,
        "--trees", 8, "--as-of", AS_OF, "--home", home, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = as_json(result)
    assert payload["certified"] and payload["model_uri"] == "models:/patternizr-burglary/1"
    return payload


def test_retrain_prints_the_contract_json(certified):
    assert set(certified) >= {
        "certified", "model_uri", "version", "run_id", "fingerprint", "snapshot_digest",
        "policy", "valid_until", "gates", "metrics",
    }  # fmt: skip
    assert all(g["passed"] for g in certified["gates"].values())
    assert certified["version"] == 1 and certified["policy"] == "strict"


def test_verify_passes_without_data_and_lists_the_skipped_checks(certified, home):
    result = cli("verify", "models:/patternizr-burglary@certified", "--as-of", AS_OF,
                 "--home", home, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = as_json(result)
    assert payload["compliant"]
    assert set(payload["checks"]) == {
        "signature", "artifact_digest", "registry_current", "valid_until"
    }  # fmt: skip
    assert payload["skipped"] == ["provenance", "fitted_state", "invariance"]


def test_a_copied_home_is_refused_until_relocated_then_reads_its_own_files(
    certified, home, tmp_path
):
    copy = tmp_path / "copy"
    shutil.copytree(home, copy)
    uri = "models:/patternizr-burglary@certified"

    refused = cli("verify", uri, "--as-of", AS_OF, "--home", copy, "--json")
    assert refused.exit_code == 1
    assert "home relocate" in refused.output and str(home) in refused.output

    moved = cli("home", "relocate", "--home", copy, "--json")
    assert moved.exit_code == 0, moved.output
    payload = as_json(moved)
    assert payload["from"] == f"file://{home.resolve()}/mlartifacts/"
    assert payload["rows"]["model_versions.source"] >= 1
    assert cli("verify", uri, "--as-of", AS_OF, "--home", copy).exit_code == 0

    # the copy's checks read the copy: a byte changed there fails it, the original passes
    weights = sorted((copy / "mlartifacts").rglob("*.skops"))[0]
    weights.write_bytes(weights.read_bytes() + b"\0")
    assert cli("verify", uri, "--as-of", AS_OF, "--home", copy).exit_code == 1
    assert cli("verify", uri, "--as-of", AS_OF, "--home", home).exit_code == 0
    audit = Registry(Home.resolve(copy)).audit.entries("HOME_RELOCATED")
    assert len(audit) == 1


def test_home_copy_makes_a_working_relocated_copy_and_leaves_the_original(
    certified, home, tmp_path
):
    original_entries = len(Registry(Home.resolve(home)).audit.entries())
    target = tmp_path / "for-the-monitor"
    copied = cli("home", "copy", target, "--home", home, "--json")
    assert copied.exit_code == 0, copied.output
    uri = "models:/patternizr-burglary@certified"
    assert cli("verify", uri, "--as-of", AS_OF, "--home", target).exit_code == 0
    assert [e["detail"]["to"] for e in Registry(Home.resolve(target)).audit.entries(
        "HOME_RELOCATED"
    )] == [f"file://{target.resolve()}/mlartifacts/"]  # fmt: skip
    assert len(Registry(Home.resolve(home)).audit.entries()) == original_entries
    again = cli("home", "copy", target, "--home", home)
    assert again.exit_code == 2 and "already exists" in again.output
    assert not list(tmp_path.glob(".*.copying"))


def test_an_excluded_arrest_has_an_absence_proof_and_a_used_one_has_none(
    certified, home, tmp_path, tiny_tables
):
    from sanitizer.registry import build_snapshot

    snapshot = build_snapshot(tiny_tables, date.fromisoformat(AS_OF), "strict")
    excluded = snapshot.excluded_keys[0]
    result = cli("lineage", "prove-absent", "models:/patternizr-burglary/1", excluded,
                 "--home", home)  # fmt: skip
    assert result.exit_code == 0, result.output
    proof = tmp_path / "proof.json"
    proof.write_text(result.stdout)
    checked = cli("lineage", "check-proof", proof, "--json")
    assert checked.exit_code == 0 and as_json(checked)["valid"]
    assert as_json(checked)["root"] == json.loads(result.stdout)["root"]
    used = sorted(set(tiny_tables["arrests"]["ARREST_KEY"]) - set(snapshot.excluded_keys))[0]
    refused = cli("lineage", "prove-absent", "models:/patternizr-burglary/1", used,
                  "--home", home, "--json")  # fmt: skip
    assert refused.exit_code == 1
    answer = as_json(refused)
    assert not answer["absent"] and "among the arrests" in answer["reason"]
    assert answer["root"] == json.loads(result.stdout)["root"]
    # what it prints instead is the proof that the arrest was used, checked the same way
    proof.write_text(refused.stdout)
    checked = cli("lineage", "check-proof", proof, "--json")
    assert checked.exit_code == 0 and as_json(checked) == {
        "valid": True, "root": answer["root"], "absent": False}  # fmt: skip
    forged = {**answer, "absent": True}  # the same proof passed off as absence
    proof.write_text(json.dumps(forged))
    assert cli("lineage", "check-proof", proof, "--json").exit_code == 1


def test_tampering_with_the_model_or_its_certificate_fails_verify(certified, home):
    store = ModelStore.for_home(Home.resolve(home))
    ref = store.resolve("models:/patternizr-burglary/1")
    folder = store.model_dir(ref)
    weights = sorted((folder / "artifacts").rglob("*.skops"))[0]
    original = weights.read_bytes()
    weights.write_bytes(original + b"\0")
    try:
        result = cli("verify", "models:/patternizr-burglary/1", "--as-of", AS_OF,
                     "--home", home, "--json")  # fmt: skip
        assert result.exit_code == 1
        payload = as_json(result)
        assert not payload["checks"]["artifact_digest"]["passed"]
        assert payload["checks"]["signature"]["passed"]
    finally:
        weights.write_bytes(original)
    certificate = folder.parent / "certificate.json"
    text = certificate.read_text()
    document = json.loads(text)
    document["valid_until"] = "2099-01-01"
    certificate.write_text(json.dumps(document))
    try:
        result = cli("verify", "models:/patternizr-burglary/1", "--as-of", AS_OF,
                     "--home", home, "--json")  # fmt: skip
        assert result.exit_code == 1
        assert not as_json(result)["checks"]["signature"]["passed"]
    finally:
        certificate.write_text(text)
    # the reviewer artifacts are bound too: an edited lineage report or key list is caught
    for artifact in ("lineage/lineage_report.json", "lineage/used_keys/arrests.txt"):
        path = folder.parent / artifact
        original = path.read_bytes()
        path.write_bytes(original.replace(b"0", b"1", 1))
        try:
            result = cli("verify", "models:/patternizr-burglary/1", "--as-of", AS_OF,
                         "--home", home, "--json")  # fmt: skip
            assert result.exit_code == 1
            check = as_json(result)["checks"]["artifact_digest"]
            assert not check["passed"] and artifact in check["detail"]
        finally:
            path.write_bytes(original)
    again = cli("verify", "models:/patternizr-burglary/1", "--as-of", AS_OF, "--home", home,
                "--json")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "reviewer artifacts match" in as_json(again)["checks"]["artifact_digest"]["detail"]


def test_sealing_a_used_record_decertifies_and_retrains(certified, home, tiny_world, tiny_tables):
    registry = Registry(Home.resolve(home))
    events = sealing_events(tiny_tables, registry, home / "events.csv", date.fromisoformat(AS_OF))
    if events is None:
        pytest.skip("the tiny world has no open arrest the burglary model used")
    result = cli("events", "apply", events, "--data", tiny_world, "--as-of", AS_OF,
                 "--home", home, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = as_json(result)
    assert payload["decertified"] == ["models:/patternizr-burglary/1"], payload
    assert payload["recertified"] == ["models:/patternizr-burglary/2"]
    assert payload["refused"] == []
    # SISA: only the shards whose rows the sealing changed were retrained
    shards = payload["retrained_shards"]["models:/patternizr-burglary/2"]
    assert 1 <= len(shards) < 16
    old = cli("verify", "models:/patternizr-burglary/1", "--as-of", AS_OF, "--home", home,
              "--json")  # fmt: skip
    assert old.exit_code == 1
    assert not as_json(old)["checks"]["registry_current"]["passed"]
    store = ModelStore.for_home(Home.resolve(home))
    assert store.get("patternizr-burglary", 1).status == "decertified"
    served = store.certified("patternizr-burglary")
    assert served.version == 2
    # the recertified model is exactly a from-scratch retrain on the new snapshot
    fresh = cli("retrain", "patternizr", "--crime-type", "burglary", "--data", tiny_world,
                "--trees", 8, "--as-of", AS_OF, "--home", home, "--json")  # fmt: skip
    assert as_json(fresh)["fingerprint"] == served.tag("fingerprint")


def test_tampering_with_the_registry_fails_verify(certified, home):
    import sqlite3

    uri = "models:/patternizr-burglary@certified"
    store = ModelStore.for_home(Home.resolve(home))
    ref = store.resolve(uri)
    certificate = json.loads(store.read_artifact(ref.run_id, "certificate.json"))
    snapshot_id = certificate["snapshot"]["snapshot_id"]
    status_file = next((home / "snapshots").glob(f"{snapshot_id}*"))
    original = status_file.read_bytes()
    status_file.write_bytes(original[:-8] + b"\0" * 8)
    try:
        result = cli("verify", uri, "--as-of", AS_OF, "--home", home, "--json")
        assert result.exit_code == 1
        check = as_json(result)["checks"]["registry_current"]
        assert not check["passed"] and "status file" in check["detail"]
    finally:
        status_file.write_bytes(original)
    with sqlite3.connect(home / "registry.db") as conn:
        conn.execute(
            "INSERT INTO recorded_exclusions VALUES ('SLIPPED-IN', 'strict', 'x', '2026-01-01')"
        )
    try:
        result = cli("verify", uri, "--as-of", AS_OF, "--home", home, "--json")
        assert result.exit_code == 1
        assert "no audit entry lists" in as_json(result)["checks"]["registry_current"]["detail"]
    finally:
        with sqlite3.connect(home / "registry.db") as conn:
            conn.execute("DELETE FROM recorded_exclusions WHERE arrest_key = 'SLIPPED-IN'")
    assert cli("verify", uri, "--as-of", AS_OF, "--home", home).exit_code == 0


def test_verifying_a_model_with_no_certified_version_is_a_json_refusal(certified, home):
    result = cli("verify", "models:/recidivism@certified", "--home", home, "--json")
    assert result.exit_code == 1
    payload = as_json(result)
    assert payload["compliant"] is False and "no certified version" in payload["reason"]


def test_home_relocate_refuses_a_missing_home_and_has_nothing_to_do_without_models(tmp_path):
    missing = cli("home", "relocate", "--home", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "not a home" in missing.output
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "registry-only").mkdir()
    quiet = cli("home", "relocate", "--home", tmp_path / "registry-only", "--json")
    assert quiet.exit_code == 0 and as_json(quiet)["rows"] == {}
