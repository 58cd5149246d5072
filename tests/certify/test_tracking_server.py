"""Issue #6: an MLflow tracking server over HTTP works the same as the embedded SQLite store.

A real ``mlflow server`` (the venv's, started by the session fixture ``mlflow_server``,
artifacts proxied as ``mlflow-artifacts:/``) and ``MLFLOW_TRACKING_URI`` pointing at it:
the whole life cycle goes through HTTP. ``retrain`` registers the version with the same
tags, artifacts and alias as a retrain into a SQLite home; ``verify`` passes;
``load_certified`` loads and predicts as the SQLite-served model does; an artifact edited
in the server's own store fails ``verify`` and serving; a sealing decertifies (alias gone).
"""

from __future__ import annotations

import json
import tempfile
from datetime import date

import numpy as np
import pytest
from typer.testing import CliRunner

from sanitizer._compliance import decertify_affected
from sanitizer._errors import Refused
from sanitizer._home import Home
from sanitizer._retrain import retrain
from sanitizer._verify import verify_model
from sanitizer.certify import ALIAS, Certificate, LineageIndex, ModelStore
from sanitizer.cli import app
from sanitizer.registry import Registry, export_public_key
from sanitizer.serving import load_certified

pytestmark = pytest.mark.services

AS_OF = date(2026, 6, 1)
NAME = "recidivism"
#: Tags that differ between two certifications of the same model by design.
PER_VERSION = {"sanitizer.certified_at", "sanitizer.artifact_sha256"}


