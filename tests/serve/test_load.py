"""``load_certified`` loads only a version whose certificate, files and records still hold."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from sanitizer._errors import BadInput, Refused
from sanitizer.certify import Certificate, ModelStore, sign_certificate
from sanitizer.registry import Registry
from sanitizer.registry._keys import export_public_key
from sanitizer.serve import GuardedModel, load_certified, load_version

from .conftest import AS_OF, audit_entries, record_sealing


def _store(served) -> ModelStore:
    return ModelStore.for_home(served.home)


def _run_dir(store, ref) -> Path:
    return Path(store.client.get_run(ref.run_id).info.artifact_uri.removeprefix("file://"))


def _load(served, name="recidivism", **kwargs):
    kwargs.setdefault("as_of", AS_OF)
    return load_certified(name, home=served.home, data=served.data, **kwargs)


@contextmanager
def _edited(path: Path, change):
    """Edit a file for the duration of the block, then put its bytes back."""
    original = path.read_bytes()
    path.write_bytes(change(original))
    try:
        yield
    finally:
        path.write_bytes(original)


def test_a_certified_model_loads_and_reports_healthy(served):
    model = _load(served)
    assert isinstance(model, GuardedModel)
    assert model.version == served.versions["recidivism"] and model.kind == "recidivism"
    assert model.health()["status"] == "ok"
    assert model.input_columns == ["PERSON_ID", "AS_OF"]
    pinned = load_version(
        f"models:/recidivism/{model.version}", as_of=AS_OF, home=served.home, data=served.data
    )
    assert pinned.version == model.version


def test_a_weight_file_changed_on_disk_is_refused_and_audited(served):
    store = _store(served)
    ref = store.certified("recidivism")
    weight = sorted((store.model_dir(ref) / "artifacts").glob("*.skops"))[0]
    with _edited(weight, lambda data: data + b"\0"):
        with pytest.raises(Refused, match="do not match the certificate"):
            _load(served)
    last = audit_entries(served.home)[-1]
    assert last["outcome"] == "REFUSED" and "do not match" in last["detail"]["reason"]
    assert last["detail"]["version"] == ref.version and last["detail"]["rows"] == 0


def test_an_edited_certificate_is_refused(served):
    store = _store(served)
    ref = store.certified("recidivism")

    def extend(data: bytes) -> bytes:
        document = json.loads(data)
        document["valid_until"] = "2099-01-01"
        return json.dumps(document).encode()

    with _edited(_run_dir(store, ref) / "certificate.json", extend):
        with pytest.raises(Refused, match="signature is not valid"):
            _load(served)


def test_an_expired_certificate_is_refused_at_its_valid_until(served):
    model = _load(served)
    valid_until = model.certificate.valid_until
    assert valid_until is not None, "the tiny world's recidivism model uses a clocked record"
    day = date.fromisoformat(valid_until)
    _load(served, as_of=day - timedelta(days=1))
    with pytest.raises(Refused, match=f"expired on {valid_until}"):
        _load(served, as_of=day)


def test_a_decertified_version_is_refused(served):
    store = _store(served)
    version = served.versions["recidivism"]
    store.decertify("recidivism", version, "test", ["K1"])
    try:
        with pytest.raises(Refused, match="no certified version"):
            _load(served)
        with pytest.raises(Refused, match="not certified .status 'decertified': test"):
            load_version(
                f"models:/recidivism/{version}", as_of=AS_OF, home=served.home, data=served.data
            )
    finally:
        store.promote("recidivism", version)
    _load(served)


def test_a_record_sealed_since_certification_is_refused(isolated):
    served = isolated
    registry = Registry(served.home)
    key = sorted(set(served.used["patternizr-burglary"]) - set(served.used["recidivism"]))[0]
    record_sealing(registry, key, "test-sealed-since")
    with pytest.raises(Refused, match=f"excluded since it was certified .{key}"):
        _load(served, "patternizr-burglary")
    _load(served)  # the recidivism model did not use it


def test_missing_wrong_or_foreign_certificates_are_refused(served, tmp_path):
    store = _store(served)
    good = store.certified("recidivism")
    name = "patternizr-robbery"  # a spare registered name for a hand-made version
    with store.run(name, {"policy": "strict"}) as run_id:
        store.log_model_dir(run_id, store.model_dir(good))
    ref = store.register(name, run_id, {"policy": "strict"})
    store.promote(name, ref.version)
    with pytest.raises(Refused, match="has no certificate"):
        _load(served, name)

    certificate = Certificate.from_dict(store.read_json(good.run_id, "certificate.json"))
    unsigned = {**asdict(certificate), "signature": "", "key_id": "", "model_name": name}
    wrong_version = sign_certificate(
        Certificate(**{**unsigned, "model_version": ref.version + 1}), served.home.path
    )
    store.log_files(run_id, {"certificate.json": json.dumps(wrong_version.to_dict())})
    with pytest.raises(Refused, match="certificate is for patternizr-robbery version"):
        _load(served, name)

    foreign = sign_certificate(
        Certificate(**{**unsigned, "model_version": ref.version}), tmp_path / "other-home"
    )
    store.log_files(run_id, {"certificate.json": json.dumps(foreign.to_dict())})
    with pytest.raises(Refused, match="not by this home's key"):
        _load(served, name)
    # a key the home trusts for other hosts' audit checkpoints does not certify models
    trusted = served.home.path / "keys" / "trusted"
    trusted.mkdir(exist_ok=True)
    audit_host = trusted / "audit-host-2.pem"
    audit_host.write_text(export_public_key(tmp_path / "other-home"), encoding="ascii")
    try:
        with pytest.raises(Refused, match="not by this home's key"):
            _load(served, name)
    finally:
        audit_host.unlink()
    store.decertify(name, ref.version, "test over", "test")


def test_no_data_folder_is_bad_input(served, monkeypatch):
    monkeypatch.delenv("SANITIZER_DATA", raising=False)
    with pytest.raises(BadInput, match="SANITIZER_DATA"):
        load_certified("recidivism", as_of=AS_OF, home=served.home)


def test_an_empty_home_has_nothing_to_load(tmp_path, served):
    with pytest.raises(Refused, match="holds no models"):
        load_certified("recidivism", home=tmp_path / "nothing", data=served.data)
    assert not (tmp_path / "nothing").exists()


def test_a_lineage_index_with_rows_deleted_is_refused_and_fails_verify(served):
    """The index decides what a sealing decertifies; deleting a version's rows (so that
    a sealed arrest it used is not found) must not leave it serving or passing verify.
    The signed certificate counts and hashes the arrests the version used."""
    from sanitizer._verify import verify_model as verify
    from sanitizer.certify import LineageIndex

    store = _store(served)
    ref = store.certified("recidivism")
    index = LineageIndex(Registry(served.home).store.engine)
    used = index.used_keys(ref.name, ref.version)
    policy = ref.tag("policy")
    assert index.count(ref.name, ref.version) == len(used) > 1
    index.remove(ref.name, ref.version)
    index.add(ref.name, ref.version, policy, used[1:])
    try:
        with pytest.raises(Refused, match="lineage index lists"):
            _load(served)
        verdict = verify(served.home, ref.uri, as_of=AS_OF)
        assert not verdict["compliant"]
        assert "the index was altered" in verdict["checks"]["registry_current"]["detail"]
        # the same count with another arrest in place of a used one: verify's digest
        index.add(ref.name, ref.version, policy, ["NOT-A-USED-ARREST", *used[1:]])
        verdict = verify(served.home, ref.uri, as_of=AS_OF)
        assert "differ from those its certificate hashed" in str(verdict)
    finally:
        index.add(ref.name, ref.version, policy, used)
    assert _load(served).version == ref.version


def test_planted_bytecode_is_refused_and_genuine_bytecode_is_not(served, tmp_path):
    """``mlflow models serve`` runs the store's own folder, where Python prefers a cached
    ``.pyc`` to the source: one that is not the source compiled is tampering (the digest
    leaves ``__pycache__`` out, since serving in place writes it)."""
    import importlib.util
    import py_compile
    import shutil

    from sanitizer._verify import verify_model

    store = _store(served)
    ref = store.certified("recidivism")
    folder = store.model_dir(ref)
    source = folder / "_pyfunc_code.py"
    cache = folder / "__pycache__"
    cached = Path(importlib.util.cache_from_source(str(source)))  # __pycache__/...pyc
    assert source.is_file() and not cache.exists()
    try:
        py_compile.compile(str(source), cfile=str(cached))  # what serving in place writes
        assert _load(served).version == ref.version
        assert verify_model(served.home, ref.uri, as_of=AS_OF)["checks"]["artifact_digest"][
            "passed"
        ]

        other = tmp_path / "_pyfunc_code.py"
        other.write_text(source.read_text() + "\nprint('not the certified code')\n")
        py_compile.compile(
            str(other),
            cfile=str(cached),
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        with pytest.raises(Refused, match="cached bytecode that is not its own code"):
            _load(served)
        check = verify_model(served.home, ref.uri, as_of=AS_OF)["checks"]["artifact_digest"]
        assert not check["passed"] and "does not match _pyfunc_code.py" in check["detail"]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    assert _load(served).version == ref.version


def test_a_linked_folder_added_to_the_model_fails_verify(served, tmp_path):
    """A symbolic link is part of the digest as a link (walking the folder skips a linked
    folder's contents, so it used to leave no trace)."""
    from sanitizer._verify import verify_model

    store = _store(served)
    ref = store.certified("recidivism")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "payload.py").write_text("x = 1\n")
    link = store.model_dir(ref) / "artifacts" / "extra"
    link.symlink_to(elsewhere, target_is_directory=True)
    try:
        assert not verify_model(served.home, ref.uri, as_of=AS_OF)["checks"]["artifact_digest"][
            "passed"
        ]
        with pytest.raises(Refused, match="do not match the certificate"):
            _load(served)
    finally:
        link.unlink()
    assert verify_model(served.home, ref.uri, as_of=AS_OF)["checks"]["artifact_digest"]["passed"]


