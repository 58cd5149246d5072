"""The pyfunc's ``load_context`` refuses whatever ``load_certified`` refuses, and says why.

What ``mlflow models serve -m FOLDER --env-manager local`` does, in-process: MLflow loads the
folder and calls ``load_context``. Each refusal is a :class:`NotCertified` naming its reason
and an audited ``INFERENCE`` refusal; a loaded model re-checks at every ``predict``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys

import mlflow.pyfunc
import pandas as pd
import pytest

from sanitizer._errors import BadInput, Refused
from sanitizer.certify import Certificate, ModelStore, artifact_digest
from sanitizer.registry import Registry
from sanitizer.serve import NotCertified, load_certified
from sanitizer.serve import _load as load_module

from .conftest import AS_OF, audit_entries, record_sealing
from .test_load import _edited, _run_dir


@pytest.fixture()
def folder(served, tmp_path, clean_env):
    """A copy of the certified recidivism folder, as one would hand to ``mlflow models serve``."""
    store = ModelStore.for_home(served.home)
    copy = tmp_path / "model"
    shutil.copytree(store.model_dir(store.certified("recidivism")), copy)
    return copy


def _config(served, **extra) -> dict:
    return {
        "serving_home": str(served.home.path),
        "serving_data": str(served.data),
        "serving_as_of": AS_OF.isoformat(),
        **extra,
    }


def _load(served, folder, **extra):
    return mlflow.pyfunc.load_model(str(folder), model_config=_config(served, **extra))


def _refused(served, folder, reason: str, **extra) -> None:
    """Loading refuses with ``reason`` (a regex), and the refusal is the last audit entry."""
    with pytest.raises(NotCertified, match=reason):
        _load(served, folder, **extra)
    last = audit_entries(served.home)[-1]
    assert last["outcome"] == "REFUSED" and last["detail"]["model"] == "recidivism"
    assert re.search(reason, last["detail"]["reason"]), last["detail"]["reason"]


def _weight(folder):
    return sorted((folder / "artifacts").glob("*.skops"))[0]


def test_a_certified_folder_loads_knowing_its_version(served, folder):
    model = _load(served, folder).unwrap_python_model()
    version = served.versions["recidivism"]
    assert model.certification.verified.ref.version == version
    out = model.predict(None, pd.DataFrame({"PERSON_ID": ["nobody"]}))
    assert out["recidivist"].tolist() == [False]
    last = audit_entries(served.home)[-1]
    assert last["outcome"] == "DONE" and last["detail"]["version"] == version


def test_a_changed_file_is_refused(served, folder):
    version = served.versions["recidivism"]
    _weight(folder).write_bytes(_weight(folder).read_bytes() + b"\0")
    # found by its digest: no version has these files
    _refused(
        served,
        folder,
        f"no registered version of recidivism.*@certified is models:/recidivism/{version}",
    )
    # pinned to the version: the files are not the certified ones
    _refused(served, folder, "do not match the certificate", serving_version=str(version))


def test_a_decertified_version_is_refused(served, folder):
    store = ModelStore.for_home(served.home)
    version = served.versions["recidivism"]
    store.decertify("recidivism", version, "test", ["K1"])
    try:
        _refused(served, folder, "not certified .status 'decertified': test")
    finally:
        store.promote("recidivism", version)
    _load(served, folder)


def test_an_expired_certificate_is_refused(served, folder):
    store = ModelStore.for_home(served.home)
    ref = store.certified("recidivism")
    valid_until = Certificate.from_dict(store.read_json(ref.run_id, "certificate.json")).valid_until
    assert valid_until is not None
    _refused(served, folder, f"expired on {valid_until}", serving_as_of=valid_until)


def test_an_edited_certificate_is_refused(served, folder):
    store = ModelStore.for_home(served.home)
    ref = store.certified("recidivism")

    def extend(data: bytes) -> bytes:
        return json.dumps({**json.loads(data), "valid_until": "2099-01-01"}).encode()

    with _edited(_run_dir(store, ref) / "certificate.json", extend):
        _refused(served, folder, "signature is not valid")


def test_a_record_sealed_since_certification_is_refused(isolated, folder):
    served = isolated
    key = served.used["recidivism"][0]
    record_sealing(Registry(served.home), key, "test-pyfunc-sealed-since")
    _refused(served, folder, f"excluded since it was certified .{key}")


def test_without_its_home_nothing_loads(served, folder, tmp_path, monkeypatch):
    monkeypatch.delenv("SANITIZER_HOME", raising=False)
    nowhere = tmp_path / "nowhere"
    with pytest.raises(NotCertified, match="holds no models .* set SANITIZER_HOME"):
        _load(served, folder, serving_home=str(nowhere))
    assert not nowhere.exists()


def test_config_overrides_beyond_serving_keys_are_refused(served, folder, monkeypatch):
    """``MLFLOW_PYFUNC_INFERENCE_CONFIG`` may not widen the inputs, whoever loads."""
    widened = {"input_columns": ["PERSON_ID", "AS_OF", "PERP_RACE"]}
    monkeypatch.setenv("MLFLOW_PYFUNC_INFERENCE_CONFIG", json.dumps(widened))
    _refused(served, folder, "input_columns differ from the packaged model's")
    with pytest.raises(Refused, match="input_columns differ"):
        load_certified("recidivism", as_of=AS_OF, home=served.home, data=served.data)


def test_predict_stops_once_the_version_is_decertified(served, folder, monkeypatch):
    model = _load(served, folder)
    frame = pd.DataFrame({"PERSON_ID": ["nobody"]})
    model.predict(frame)
    store = ModelStore.for_home(served.home)
    version = served.versions["recidivism"]
    monkeypatch.setattr(load_module, "RECHECK_SECONDS", 0.0)
    store.decertify("recidivism", version, "test while serving", ["K1"])
    try:
        with pytest.raises(NotCertified, match="decertified.: test while serving"):
            model.predict(frame)
    finally:
        store.promote("recidivism", version)
    with pytest.raises(NotCertified, match="test while serving"):
        model.predict(frame)  # once refused, stays refused
    last = audit_entries(served.home)[-1]
    assert last["outcome"] == "REFUSED" and "test while serving" in last["detail"]["reason"]


def test_load_certified_checks_once(served, monkeypatch):
    """``load_certified`` hands its verdict to ``load_context`` instead of re-checking."""
    calls = []
    check = load_module.check_version
    monkeypatch.setattr(
        load_module, "check_version", lambda *args: calls.append(args) or check(*args)
    )
    model = load_certified("recidivism", as_of=AS_OF, home=served.home, data=served.data)
    assert len(calls) == 1 and model.certification.verified.ref.version == model.version


def test_what_loading_writes_into_a_folder_leaves_it_certified(served, monkeypatch, clean_env):
    """``mlflow models serve -m models:/NAME/VERSION`` loads the store's own folder in place,
    writing ``registered_model_meta`` and (bytecode caching on) ``__pycache__/`` into it."""
    store = ModelStore.for_home(served.home)
    ref = store.certified("recidivism")
    source = store.model_dir(ref)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", served.home.mlflow_uri)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    try:
        model = mlflow.pyfunc.load_model(
            f"models:/recidivism/{ref.version}", model_config=_config(served)
        )
        assert (source / "registered_model_meta").is_file() and (source / "__pycache__").is_dir()
        assert model.unwrap_python_model().certification.verified.ref.version == ref.version
        certificate = Certificate.from_dict(store.read_json(ref.run_id, "certificate.json"))
        assert artifact_digest(source) == certificate.artifact_sha256  # `verify` agrees
        monkeypatch.delenv("MLFLOW_TRACKING_URI")
        load_certified("recidivism", as_of=AS_OF, home=served.home, data=served.data)
    finally:
        (source / "registered_model_meta").unlink(missing_ok=True)
        shutil.rmtree(source / "__pycache__", ignore_errors=True)


def test_registered_model_meta_must_name_the_model(served, folder):
    (folder / "registered_model_meta").write_text(
        "model_name: patternizr-burglary\nmodel_version: '1'\n"
    )
    _refused(served, folder, "registered_model_meta names patternizr-burglary 1")


def test_a_date_that_is_no_date_is_bad_input(served, folder):
    with pytest.raises(BadInput, match="serving_as_of 'June 1st' is not a date"):
        _load(served, folder, serving_as_of="June 1st")
