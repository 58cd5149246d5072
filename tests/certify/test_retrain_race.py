"""Issue #6: two retrains of one model at once never leave the alias on a half-registered version.

Two real ``sanitizer retrain recidivism --json`` processes against one fresh home (no
experiment, no registered model yet, so they also race to create those). Each runs the
CLI unchanged, with three test hooks (``RACER`` below) that make the race as tight as it
gets: the two processes wait for each other before the MLflow run is created and again
before its artifacts are logged, so they create, register and promote at the same moments;
a short pause after each registration leaves a *pending* version in the store while the
other process certifies, and a pause between the status tag and the alias move (inside the
audit log's write lock) leaves the other waiting on that lock.

Whatever the interleaving: each process ends with one JSON outcome (certified, or refused
with its reasons); every registered version is complete (tags, artifacts, certificate)
and verifies; nothing is left pending; the alias is on the version of the *last*
``MODEL_CERTIFIED`` entry of an intact audit chain; each outcome is audited exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date

import pytest

from sanitizer._home import Home
from sanitizer._verify import verify_model
from sanitizer.certify import ALIAS, Certificate, ModelStore
from sanitizer.registry import Registry, export_public_key

AS_OF = date(2026, 6, 1)
NAME = "recidivism"
#: Seconds a racer may take (two CLI processes on the tiny world take ~15 s on 2 cores).
TIMEOUT_S = 300
#: Model-version tags every certified version carries (docs/model-registry.md).
VERSION_TAGS = {
    "status", "snapshot_digest", "policy", "rules_version", "as_of", "fingerprint",
    "artifact_sha256", "gates", "valid_until", "certified_at", "commitment.arrests",
    "commitment.training_rows",
}  # fmt: skip
#: Run artifacts every certified run carries (docs/model-registry.md).
RUN_FILES = {
    "certificate.json", "lineage/lineage_report.json", "lineage/lineage_report.html",
    "lineage/commitments.json", "lineage/keys/arrests.txt", "lineage/used_keys/arrests.txt",
    "fairness/fairness_report.json", "evaluation.json", "model_card.md", "model/MLmodel",
}  # fmt: skip

RACER = r"""
import sys, time
from pathlib import Path

barrier, label, *argv = sys.argv[1:]
MEET = ("fairness and quality gates", "log the run")

def meet(step):
    folder = Path(barrier) / str(MEET.index(step))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / label).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)

import sanitizer._retrain as flow
from mlflow import MlflowClient
from sanitizer.certify import ModelStore

original_retrain, original_register = flow.retrain, ModelStore.register
original_alias = MlflowClient.set_registered_model_alias

def retrain(*args, progress=None, **kwargs):
    def both(step):
        if progress is not None:
            progress(step)
        if step in MEET:
            meet(step)
    return original_retrain(*args, progress=both, **kwargs)

def register(self, *args, **kwargs):
    ref = original_register(self, *args, **kwargs)
    time.sleep(0.3)  # a pending version sits in the store while the other one certifies
    return ref

def set_alias(self, *args, **kwargs):
    time.sleep(0.3)  # in promote, inside the audit lock: after the status tag, before the alias
    return original_alias(self, *args, **kwargs)