def test_a_sealing_erased_from_the_store_and_its_audit_entry_is_refused(isolated):
    """Loading does not walk the whole audit chain (every request is an entry), but the
    entries it reads must still be as written: deleting a recorded exclusion and editing
    its REGISTRY_EVENTS entry to match (without re-signing the chain) used to load."""
    import sqlite3

    store = _store(isolated)
    ref = store.certified("recidivism")
    key = isolated.used["recidivism"][0]
    record_sealing(Registry(isolated.home), key, "erased")
    with pytest.raises(Refused, match="excluded since it was certified"):
        _load(isolated)
    with sqlite3.connect(isolated.home.path / "registry.db") as conn:
        conn.execute("DELETE FROM recorded_exclusions WHERE arrest_key = ?", (key,))
        seq, detail = conn.execute(
            "SELECT seq, detail FROM audit_log WHERE action = 'REGISTRY_EVENTS' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        edited = json.loads(detail)
        edited["newly_excluded"] = {}
        conn.execute(
            "UPDATE audit_log SET detail = ? WHERE seq = ?",
            (json.dumps(edited, sort_keys=True, separators=(",", ":")), seq),
        )
    with pytest.raises(Refused, match=f"audit entry {seq} \\(REGISTRY_EVENTS\\)"):
        _load(isolated)
    assert store.certified("recidivism").version == ref.version