def _files(client, run_id: str, path: str | None = None) -> set[str]:
    """Every artifact file of a run, listed through the store's own API."""
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= _files(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def _sanitizer_tags(tags) -> dict:
    return {k: v for k, v in tags.items() if k.startswith("sanitizer.")}


def _verify(home, uri: str) -> dict:
    return verify_model(home, uri, as_of=AS_OF)


def test_the_model_life_cycle_through_a_tracking_server(
    model_home, tiny_tables, tiny_world, mlflow_server, monkeypatch, tmp_path
):
    # the reference: the same retrain into the embedded SQLite store
    reference = retrain(model_home, tiny_tables, NAME, as_of=AS_OF, overrides={"n_estimators": 8})
    assert reference.certified, reference.reasons
    local = ModelStore.for_home(model_home)
    local_ref = local.certified(NAME)

    # downloads land here, so the test can tell that none is left behind
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    home = Home.resolve(tmp_path / "server-home")
    assert home.mlflow_uri == mlflow_server.url

    # retrain through the CLI: stdout is exactly one JSON object (MLflow prints nothing)
    cli = CliRunner().invoke(
        app,
        ["retrain", "recidivism", "--data", str(tiny_world), "--trees", "8",
         "--as-of", AS_OF.isoformat(), "--home", str(home.path), "--json"],
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    lines = cli.stdout.splitlines()
    assert len(lines) == 1, cli.stdout
    payload = json.loads(lines[0])
    assert payload["certified"] and payload["fingerprint"] == reference.fingerprint
    assert not (home.path / "mlflow.db").exists() and not home.artifacts_dir.exists()

    # registered like the SQLite version: same tags, same artifacts, the alias on it
    store = ModelStore.for_home(home)
    ref = store.certified(NAME)
    assert ref is not None and ref.uri == payload["model_uri"]
    assert ref.source.startswith("mlflow-artifacts:/") and ALIAS in ref.aliases
    assert ref.status == "certified" and ref.tag("certified_at")
    tags, local_tags = _sanitizer_tags(ref.tags), _sanitizer_tags(local_ref.tags)
    assert set(tags) == set(local_tags)
    assert {k: v for k, v in tags.items() if k not in PER_VERSION} == {
        k: v for k, v in local_tags.items() if k not in PER_VERSION
    }
    run_tags = _sanitizer_tags(store.client.get_run(ref.run_id).data.tags)
    local_run_tags = _sanitizer_tags(local.client.get_run(local_ref.run_id).data.tags)
    assert set(run_tags) == set(local_run_tags) and run_tags["sanitizer.outcome"] == "certified"
    files = _files(store.client, ref.run_id)
    assert files == _files(local.client, local_ref.run_id)
    assert {"certificate.json", "lineage/keys/arrests.txt", "model/MLmodel"} <= files
    certificate = Certificate.from_dict(store.read_json(ref.run_id, "certificate.json"))
    assert certificate.verify(export_public_key(home.path))
    assert (certificate.model_version, certificate.artifact_sha256) == (
        ref.version,
        ref.tag("artifact_sha256"),
    )

    # verify passes; serving loads and answers exactly as the SQLite-served model
    verdict = _verify(home, f"models:/{NAME}@{ALIAS}")
    assert verdict["compliant"], verdict["checks"]
    people = sorted(tiny_tables["persons"]["PERSON_ID"].astype(str))[:40]
    served = load_certified(NAME, as_of=AS_OF, home=home, data=tiny_world)
    assert served.version == ref.version
    answer = served.predict({"PERSON_ID": people})
    expected = load_certified(NAME, as_of=AS_OF, home=model_home, data=tiny_world).predict(
        {"PERSON_ID": people}
    )
    assert np.isfinite(answer["risk"].to_numpy(float)).any()
    np.testing.assert_array_equal(answer["risk"].to_numpy(), expected["risk"].to_numpy())

    # an artifact edited in the server's store: verify and serving refuse it
    folder = mlflow_server.local_path(ref.source)
    weights = sorted((folder / "artifacts").rglob("*.skops"))[0]
    original = weights.read_bytes()
    weights.write_bytes(original + b"\0")
    try:
        verdict = _verify(home, ref.uri)
        assert not verdict["compliant"]
        assert not verdict["checks"]["artifact_digest"]["passed"]
        assert verdict["checks"]["signature"]["passed"]
        with pytest.raises(Refused, match="do not match the certificate"):
            load_certified(NAME, as_of=AS_OF, home=home, data=tiny_world)
    finally:
        weights.write_bytes(original)
    stored_certificate = folder.parent / "certificate.json"
    text = stored_certificate.read_text()
    stored_certificate.write_text(text.replace(AS_OF.isoformat(), "2099-01-01"))
    try:
        assert not _verify(home, ref.uri)["checks"]["signature"]["passed"]
    finally:
        stored_certificate.write_text(text)
    assert _verify(home, ref.uri)["compliant"]

    # a sealing of a used arrest decertifies: the alias is removed, serving refuses
    registry = Registry(home)
    key = LineageIndex(registry.store.engine).used_keys(NAME, ref.version)[0]
    with registry.store.engine.begin() as conn:
        registry.store.record_exclusions({"strict": [key]}, "test-http", conn)
    registry.audit.append(
        {
            "actor": "test",
            "action": "REGISTRY_EVENTS",
            "outcome": "APPLIED",
            "record_ids": [key],
            "detail": {"batch": "test-http", "newly_excluded": {"strict": [key]}},
        }
    )
    gone = decertify_affected(home, registry, {"strict": [key]}, as_of=AS_OF)
    assert [d.ref.uri for d in gone] == [ref.uri]
    assert store.certified(NAME) is None
    assert store.get(NAME, ref.version).status == "decertified"
    assert ALIAS not in store.get(NAME, ref.version).aliases
    with pytest.raises(Refused, match="no certified version"):
        load_certified(NAME, as_of=AS_OF, home=home, data=tiny_world)
    verdict = _verify(home, ref.uri)
    assert not verdict["checks"]["registry_current"]["passed"] and key in str(verdict)
    assert registry.audit.entries("MODEL_DECERTIFIED")[-1]["detail"]["uri"] == ref.uri

    # every download went to a private temporary folder, and none is left
    assert sorted(p.name for p in scratch.iterdir() if p.name.startswith("sanitizer-")) == []
