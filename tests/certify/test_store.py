"""MLflow as the registry of certified models: pending versions, the alias, decertification."""

from __future__ import annotations

import pytest

from sanitizer._errors import BadInput, Refused
from sanitizer.certify import (
    ALIAS,
    LineageIndex,
    ModelStore,
    artifact_digest,
    parse_model_uri,
)
from sanitizer.registry import RegistryStore


@pytest.fixture()
def home(model_home):
    return model_home


@pytest.fixture()
def store(home):
    return ModelStore.for_home(home)


def _model_dir(tmp_path, content=b"weights"):
    folder = tmp_path / "model"
    (folder / "artifacts").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "artifacts" / "w.skops").write_bytes(content)
    return folder


def _registered(store, tmp_path, name="recidivism"):
    with store.run(name, {"policy": "strict"}) as run_id:
        store.log_model_dir(run_id, _model_dir(tmp_path))
    return store.register(name, run_id, {"policy": "strict", "gates": {"quality": True}})


def test_model_uris_are_parsed_or_refused_as_bad_input():
    assert parse_model_uri("models:/recidivism/3") == ("recidivism", 3, None)
    assert parse_model_uri("models:/patternizr-burglary@certified") == (
        "patternizr-burglary",
        None,
        "certified",
    )
    for bad in ("recidivism", "models:/x/y", "runs:/abc/model", ""):
        with pytest.raises(BadInput):
            parse_model_uri(bad)


def test_a_registered_version_is_pending_until_promoted(store, tmp_path):
    ref = _registered(store, tmp_path)
    assert ref.status == "pending"
    assert store.certified("recidivism") is None
    with pytest.raises(Refused, match="no certified version"):
        store.resolve(f"models:/recidivism@{ALIAS}")
    store.promote("recidivism", ref.version)
    served = store.resolve("models:/recidivism@certified")
    assert served.version == ref.version and served.status == "certified"
    assert served.tag("certified_at")
    assert served.tag("gates") == '{"quality":true}'


def test_decertify_removes_the_alias_and_records_why(store, tmp_path):
    ref = _registered(store, tmp_path)
    store.promote("recidivism", ref.version)
    assert store.decertify("recidivism", ref.version, "sealed", ["A1", "A2"])
    assert store.certified("recidivism") is None
    again = store.get("recidivism", ref.version)
    assert again.status == "decertified"
    assert again.tag("decertified_reason") == "sealed"
    assert again.tag("decertified_by") == "A1,A2"


def test_decertifying_an_old_version_leaves_the_serving_one(store, tmp_path):
    old = _registered(store, tmp_path / "a")
    store.promote("recidivism", old.version)
    new = _registered(store, tmp_path / "b")
    store.promote("recidivism", new.version)
    assert not store.decertify("recidivism", old.version, "stale", "valid_until")
    assert store.certified("recidivism").version == new.version


def test_unknown_names_and_versions_are_refused(store):
    with pytest.raises(BadInput):
        store.start_run("patternizr-arson", {})
    with pytest.raises(Refused):
        store.resolve("models:/recidivism/41")


def test_a_crashed_run_is_not_left_visible(store):
    with pytest.raises(RuntimeError):
        with store.run("recidivism", {}) as run_id:
            raise RuntimeError("crash")
    run = store.client.get_run(run_id)
    assert run.info.status == "FAILED" and run.info.lifecycle_stage == "deleted"


def test_artifact_digest_changes_with_any_byte_or_name(tmp_path):
    folder = _model_dir(tmp_path)
    before = artifact_digest(folder)
    assert artifact_digest(folder) == before
    (folder / "artifacts" / "w.skops").write_bytes(b"weightz")
    assert artifact_digest(folder) != before
    (folder / "artifacts" / "w.skops").write_bytes(b"weights")
    assert artifact_digest(folder) == before
    (folder / "artifacts" / "w.skops").rename(folder / "artifacts" / "v.skops")
    assert artifact_digest(folder) != before


def test_lineage_index_finds_users_of_newly_excluded_records(home):
    registry_store = RegistryStore.open(home.db_url, home.snapshots_dir)
    index = LineageIndex(registry_store.engine)
    index.add("recidivism", 1, "strict", ["A1", "A2", "A3"])
    index.add("patternizr-burglary", 2, "statutory", ["A2"])
    uses = index.versions_using(["A2", "A9"])
    assert sorted(zip(uses["model"], uses["version"], strict=True)) == [
        ("patternizr-burglary", 2),
        ("recidivism", 1),
    ]
    assert index.excluded_since("recidivism", 1, "strict") == []
    with registry_store.engine.begin() as conn:
        registry_store.record_exclusions({"strict": ["A3"], "statutory": []}, "b1", conn)
    assert index.excluded_since("recidivism", 1, "strict") == ["A3"]
    assert index.excluded_since("patternizr-burglary", 2, "statutory") == []
    index.remove("recidivism", 1)
    assert index.used_keys("recidivism", 1) == []
