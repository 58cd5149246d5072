"""Data commitments: full-content digests and key roots that absence proofs check against."""

from __future__ import annotations

import pytest
from minimal_data import minimal_frames

from sanitizer._errors import Refused
from sanitizer.lineage import commit_tables
from sanitizer.registry import merkle_root, verify_absence
from sanitizer.tables import Tables, content_digest


def test_every_table_gets_a_content_digest_and_key_root():
    frames = minimal_frames()
    commitments = commit_tables(Tables(frames)).to_dict()
    assert commitments["arrests"]["sha256"] == content_digest(frames["arrests"], "arrests")
    assert commitments["arrests"]["keys_root"] == merkle_root(["A1", "A2"])
    assert commitments["patterns"]["keys_root"] == merkle_root(["PT1/C1", "PT1/C2"])
    assert commitments["complaint_arrests"]["rows"] == 1


def test_absence_proof_verifies_against_the_root_alone():
    commitments = commit_tables(Tables(minimal_frames()))
    proof = commitments.prove_absent("arrests", "A9")
    assert proof["root"] == merkle_root(["A1", "A2"])
    assert verify_absence(proof["proof"], proof["root"])


def test_no_absence_proof_for_a_used_record():
    commitments = commit_tables(Tables(minimal_frames()))
    with pytest.raises(Refused, match="'A1' is among the arrests records this model used"):
        commitments.prove_absent("arrests", "A1")


def test_derived_tables_are_committed_by_their_own_keys():
    import pandas as pd

    pairs = pd.DataFrame({"left": ["C2", "C1"], "right": ["C3", "C2"], "y": [0, 1]})
    commitments = commit_tables({}, {"pairs": (pairs, ("left", "right"))})
    again = commit_tables({}, {"pairs": (pairs.iloc[::-1], ("left", "right"))})
    assert commitments.to_dict() == again.to_dict()
    assert commitments.tables["pairs"].keys_root == merkle_root(["C1/C2", "C2/C3"])


def test_check_proof_cli_validates_alone(tmp_path):
    import json

    from typer.testing import CliRunner

    from sanitizer.cli import app

    proof = commit_tables(Tables(minimal_frames())).prove_absent("arrests", "A9")
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    runner = CliRunner()
    ok = runner.invoke(app, ["lineage", "check-proof", str(path), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True
    forged = dict(proof, key="A1")
    forged["proof"] = dict(proof["proof"], key="A1")
    path.write_text(json.dumps(forged))
    bad = runner.invoke(app, ["lineage", "check-proof", str(path), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["valid"] is False
    path.write_text("not json")
    assert runner.invoke(app, ["lineage", "check-proof", str(path)]).exit_code == 2
