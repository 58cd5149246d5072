"""A home with two certified models on the tiny world, built once per test session.

Built by hand (train, package, log, register, sign, index, promote) rather than through
``retrain``, so serving is tested on its own: a recidivism model and a burglary pattern
model, both with small sharded forests.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

AS_OF = date(2026, 6, 1)
#: Pattern queries return this many candidates, so a test can find any candidate it wants.
PATTERN_K = 500


@dataclass
class Served:
    """What the fixture built: the home, the data, and per model its version and parts."""

    home: object
    data: Path
    tables: object
    snapshot: object
    versions: dict
    used: dict
    scorer: object
    pattern_parts: dict


def _certify(store, home, name, kind, weights, config, used, snapshot, policy="strict"):
    """Package, log, register, sign, index and promote one model; returns its version."""
    import tempfile

    from sanitizer.certify import (
        Certificate,
        LineageIndex,
        artifact_digest,
        sign_certificate,
        used_keys_digest,
        valid_until,
    )
    from sanitizer.registry import Registry
    from sanitizer.serve import package_model

    with tempfile.TemporaryDirectory() as tmp:
        folder = package_model(
            Path(tmp) / "model",
            kind=kind,
            name=name,
            policy=policy,
            weights=weights,
            model_config=config,
        )
        digest = artifact_digest(folder)
        with store.run(name, {"policy": policy}) as run_id:
            store.log_model_dir(run_id, folder)
    ref = store.register(name, run_id, {"policy": policy, "artifact_sha256": digest})
    expiry = valid_until(snapshot, used)
    certificate = sign_certificate(
        Certificate(
            model_name=name,
            model_version=ref.version,
            fingerprint="0" * 64,
            artifact_sha256=digest,
            snapshot={"digest": snapshot.digest, "policy": policy},
            commitments={},
            code={"commit": "test"},
            gates={"quality": {"passed": True}},
            valid_until=None if expiry is None else expiry.isoformat(),
            issued_at=datetime.now(UTC).isoformat(timespec="seconds"),
            # as retrain signs them: what the lineage index must list for the version
            extra={"used_arrests": len(set(used)), "used_arrests_sha256": used_keys_digest(used)},
        ),
        home.path,
    )
    import json

    store.log_files(run_id, {"certificate.json": json.dumps(certificate.to_dict())})
    LineageIndex(Registry(home).store.engine).add(name, ref.version, policy, used)
    store.promote(name, ref.version)
    return ref.version


@pytest.fixture(scope="session")
def served(tmp_path_factory, tiny_world, tiny_tables, mlflow_db_template):
    """The session's certified home (tests that change it restore it)."""
    from sanitizer._home import Home
    from sanitizer.certify import ModelStore
    from sanitizer.registry import build_snapshot
    from sanitizer.train import PatternPipeline, RecidivismPipeline, load_recidivism_config

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("SANITIZER_DB_URL", raising=False)
        home = Home.resolve(tmp_path_factory.mktemp("serve") / "home").ensure()
        shutil.copy(mlflow_db_template, home.path / "mlflow.db")
        store = ModelStore.for_home(home)
        snapshot = build_snapshot(tiny_tables, AS_OF, "strict")

        config = load_recidivism_config(
            classifier={"n_estimators": 8, "n_jobs": 1}, shards={"n_shards": 4}
        )
        recidivism = RecidivismPipeline(config=config)
        training = recidivism.build(tiny_tables, snapshot)
        scorer = recidivism.scorer(recidivism.fit(training), training)
        used_r = training.provenance.sources["arrests"].used_keys().tolist()

        pattern = PatternPipeline("burglary", n_estimators=5)
        pattern_training = pattern.build(tiny_tables, snapshot)
        forest = pattern.fit(pattern_training)
        used_p = pattern_training.provenance.sources["arrests"].used_keys().tolist()
        parts = {"featurizer": pattern_training.components["featurizer"], "model": forest}

        versions = {
            "recidivism": _certify(
                store,
                home,
                "recidivism",
                "recidivism",
                {"scorer": scorer},
                {"cutoff": recidivism.cutoff},
                used_r,
                snapshot,
            ),
            "patternizr-burglary": _certify(
                store,
                home,
                "patternizr-burglary",
                "patternizr",
                parts,
                {"ky_cd": "107", "k": PATTERN_K, "history_days": 1095},
                used_p,
                snapshot,
            ),
        }
    return Served(
        home=home,
        data=Path(tiny_world),
        tables=tiny_tables,
        snapshot=snapshot,
        versions=versions,
        used={"recidivism": used_r, "patternizr-burglary": used_p},
        scorer=scorer,
        pattern_parts=parts,
    )


def audit_entries(home, action: str = "INFERENCE") -> list[dict]:
    """The home's audit entries of one action, oldest first, details parsed."""
    import json

    from sqlalchemy import select

    from sanitizer.registry import Registry
    from sanitizer.registry._audit import audit_log_table

    registry = Registry(home)
    with registry.audit.engine.connect() as conn:
        rows = conn.execute(select(audit_log_table).order_by(audit_log_table.c.seq)).mappings()
        found = [{**r, "detail": json.loads(r["detail"] or "null")} for r in rows]
    return [e for e in found if e["action"] == action]


@pytest.fixture()
def clean_env(monkeypatch):
    """No ambient MLflow server or database URL leaks into a test."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("SANITIZER_DB_URL", raising=False)
    monkeypatch.delenv("SANITIZER_DATA", raising=False)


def copy_home(source: Path, target: Path) -> Path:
    """A working copy of a home this process may hold open SQLite connections to.

    Copied as ``sanitizer home copy`` does (SQLite's backup API, never ``shutil.copytree``:
    copying a live database's files outside SQLite drops this process's locks on it, and
    a ``mlflow models serve`` under test then deletes the WAL this process still reads,
    so its audit entries vanish from view), and relocated without an audit entry of its
    own so that tests count only the entries they cause.
    """
    from sanitizer._home import Home
    from sanitizer.certify._relocate import copy_files, relocate

    relocate(copy_files(Home.resolve(source), target))
    return Path(target)


@pytest.fixture()
def isolated(served, tmp_path):
    """``served`` with a private copy of its home, for tests that record events in it.

    Recording an event and deleting it again afterwards is exactly what the registry's
    integrity check refuses as tampering, so such tests get their own registry (and
    their own copy of the artifacts). Copied with :func:`copy_home`, never
    ``shutil.copytree``.
    """
    import dataclasses

    from sanitizer._home import Home

    copy = copy_home(served.home.path, tmp_path / "home")
    return dataclasses.replace(served, home=Home.resolve(copy))


def record_sealing(registry, key: str, batch: str) -> None:
    """Record that ``key`` became excluded under strict, as ``events apply`` would:
    the exclusion row and the audit entry that lists it (so the registry checks out)."""
    with registry.store.engine.begin() as conn:
        registry.store.record_exclusions({"strict": [key]}, batch, conn)
    registry.audit.append(
        {
            "actor": "test",
            "action": "REGISTRY_EVENTS",
            "outcome": "APPLIED",
            "record_ids": [key],
            "detail": {"batch": batch, "recorded": [], "newly_excluded": {"strict": [key]}},
        }
    )
