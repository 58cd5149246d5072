"""``retrain``: every run logged, only passing ones registered, the alias moved last."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from sanitizer._retrain import STEPS, retrain
from sanitizer.certify import LineageIndex, ModelStore
from sanitizer.fairness import load_gates
from sanitizer.registry import Registry
from sanitizer.registry._audit import audit_log_table

AS_OF = date(2026, 6, 1)
QUICK = {"n_estimators": 8}


def audit_entries(registry: Registry) -> list[dict]:
    with registry.audit.engine.connect() as conn:
        rows = conn.execute(select(audit_log_table).order_by(audit_log_table.c.seq)).mappings()
        return [{**r, "detail": json.loads(r["detail"] or "null")} for r in rows]


@pytest.fixture()
def registry(model_home):
    return Registry(model_home)


def test_a_refused_model_is_a_run_with_reasons_never_a_version(model_home, registry, tiny_tables):
    impossible = load_gates(recidivism={"quality": {"min_auc": 1.01}})
    result = retrain(
        model_home,
        tiny_tables,
        "recidivism",
        as_of=AS_OF,
        overrides=QUICK,
        gates_config=impossible,
        registry=registry,
    )
    assert not result.certified and result.version is None and result.model_uri is None
    assert any(r.startswith("quality gate failed") for r in result.reasons)
    assert result.gates["provenance"]["passed"] and result.gates["invariance"]["passed"]
    store = ModelStore.for_home(model_home)
    assert store.versions("recidivism") == []
    run = store.client.get_run(result.run_id)
    assert run.data.tags["sanitizer.outcome"] == "refused"
    assert "quality gate failed" in run.data.tags["sanitizer.refusal_reasons"]
    lineage = store.read_json(result.run_id, "lineage/lineage_report.json")
    assert lineage["snapshot"]["digest"] == result.snapshot.digest
    assert b"# Model card: recidivism" in store.read_artifact(result.run_id, "model_card.md")
    entries = [e for e in audit_entries(registry) if e["action"] != "REGISTRY_SNAPSHOT"]
    actions = [e["action"] for e in entries]
    assert actions[-2:] == ["TRAINING_USE", "MODEL_REFUSED"]
    use, refused = entries[-2]["detail"], entries[-1]["detail"]
    assert use["removed_by_item_type"]["arrest"] > 0 and use["run_id"] == result.run_id
    assert refused["reasons"] == result.reasons
    payload = result.to_dict()
    assert set(payload) >= {
        "certified",
        "model_uri",
        "version",
        "run_id",
        "fingerprint",
        "snapshot_digest",
        "policy",
        "valid_until",
        "gates",
        "metrics",
    }
    assert set(payload["gates"]) == {
        "provenance",
        "invariance",
        "fitted_state",
        "fairness",
        "quality",
    }
    assert LineageIndex(registry.store.engine).used_keys("recidivism", 1) == []


# --- a certified version -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certified(tmp_path_factory, tiny_tables, mlflow_db_template):
    """A home with ``recidivism`` certified once on the tiny world (shared, read-only)."""
    import os
    import shutil

    from sanitizer._home import Home

    os.environ.pop("MLFLOW_TRACKING_URI", None)
    home = Home.resolve(tmp_path_factory.mktemp("certified") / "home").ensure()
    shutil.copy(mlflow_db_template, home.path / "mlflow.db")
    registry = Registry(home)
    result = retrain(
        home, tiny_tables, "recidivism", as_of=AS_OF, overrides=QUICK, registry=registry
    )
    assert result.certified, result.reasons
    return home, registry, result


def test_a_passing_model_is_registered_tagged_signed_indexed_and_served(certified):
    from sanitizer.certify import Certificate
    from sanitizer.registry import export_public_key

    home, registry, result = certified
    store = ModelStore.for_home(home)
    ref = store.resolve("models:/recidivism@certified")
    assert (ref.version, result.model_uri) == (result.version, ref.uri)
    assert ref.status == "certified"
    assert ref.tag("fingerprint") == result.fingerprint
    assert ref.tag("snapshot_digest") == result.snapshot.digest
    assert ref.tag("valid_until") == (result.valid_until or "")
    assert ref.tag("commitment.arrests").startswith("sha256=")
    certificate = Certificate.from_dict(store.read_json(ref.run_id, "certificate.json"))
    assert certificate.verify(export_public_key(home.path))
    assert certificate.fingerprint == result.fingerprint
    assert certificate.model_version == ref.version
    for path in (
        "lineage/lineage_report.json",
        "lineage/lineage_report.html",
        "lineage/commitments.json",
        "fairness/fairness_report.json",
        "model_card.md",
        "evaluation.json",
    ):
        assert store.read_artifact(ref.run_id, path)
    used = LineageIndex(registry.store.engine).used_keys("recidivism", ref.version)
    assert len(used) == result.used_arrests > 0
    entries = [e for e in audit_entries(registry) if e["action"] != "REGISTRY_SNAPSHOT"]
    assert [e["action"] for e in entries[-2:]] == ["TRAINING_USE", "MODEL_CERTIFIED"]
    assert entries[-1]["detail"]["uri"] == ref.uri


def test_retraining_is_deterministic(certified, tiny_tables, model_home):
    _, _, first = certified
    again = retrain(model_home, tiny_tables, "recidivism", as_of=AS_OF, overrides=QUICK)
    assert again.fingerprint == first.fingerprint
    assert again.snapshot.digest == first.snapshot.digest


@pytest.mark.parametrize("step", ["log_model", "certificate", "alias", "after_alias"])
def test_a_crash_mid_certification_leaves_the_previous_version_serving(
    model_home, tiny_tables, step
):
    registry = Registry(model_home)
    first = retrain(
        model_home, tiny_tables, "recidivism", as_of=AS_OF, overrides=QUICK, registry=registry
    )
    assert first.certified
    before = audit_entries(registry)
    with pytest.raises(RuntimeError, match=f"injected failure at {step}"):
        retrain(
            model_home,
            tiny_tables,
            "recidivism",
            as_of=AS_OF,
            overrides={"n_estimators": 9},
            registry=registry,
            _fail_at=step,
        )
    store = ModelStore.for_home(model_home)
    assert store.resolve("models:/recidivism@certified").version == first.version
    assert [v.version for v in store.versions("recidivism")] == [first.version]
    assert audit_entries(registry) == before
    assert LineageIndex(registry.store.engine).used_keys("recidivism", first.version + 1) == []


def test_a_sealing_that_lands_during_training_refuses_the_stale_snapshot(model_home, tiny_tables):
    registry = Registry(model_home)

    steps = []

    def seal_meanwhile(step):
        steps.append(step)
        if step == "fairness and quality gates":
            with registry.store.engine.begin() as conn:
                registry.store.record_exclusions({"strict": ["LATE-1"]}, "late", conn)

    result = retrain(
        model_home,
        tiny_tables,
        "recidivism",
        as_of=AS_OF,
        overrides=QUICK,
        registry=registry,
        progress=seal_meanwhile,
    )
    assert not result.certified and result.version is None
    assert steps == list(STEPS)  # the progress bar's steps, each once, in order
    assert any("stale" in r and "LATE-1" in r for r in result.reasons)
    store = ModelStore.for_home(model_home)
    assert store.versions("recidivism") == [] and store.certified("recidivism") is None
    actions = [e["action"] for e in audit_entries(registry)]
    assert actions[-2:] == ["MODEL_REFUSED", "REGISTRY_SNAPSHOT"]


def test_the_certified_recidivism_model_serves_the_decision_its_gates_judged(certified):
    """The fairness report's threshold is the one in the registered weights, and the
    quality gate judged the decision (recall) besides the ranking (AUC)."""
    from sanitizer.serve import load_weights

    home, _, result = certified
    store = ModelStore.for_home(home)
    ref = store.resolve("models:/recidivism@certified")
    report = store.read_json(ref.run_id, "fairness/fairness_report.json")
    judged = report["overall"]["threshold"]
    assert report["decision"]["served"] is True and report["decision"]["constraint_met"]
    assert result.metrics["quality.threshold"] == judged
    assert [c["name"] for c in result.gates["quality"]["criteria"]] == ["auc", "recall"]
    folder = store.model_dir(ref)
    try:
        files = {p.stem: str(p) for p in sorted((folder / "artifacts").rglob("*.skops"))}
        classifier = load_weights(files)["classifier"]
    finally:
        store.delete_local_copy(folder, ref)
    assert classifier.threshold_ == judged
    card = store.read_artifact(ref.run_id, "model_card.md").decode()
    assert "high_risk" in card


def test_events_apply_reports_each_step_and_seals_again_in_the_same_home(
    certified, tiny_tables, tmp_path
):
    """The progress bar of ``events apply`` is as long as the work: the recording, then
    every step of each retrain it starts, named by model (it used to have 8 ticks); and
    the recertified model is decertified by the next sealing of a record it used."""
    from sanitizer._compliance import RECORD_STEP, apply_events
    from sanitizer._demo import sealing_events
    from sanitizer.certify import copy_home

    home = copy_home(certified[0], tmp_path / "home", actor="test")
    registry = Registry(home)
    events = sealing_events(tiny_tables, registry, tmp_path / "events.csv", AS_OF)
    assert events is not None, "the tiny world has no arrest the recidivism model used to seal"
    steps, planned = [], []
    result = apply_events(
        home,
        tiny_tables,
        events,
        as_of=AS_OF,
        registry=registry,
        progress=steps.append,
        planned=planned.append,
    )
    assert result["decertified"] == ["models:/recidivism/1"]
    assert result["recertified"] == ["models:/recidivism/2"]
    assert steps == [RECORD_STEP, *(f"recidivism: {step}" for step in STEPS)]
    assert planned == [len(steps)]
    # a second sealing in the same home: its events are new ones (the demo's file once
    # numbered them from 1 again, and recording them failed as a rewrite of history)
    later = sealing_events(tiny_tables, registry, tmp_path / "later.csv", AS_OF)
    assert later is not None
    again = apply_events(home, tiny_tables, later, as_of=AS_OF, registry=registry, retrain=False)
    assert again["recorded"] >= 1 and again["decertified"] == ["models:/recidivism/2"]


def test_events_apply_in_a_copied_home_records_nothing_until_relocated(
    certified, tiny_tables, tmp_path
):
    """A home copied without relocation is refused before any event is recorded: the
    events used to stay recorded while the model that used the sealed arrest went on
    serving (a re-run then found them known and decertified nothing)."""
    from sanitizer._compliance import apply_events
    from sanitizer._demo import sealing_events
    from sanitizer._errors import Refused
    from sanitizer.certify import relocate_home
    from sanitizer.certify._relocate import copy_files

    events = sealing_events(tiny_tables, certified[1], tmp_path / "events.csv", AS_OF)
    home = copy_files(certified[0], tmp_path / "home")  # copied, not relocated
    registry = Registry(home)
    before = (len(registry.recorded_events(tiny_tables)), len(audit_entries(registry)))
    with pytest.raises(Refused, match="moved or copied"):
        apply_events(home, tiny_tables, events, as_of=AS_OF, registry=registry, retrain=False)
    assert (len(registry.recorded_events(tiny_tables)), len(audit_entries(registry))) == before

    relocate_home(home, registry, "test")
    result = apply_events(home, tiny_tables, events, as_of=AS_OF, registry=registry, retrain=False)
    assert result["recorded"] >= 1 and result["decertified"] == ["models:/recidivism/1"]


def test_a_sealing_recorded_without_decertifying_is_caught_by_the_next_events_apply(
    certified, tiny_tables, tmp_path
):
    """Events recorded by a run that stopped before decertifying (a crash between the
    two) still take the model out of service the next time events are applied, even
    when that run records nothing new."""
    from sanitizer._compliance import apply_events
    from sanitizer._demo import sealing_events
    from sanitizer.certify import copy_home

    home = copy_home(certified[0], tmp_path / "home", actor="test")
    registry = Registry(home)
    events = sealing_events(tiny_tables, registry, tmp_path / "events.csv", AS_OF)
    registry.apply_events(tiny_tables, events, AS_OF, actor="test")  # recorded, nothing else
    assert ModelStore.for_home(home).certified("recidivism") is not None

    again = apply_events(home, tiny_tables, events, as_of=AS_OF, registry=registry, retrain=False)
    assert again["recorded"] == 0 and again["skipped"] >= 1
    assert again["decertified"] == ["models:/recidivism/1"]
    assert ModelStore.for_home(home).certified("recidivism") is None


def test_a_sealing_undone_by_a_later_event_no_longer_holds_back_a_later_model(
    certified, tiny_tables, tiny_world, tmp_path
):
    """An ACD restored to the calendar (like a 160.58 sealing reopened by a new arrest)
    makes the arrest usable again: a model certified afterwards that uses it loads and
    survives the next batch of events (the exclusion used to stay recorded, so it was
    refused at load and decertified); sealing the arrest again takes it out of service."""
    import pandas as pd

    from sanitizer._compliance import apply_events
    from sanitizer.certify import copy_home
    from sanitizer.serving import load_certified
    from sanitizer.tables import make_frame, write_table

    home = copy_home(certified[0], tmp_path / "home", actor="test")
    registry = Registry(home)
    index = LineageIndex(registry.store.engine)
    records = registry.snapshot(tiny_tables, AS_OF, "strict").records.set_index("arrest_key")
    latest = tiny_tables["court_events"].groupby("ARREST_KEY")["EVENT_DATE"].max()
    key = next(  # a used arrest whose case is open, with nothing after 2026-03-01
        k
        for k in index.used_keys("recidivism", 1)
        if records.at[k, "status"] == "OPEN"
        and latest.get(k, pd.Timestamp("2000-01-01")) < pd.Timestamp("2026-03-01")
    )

    def apply(name: str, disposition: str, day: str) -> dict:
        event = {
            "EVENT_ID": f"TEST-{name}-{key}",
            "ARREST_KEY": key,
            "EVENT_TYPE": "DISPOSITION",
            "EVENT_DATE": pd.Timestamp(day),
            "SOURCE": "OCA",
            "DISPOSITION": disposition,
            "ENTIRE_INSTRUMENT": True,
        }
        folder = tmp_path / name
        folder.mkdir()
        path = write_table(make_frame("court_events", [event]), "court_events", folder, "csv")
        return apply_events(home, tiny_tables, path, as_of=AS_OF, registry=registry, retrain=False)

    granted = apply("granted", "ACD_GRANTED", "2026-04-01")  # ACD pending: strict excludes it
    assert key in granted["newly_excluded"]["strict"]
    assert granted["decertified"] == ["models:/recidivism/1"]

    restored = apply("restored", "ACD_RESTORED", "2026-05-01")  # back on the calendar: open
    assert key in restored["no_longer_excluded"]["strict"]
    assert key not in registry.store.exclusions("strict")["arrest_key"].tolist()
    assert registry.integrity_problems() == []  # the audit entries list what was dropped

    again = retrain(
        home, tiny_tables, "recidivism", as_of=AS_OF, overrides=QUICK, registry=registry
    )
    assert again.certified, again.reasons
    assert key in index.used_keys("recidivism", again.version)
    load_certified("recidivism", as_of=AS_OF, home=home, data=tiny_world)  # not refused

    dismissed = apply("dismissed", "DISMISSAL", "2026-05-15")  # sealed again, recorded anew
    assert key in dismissed["newly_excluded"]["strict"]
    assert dismissed["decertified"] == [again.model_uri]