flow.retrain, ModelStore.register = retrain, register
MlflowClient.set_registered_model_alias = set_alias
from sanitizer.cli import main
sys.argv = ["sanitizer", *argv]
main()
"""


def _files(client, run_id: str, path: str | None = None) -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= _files(client, run_id, item.path) if item.is_dir else {item.path}
    return out


@pytest.fixture()
def race_home(tmp_path, mlflow_db_template, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(mlflow_db_template, folder / "mlflow.db")
    return folder


def _race(home, world, folder) -> list[tuple[int, dict, str]]:
    """Run the two racers (8 and 9 trees, so their models differ); (exit, JSON, stderr).

    Their output goes to files (a full pipe would block a racer while the other is
    awaited); a racer still running after ``TIMEOUT_S`` is killed.
    """
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    racers = []
    for trees in (8, 9):
        label = f"racer-{trees}"
        argv = ["retrain", "recidivism", "--data", str(world), "--trees", str(trees),
                "--as-of", AS_OF.isoformat(), "--home", str(home), "--json"]  # fmt: skip
        out, err = folder / f"{label}.out", folder / f"{label}.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            racer = subprocess.Popen(
                [sys.executable, "-c", RACER, str(folder / "barrier"), label, *argv],
                stdout=stdout,
                stderr=stderr,
                env=env,
            )
        racers.append((racer, out, err))
    outcomes = []
    try:
        for racer, out, err in racers:
            racer.wait(timeout=TIMEOUT_S)
            stdout, stderr = out.read_text(), err.read_text()
            lines = stdout.splitlines()
            assert len(lines) == 1, f"stdout is not one JSON object:\n{stdout}\n{stderr}"
            outcomes.append((racer.returncode, json.loads(lines[0]), stderr))
    finally:
        for racer, _out, _err in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()
    return outcomes


def test_two_retrains_at_once_leave_the_alias_on_a_complete_version(
    race_home, tiny_world, tmp_path
):
    outcomes = _race(race_home, tiny_world, tmp_path)
    barrier = tmp_path / "barrier"
    # both racers met at both points (the hooks are engaged: the steps kept their names)
    met = {p.name: sorted(f.name for f in p.iterdir()) for p in barrier.iterdir()}
    assert met == {"0": ["racer-8", "racer-9"], "1": ["racer-8", "racer-9"]}

    certified, refused = [], []
    for code, payload, stderr in outcomes:
        if code == 0:
            assert payload["certified"] and payload["version"] is not None, stderr
            certified.append(payload)
        else:
            assert code == 1, f"a racer crashed (exit {code}):\n{stderr}"
            assert not payload["certified"] and payload["version"] is None
            assert payload["reasons"], "a refusal names its reasons"
            refused.append(payload)
    assert certified, f"neither retrain was certified: {[p['reasons'] for p in refused]}"

    home = Home.resolve(race_home)
    store = ModelStore.for_home(home)
    registry = Registry(home)
    public = export_public_key(home.path)

    # exactly the certified outcomes are versions, each complete and verifying; none pending
    versions = store.versions(NAME)
    assert sorted(v.version for v in versions) == sorted(p["version"] for p in certified)
    by_run = {p["run_id"]: p for p in certified}
    for ref in versions:
        assert ref.status == "certified", f"{ref.uri} left {ref.status!r}"
        assert ref.run_id in by_run and by_run[ref.run_id]["version"] == ref.version
        assert {f"sanitizer.{t}" for t in VERSION_TAGS} <= set(ref.tags), ref.uri
        assert RUN_FILES <= _files(store.client, ref.run_id), ref.uri
        certificate = Certificate.from_dict(store.read_json(ref.run_id, "certificate.json"))
        assert certificate.verify(public) and certificate.model_version == ref.version
        assert (
            certificate.fingerprint == ref.tag("fingerprint") == by_run[ref.run_id]["fingerprint"]
        )
        verdict = verify_model(home, ref.uri, as_of=AS_OF, registry=registry)
        assert verdict["compliant"], (ref.uri, verdict["checks"])

    # every run ended with its outcome (none left running), one experiment for the model
    experiments = [e for e in store.client.search_experiments() if e.name == f"sanitizer/{NAME}"]
    assert len(experiments) == 1
    for _code, payload, _stderr in outcomes:
        run = store.client.get_run(payload["run_id"])
        assert (
            run.info.status == "FINISHED" and run.info.experiment_id == experiments[0].experiment_id
        )
        expected = "certified" if payload["certified"] else "refused"
        assert run.data.tags["sanitizer.outcome"] == expected

    # the audit chain is intact and holds each outcome once, in the order the alias moved
    check = registry.audit.verify()
    assert check.intact, check.problems
    entries = registry.audit.entries()
    done = [e for e in entries if e["action"] == "MODEL_CERTIFIED"]
    assert sorted(e["detail"]["run_id"] for e in done) == sorted(by_run)
    assert sorted(e["detail"]["run_id"] for e in entries if e["action"] == "MODEL_REFUSED") == (
        sorted(p["run_id"] for p in refused)
    )
    uses = [e["detail"]["run_id"] for e in entries if e["action"] == "TRAINING_USE"]
    assert sorted(uses) == sorted(p["run_id"] for _c, p, _s in outcomes)

    # the alias is on the version whose certification committed last
    serving = store.certified(NAME)
    assert serving is not None and ALIAS in serving.aliases
    assert serving.version == done[-1]["detail"]["version"]
    assert verify_model(home, f"models:/{NAME}@{ALIAS}", as_of=AS_OF, registry=registry)[
        "compliant"
    ]
