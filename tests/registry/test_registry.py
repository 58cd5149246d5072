"""The registry of a home: snapshots that reproduce, explain, the gate on planted grants, audit."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sanitizer._demo import request_from_truth
from sanitizer._home import Home
from sanitizer.cli import app
from sanitizer.registry import (
    evaluate_reference,
    merkle_root,
    snapshot_digest,
    verify_absence,
    verify_inclusion,
)
from sanitizer.registry._registry import Registry

AS_OF = date(2026, 6, 1)
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def registry(tmp_path):
    return Registry(Home.resolve(tmp_path / "home"))


@pytest.mark.parametrize("policy", ["strict", "statutory"])
def test_snapshot_digest_reproduces_from_its_canonical_parts(registry, tiny_tables, policy):
    snapshot = registry.snapshot(tiny_tables, AS_OF, policy)
    again = registry.snapshot(tiny_tables, AS_OF, policy)
    assert snapshot.digest == again.digest and snapshot.excluded_root == again.excluded_root
    records = snapshot.records
    leaves = (records["arrest_key"] + "\x1f" + records["status"]).tolist()
    status_root = merkle_root(leaves)
    assert snapshot.digest == snapshot_digest(
        AS_OF.isoformat(), policy, snapshot.rules_version, status_root
    )
    excluded = records.loc[records["excluded"], "arrest_key"].tolist()
    assert snapshot.excluded_root == merkle_root(excluded)


def test_policies_differ_and_strict_excludes_more(registry, tiny_tables):
    strict = registry.snapshot(tiny_tables, AS_OF, "strict")
    statutory = registry.snapshot(tiny_tables, AS_OF, "statutory")
    assert strict.digest != statutory.digest
    assert set(statutory.excluded_keys) < set(strict.excluded_keys)


def test_fast_snapshot_agrees_with_the_reference_engine_on_the_world(registry, tiny_tables):
    snapshot = registry.snapshot(tiny_tables, AS_OF, "strict")
    reference = evaluate_reference(
        tiny_tables["arrests"], tiny_tables["court_events"], AS_OF
    ).for_policy("strict")
    fast = snapshot.records.set_index("arrest_key")
    reference = reference.set_index("ARREST_KEY").loc[fast.index]
    for column in ("status", "statute", "access_regime", "excluded"):
        left = fast[column].astype(object).where(fast[column].notna(), None)
        right = reference[column].astype(object).where(reference[column].notna(), None)
        assert left.tolist() == right.tolist(), column
    for column in ("since", "seals_on", "excluded_from"):
        pd.testing.assert_series_equal(
            pd.to_datetime(fast[column]), pd.to_datetime(reference[column]), check_names=False
        )


def test_proofs_against_excluded_root(registry, tiny_tables):
    snapshot = registry.snapshot(tiny_tables, AS_OF, "strict")
    excluded = snapshot.excluded_keys[0]
    used = snapshot.records.loc[~snapshot.records["excluded"], "arrest_key"].iloc[0]
    tree = snapshot.excluded_tree
    assert verify_inclusion(tree.inclusion_proof(excluded), snapshot.excluded_root)
    assert verify_absence(tree.absence_proof(used), snapshot.excluded_root)


def test_build_is_stored_once_and_audited(tmp_path, tiny_world):
    home = tmp_path / "home"
    first = cli(
        "registry", "build", "--data", tiny_world, "--as-of", AS_OF, "--home", home, "--json"
    )
    second = cli(
        "registry", "build", "--data", tiny_world, "--as-of", AS_OF, "--home", home, "--json"
    )
    assert first.exit_code == 0, first.output
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a == b
    assert set(a) >= {
        "snapshot_id",
        "digest",
        "excluded_root",
        "as_of",
        "policy",
        "rules_version",
        "counts",
    }
    engine = sa.create_engine(f"sqlite:///{home / 'registry.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM registry_snapshots")).scalar() == 1
        outcomes = conn.execute(sa.text("SELECT outcome FROM audit_log ORDER BY seq")).scalars()
        assert list(outcomes) == ["STORED", "UNCHANGED"]


def test_explain_matches_the_stored_snapshot(tmp_path, tiny_world, tiny_tables):
    home = tmp_path / "home"
    cli("registry", "build", "--data", tiny_world, "--as-of", AS_OF, "--home", home)
    registry = Registry(Home.resolve(home))
    meta = registry.store.snapshot_meta()
    for key in tiny_tables["arrests"]["ARREST_KEY"].iloc[::500]:
        result = cli(
            "registry",
            "explain",
            key,
            "--data",
            tiny_world,
            "--as-of",
            AS_OF,
            "--home",
            home,
            "--json",
        )
        explained = json.loads(result.stdout)
        stored = registry.store.status_of(key, meta["snapshot_id"])
        for field in (
            "status",
            "statute",
            "since",
            "access_regime",
            "excluded",
            "seals_on",
            "excluded_from",
        ):
            assert explained[field] == stored[field], (key, field)


def test_export_writes_every_arrest(tmp_path, tiny_world, tiny_tables):
    out = tmp_path / "statuses.csv"
    result = cli(
        "registry",
        "export",
        "--data",
        tiny_world,
        "--out",
        out,
        "--as-of",
        AS_OF,
        "--home",
        tmp_path / "home",
        "--json",
    )
    assert json.loads(result.stdout) == {"path": str(out), "rows": len(tiny_tables["arrests"])}
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        "arrest_key",
        "status",
        "statute",
        "since",
        "access_regime",
        "excluded",
        "seals_on",
        "excluded_from",
    ]


def test_gate_decides_every_planted_grant_as_expected(registry, tiny_world, tiny_tables):
    truth = pd.read_parquet(tiny_world / "truth" / "grants.parquet")
    certain = truth[truth["CERTAIN"]]
    assert len(certain) >= 20 and set(certain["EXPECTED"]) == {"grant", "deny"}
    for row in certain.itertuples():
        request = request_from_truth(row, AS_OF)
        outcome = registry.show_record(tiny_tables, request)
        assert outcome.decision.granted == (row.EXPECTED == "grant"), (
            row.GRANT_ID,
            row.DEFECT,
            outcome.decision.reason,
        )
    verification = registry.audit.verify()
    assert verification.intact and verification.entries == len(certain)


def test_records_show_cli_denies_unknown_arrest_with_exit_1_and_audits(tmp_path, tiny_world):
    home = tmp_path / "home"
    result = cli(
        "records",
        "show",
        "NO-SUCH-ARREST",
        "--data",
        tiny_world,
        "--as",
        "det.x",
        "--purpose",
        "INVESTIGATION_OF_SPECIFIC_CRIME",
        "--as-of",
        AS_OF,
        "--home",
        home,
        "--json",
    )
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["granted"] is False and payload["audit_seq"] == 1 and "record" not in payload
    verify = cli("audit", "verify", "--home", home, "--json")
    assert verify.exit_code == 0 and json.loads(verify.stdout)["entries"] == 1


def test_unsealed_record_is_shown_without_grant(tmp_path, tiny_world, tiny_tables, registry):
    snapshot = registry.snapshot(tiny_tables, AS_OF, "strict")
    open_key = snapshot.records.loc[snapshot.records["status"] == "OPEN", "arrest_key"].iloc[0]
    result = cli(
        "records",
        "show",
        open_key,
        "--data",
        tiny_world,
        "--as",
        "det.x",
        "--purpose",
        "INVESTIGATION_OF_SPECIFIC_CRIME",
        "--as-of",
        AS_OF,
        "--home",
        tmp_path / "h",
        "--json",
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["record"]["arrest"]["ARREST_KEY"] == open_key


def test_editing_an_audit_row_is_caught_by_audit_verify(tmp_path, tiny_world):
    home = tmp_path / "home"
    for _ in range(3):
        cli(
            "records",
            "show",
            "NO-SUCH",
            "--data",
            tiny_world,
            "--as",
            "det.x",
            "--purpose",
            "SUPERVISION",
            "--as-of",
            AS_OF,
            "--home",
            home,
        )
    engine = sa.create_engine(f"sqlite:///{home / 'registry.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET outcome = 'GRANTED' WHERE seq = 2"))
    result = cli("audit", "verify", "--home", home, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["first_bad"] == 2


def test_bad_data_exits_2_and_leaves_no_home(tmp_path, tiny_world):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_world, broken)
    (broken / "persons.parquet").unlink()
    home = tmp_path / "home"
    result = cli("registry", "build", "--data", broken, "--home", home, "--json")
    assert result.exit_code == 2
    assert "persons" in result.output
    assert not home.exists()


def test_bad_as_of_exits_2(tmp_path, tiny_world):
    result = cli(
        "registry",
        "build",
        "--data",
        tiny_world,
        "--as-of",
        "2026-13-01",
        "--home",
        tmp_path / "home",
    )
    assert result.exit_code == 2 and "--as-of" in result.output


def test_registry_on_postgresql(pg_url, pg_schema, tiny_world, tmp_path):
    url = f"{pg_url}?options=-csearch_path%3D{pg_schema}"
    home = tmp_path / "home"  # keys and exported checkpoints still live in a home
    args = ["registry", "build", "--data", tiny_world, "--as-of", AS_OF, "--db", url, "--json"]
    first = cli(*args, "--home", home)
    assert first.exit_code == 0, first.output
    second = cli(*args, "--home", home)
    assert json.loads(first.stdout) == json.loads(second.stdout)
    verify = cli("audit", "verify", "--db", url, "--home", home, "--json")
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.stdout)["entries"] == 2


def test_stored_status_file_is_checked_against_the_committed_root(tmp_path, tiny_tables):
    import pyarrow.parquet as pq

    registry = Registry(Home.resolve(tmp_path / "home"))
    snapshot = registry.build(tiny_tables, AS_OF, "strict")
    assert registry.store.verify_status_file(snapshot.snapshot_id)
    path = tmp_path / "home" / "snapshots" / f"{snapshot.snapshot_id}.parquet"
    table = pq.read_table(path).to_pandas()
    table.loc[0, "status"] = "NOT_SEALED" if table.loc[0, "status"] != "NOT_SEALED" else "OPEN"
    table.to_parquet(path, index=False)
    assert not registry.store.verify_status_file(snapshot.snapshot_id)


def test_a_failed_build_leaves_no_snapshot_behind(tmp_path, tiny_tables, monkeypatch):
    registry = Registry(Home.resolve(tmp_path / "home"))
    original = registry.store.save_snapshot

    def crash_after_writing(snapshot, connection):
        original(snapshot, connection)
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(registry.store, "save_snapshot", crash_after_writing)
    with pytest.raises(RuntimeError):
        registry.build(tiny_tables, AS_OF, "strict")
    assert not list((tmp_path / "home" / "snapshots").glob("*"))
    with pytest.raises(Exception, match="no stored registry snapshot"):
        registry.store.snapshot_meta()
