"""``sanitizer retrain``: registry snapshot to certified MLflow version, in one flow.

registry snapshot -> sanitize -> features -> train -> the three lineage checks -> fairness
and quality gates -> certificate -> MLflow. Every retrain is an MLflow run and an audit
entry; only a run whose every gate passed becomes a registered version, and the
``certified`` alias moves last, under the audit log's write lock, after re-checking that
no sealing event landed while the model trained (a stale snapshot is refused).

This module is glue across stages (like ``_demo``): each step is a library call the
commands and notebooks can make themselves.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import BadInput, Refused
from ._home import Home
from .certify import (
    ALIAS,
    Certificate,
    LineageIndex,
    ModelStore,
    artifact_digest,
    sign_certificate,
    used_keys_digest,
    valid_until,
)
from .certify._card import model_card
from .lineage import (
    CHECK_STEPS,
    LineageReport,
    code_version,
    commit_tables,
    fingerprint,
    run_checks,
)
from .registry import Registry, Snapshot, build_snapshot
from .tables import Tables
from .train import CRIME_TYPES

__all__ = ["RetrainResult", "retrain", "model_name", "KINDS", "GATES", "STEPS"]

KINDS = ("patternizr", "recidivism")
GATES = ("provenance", "invariance", "fitted_state", "fairness", "quality")
#: The steps ``retrain`` reports to its ``progress`` callback, in order.
STEPS = ("registry snapshot", *CHECK_STEPS, "fairness and quality gates", "log the run")
MSG_STALE = (
    "the registry changed while the model trained: {n} arrest(s) newly excluded under "
    "{policy} since {started} ({keys}); snapshot {digest} is stale, retrain on the new one"
)

#: The fairness gate's detail when the pipeline found no data to judge (the quality gate says why).
MSG_NOT_JUDGED = "not measured: nothing to judge (see the quality gate)"

Progress = Callable[[str], None]


def model_name(kind: str, crime_type: str | None = None) -> str:
    """The registered name (CONTRACT.md, "Models")."""
    if kind == "recidivism":
        return "recidivism"
    if kind != "patternizr":
        raise BadInput(f"unknown model {kind!r}; expected patternizr or recidivism")
    if crime_type not in CRIME_TYPES:
        raise BadInput(
            f"--crime-type {crime_type!r} is not one of {', '.join(CRIME_TYPES)} "
            "(required for patternizr)"
        )
    return f"patternizr-{crime_type}"


@dataclass
class RetrainResult:
    """What one retrain decided; ``to_dict`` is the JSON of CONTRACT.md."""

    name: str
    certified: bool
    run_id: str
    fingerprint: str
    snapshot: Snapshot = field(repr=False)
    gates: dict
    metrics: dict
    valid_until: str | None
    version: int | None = None
    reasons: list[str] = field(default_factory=list)
    used_arrests: int = 0
    overrides: dict = field(default_factory=dict)
    mitigate: str | None = None
    retrained_shards: list[int] | None = None

    @property
    def model_uri(self) -> str | None:
        return None if self.version is None else f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict:
        return {
            "certified": self.certified,
            "model_uri": self.model_uri,
            "version": self.version,
            "run_id": self.run_id,
            "fingerprint": self.fingerprint,
            "snapshot_digest": self.snapshot.digest,
            "policy": self.snapshot.policy,
            "valid_until": self.valid_until,
            "gates": self.gates,
            "metrics": self.metrics,
            "reasons": self.reasons,
            "name": self.name,
            "retrained_shards": self.retrained_shards,
        }


# --- the pipeline of each model -----------------------------------------------------------------
def _pipeline(kind: str, crime_type: str | None, seed: int, overrides: Mapping):
    from .train import PatternPipeline, RecidivismPipeline, load_recidivism_config

    if kind == "patternizr":
        return PatternPipeline(crime_type, seed=seed, n_estimators=overrides.get("n_estimators"))
    config = load_recidivism_config()
    if overrides.get("n_estimators"):
        config["classifier"]["n_estimators"] = int(overrides["n_estimators"])
    return RecidivismPipeline(seed=seed, config=config)


class _Incremental:
    """A pipeline whose ``fit`` retrains only the shards whose rows changed (SISA).

    Everything else is the wrapped pipeline's. The result equals a from-scratch sharded
    fit on the same training set (``ShardedForest.refit`` checks every shard it keeps
    against the digests stored with it), so the lineage checks judge it unchanged.
    """

    def __init__(self, pipeline, previous_model):
        self._pipeline = pipeline
        self._previous = previous_model
        self.affected: list[int] | None = None

    def __getattr__(self, name):
        return getattr(self._pipeline, name)

    def fit(self, training):
        model, affected = self._pipeline.refit(training, self._previous)
        if self.affected is None:  # the first fit is the model's; later ones are checks
            self.affected = [int(a) for a in affected]
        return model


def _previous_forest(store: ModelStore, ref, kind: str):
    """The sharded forest of a version, read from its skops files (trusted types only).

    Its certificate must still match the stored files: a decertified model is reused
    only because its data changed, never if its weights did.
    """
    from ._verify import load_certificate
    from .serve import load_weights

    certificate = load_certificate(store, ref)
    folder = store.model_dir(ref)
    try:
        if artifact_digest(folder) != certificate.artifact_sha256:
            return None
        files = {p.stem: str(p) for p in sorted((folder / "artifacts").rglob("*.skops"))}
        weights = load_weights(files)
    finally:
        store.delete_local_copy(folder, ref)
    return weights.get("model" if kind == "patternizr" else "classifier")


def _judge(kind, pipeline, clean: Tables, training, model, mitigate, gates_config):
    """Fairness and quality: (gates, metrics, report document) on held-out data."""
    if kind == "patternizr":
        from .fairness import pattern_fairness_report

        report = pattern_fairness_report(pipeline, clean, model, training, gates=gates_config)
    else:
        from .fairness import recidivism_report

        # the certified model itself is judged (fitted on the development persons only)
        report = recidivism_report(
            clean, pipeline, training=training, mitigate=mitigate, gates=gates_config, model=model
        )
    document = report.to_dict()
    metrics = {}
    for key, value in (document.get("overall") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[f"quality.{key}"] = float(value)
    for row in document.get("disparities") or []:
        value = row.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[f"fairness.{row['dimension']}.{row['metric']}"] = float(value)
    race_test = document.get("race_test") or {}
    if isinstance(race_test.get("max_abs_difference"), int | float):
        metrics["fairness.race_test.max_abs_difference"] = float(race_test["max_abs_difference"])
    return report.gates, metrics, report


def _insufficient_data(pipeline, training) -> str | None:
    """The pipeline's reason why ``training`` cannot give a certifiable model, if it has one.

    A pattern type with no clean pattern trains a forest that never saw a positive pair,
    and leaves the fairness and quality gates no held-out pattern to rank; the pipeline
    says so in words (``PatternPipeline.insufficient_data``) and the run is refused with
    them rather than judged on nothing.
    """
    check = getattr(pipeline, "insufficient_data", None)
    return None if check is None else check(training)


@dataclass(frozen=True)
class _NotJudged:
    """The fairness report of a model the gates could not judge: why, and no figures."""

    reason: str

    @property
    def gates(self) -> dict:
        return {
            "fairness": {"passed": False, "detail": MSG_NOT_JUDGED},
            "quality": {"passed": False, "detail": self.reason},
        }

    def to_dict(self) -> dict:
        return {"judged": False, "reason": self.reason, "gates": self.gates}


def _metric_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-/ " else "_" for c in text)


# --- artifacts ---------------------------------------------------------------------------------
def _weights(kind: str, pipeline, training, model) -> dict:
    if kind == "patternizr":
        return {"featurizer": training.components["featurizer"], "model": model}
    return {"scorer": pipeline.scorer(model, training)}


def _model_config(kind, name, pipeline, snapshot: Snapshot, seed: int) -> dict:
    config = {
        "kind": kind,
        "name": name,
        "policy": snapshot.policy,
        "as_of": snapshot.as_of.isoformat(),
        "seed": seed,
    }
    if kind == "patternizr":
        evaluation = pipeline.config.get("evaluation", {})
        config.update(
            crime_type=pipeline.crime_type,
            ky_cd=pipeline.ky_cd,
            history_days=int(evaluation.get("history_days", 1095)),
            k=10,
        )
    else:
        config.update(cutoff=pipeline.cutoff)
    return config


def _row_key_columns(training) -> tuple[str, ...]:
    """What names a training row: its keys and shard, not the split or the sample draw."""
    return tuple(c for c in training.row_keys.columns if c not in ("split", "draw"))


def _text(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_default) + "\n"


def _default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, date | datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _gate_flags(gates: Mapping[str, Mapping]) -> dict[str, bool]:
    return {name: bool(gates.get(name, {}).get("passed", False)) for name in GATES}


# --- the flow ----------------------------------------------------------------------------------
def retrain(
    home: Home,
    tables: Tables,
    kind: str,
    *,
    crime_type: str | None = None,
    as_of: date,
    policy: str = "strict",
    seed: int = 0,
    mitigate: str | None = None,
    overrides: Mapping | None = None,
    gates_config: Mapping | None = None,
    registry: Registry | None = None,
    progress: Progress | None = None,
    actor: str = "cli",
    previous=None,
    _fail_at: str | None = None,
) -> RetrainResult:
    """Train, check, gate, and certify or refuse one model; see the module docstring.

    ``previous`` (a ``ModelVersionRef``) retrains incrementally: only the shards whose
    training rows changed since that version are refitted, the rest are its own forests
    (the result is identical to a full retrain; see ``_Incremental``). ``_fail_at`` names
    a step at which to raise (tests inject crashes there to prove the alias never moves
    to a half-written version).
    """
    name = model_name(kind, crime_type)
    say = progress or (lambda _step: None)
    overrides = dict(overrides or {})
    registry = Registry(home) if registry is None else registry
    started = datetime.now(UTC).isoformat(timespec="milliseconds")

    say(STEPS[0])
    raw = registry.with_recorded_events(tables)
    snapshot = registry.snapshot(raw, as_of, policy)

    pipeline = _pipeline(kind, crime_type, seed, overrides)
    if previous is not None:
        forest = _previous_forest(ModelStore.for_home(home), previous, kind)
        if forest is not None and hasattr(pipeline, "refit"):
            pipeline = _Incremental(pipeline, forest)
    checks = run_checks(
        pipeline,
        raw,
        snapshot,
        lambda t: build_snapshot(t, as_of, policy, explain=False),
        seed,
        say,
    )
    training, model = checks.training, checks.model
    model_fingerprint = fingerprint(model)
    affected = getattr(pipeline, "affected", None)
    data = checks.sanitized
    derived = {"training_rows": (training.row_keys, _row_key_columns(training))}
    commitments = commit_tables(data.tables, derived)
    used = training.provenance.used_keys("arrests").astype(str)

    say(STEPS[-2])
    gates = {n: {"passed": r.passed, "detail": r.detail} for n, r in checks.results.items()}
    lacking = _insufficient_data(pipeline, training)
    if lacking is None:
        judged, metrics, fairness = _judge(
            kind, pipeline, data.tables, training, model, mitigate, gates_config
        )
    else:
        fairness = _NotJudged(lacking)
        judged, metrics = fairness.gates, {}
    for gate in ("fairness", "quality"):
        gates[gate] = judged.get(gate, {"passed": False, "detail": "not measured"})
    expiry = valid_until(snapshot, used)
    expiry_text = None if expiry is None else expiry.isoformat()
    reasons = [
        f"{gate} gate failed: {_reason(gates[gate])}"
        for gate in GATES
        if not gates[gate].get("passed", False)
    ]
    if expiry is not None and expiry <= as_of:
        reasons.append(f"valid_until {expiry_text} is not after the as-of date {as_of}")

    lineage = LineageReport(
        name, pipeline.name, data, checks, commitments, fingerprint=model_fingerprint, seed=seed
    )
    lineage_doc = lineage.to_dict()
    code = code_version()
    store = ModelStore.for_home(home)
    run_tags = {
        "snapshot_digest": snapshot.digest,
        "snapshot_id": snapshot.snapshot_id,
        "policy": snapshot.policy,
        "rules_version": snapshot.rules_version,
        "as_of": snapshot.as_of.isoformat(),
        "fingerprint": model_fingerprint,
        "code_commit": code.get("git_commit") or "unknown",
        "gates": json.dumps(_gate_flags(gates), sort_keys=True),
        "outcome": "running",
    }
    result = RetrainResult(
        name,
        False,
        "",
        model_fingerprint,
        snapshot,
        gates,
        metrics,
        expiry_text,
        reasons=reasons,
        used_arrests=int(len(used)),
        overrides=overrides,
        mitigate=mitigate,
        retrained_shards=affected,
    )
    with store.run(name, run_tags) as run_id:
        result.run_id = run_id
        say(STEPS[-1])
        store.log_metrics(run_id, {_metric_name(k): v for k, v in metrics.items()})
        fairness_doc = fairness.to_dict()
        files = {
            "lineage/lineage_report.json": _text(lineage_doc),
            "lineage/lineage_report.html": lineage.to_html(),
            "lineage/commitments.json": _text(commitments.to_dict()),
            "lineage/used_keys/arrests.txt": "\n".join(sorted(used)) + "\n",
            "lineage/keys/arrests.txt": "\n".join(
                sorted(data.tables["arrests"]["ARREST_KEY"].astype(str).tolist())
            )
            + "\n",
            "fairness/fairness_report.json": _text(fairness_doc),
            "evaluation.json": _text({"gates": gates, "metrics": metrics}),
        }
        if hasattr(fairness, "to_html"):
            files["fairness/fairness_report.html"] = fairness.to_html()
        files["model_card.md"] = model_card(
            name=name,
            kind=kind,
            snapshot=snapshot,
            fingerprint=model_fingerprint,
            gates=gates,
            metrics=metrics,
            removed=lineage_doc["removed"],
            training_rows=len(training),
            features=list(training.X.columns),
            valid_until=expiry_text,
            mitigate=mitigate,
            reasons=reasons,
        )
        store.log_files(run_id, files)
        # the certificate binds these too, so a reviewer's copy can be told from an edit
        reviewed = {
            path: hashlib.sha256(content.encode("utf-8")).hexdigest()
            for path, content in sorted(files.items())
        }
        use = _training_use(actor, name, run_id, snapshot, lineage_doc, data, used)
        if reasons:
            _refuse(store, registry, run_id, result, actor, use)
            return result
        _certify(
            _Certification(
                store, registry, home, run_id, result, kind, pipeline, training, model,
                commitments, code, used, started, seed, actor, use, _fail_at, reviewed,
            )
        )  # fmt: skip
    return result


def _training_use(actor, name, run_id, snapshot, lineage_doc, data, used) -> dict:
    """The TRAINING_USE audit entry, recorded together with the retrain's outcome."""
    return {
        "actor": actor,
        "action": "TRAINING_USE",
        "outcome": "DONE",
        "record_ids": [],
        "detail": {
            "model": name,
            "run_id": run_id,
            "snapshot_id": snapshot.snapshot_id,
            "snapshot_digest": snapshot.digest,
            "policy": snapshot.policy,
            "as_of": snapshot.as_of.isoformat(),
            "removed_by_item_type": lineage_doc["removed"]["by_item_type"],
            "removed_by_statute": lineage_doc["removed"]["by_statute"],
            "destruction_pending": lineage_doc["removed"]["destroy_class"],
            "rows": {t: int(len(f)) for t, f in data.tables.items()},
            "used_arrests": int(len(used)),
        },
    }


@dataclass
class _Certification:
    """Everything the certifying steps need about one retrain run."""

    store: ModelStore
    registry: Registry
    home: Home
    run_id: str
    result: RetrainResult
    kind: str
    pipeline: object
    training: object
    model: object
    commitments: object
    code: dict
    used: np.ndarray
    started: str
    seed: int
    actor: str
    use: dict
    fail_at: str | None = None
    #: SHA-256 of each reviewer artifact logged with the run (lineage, fairness, card).
    reviewed: dict = field(default_factory=dict)


def _reason(gate: Mapping) -> str:
    if gate.get("detail"):
        return str(gate["detail"])
    failed = [
        c.get("detail") or c.get("name", "?")
        for c in gate.get("criteria", [])
        if c.get("passed") is False
    ]
    return ", ".join(failed) or "failed"


def _refuse(store: ModelStore, registry: Registry, run_id: str, result, actor, use) -> None:
    store.set_run_tags(run_id, {"outcome": "refused", "refusal_reasons": result.reasons})
    registry.audit.append_many(
        [
            use,
            {
                "actor": actor,
                "action": "MODEL_REFUSED",
                "outcome": "REFUSED",
                "record_ids": [],
                "detail": {
                    "model": result.name,
                    "run_id": run_id,
                    "reasons": result.reasons,
                    "snapshot_digest": result.snapshot.digest,
                    "policy": result.snapshot.policy,
                    "gates": _gate_flags(result.gates),
                    "metrics": result.metrics,
                },
            },
        ]
    )
    registry.store_snapshot(result.snapshot, actor, audit_unchanged=False)


def _maybe_fail(step: str, fail_at: str | None) -> None:
    if fail_at == step:
        raise RuntimeError(f"injected failure at {step}")


def _certify(run: _Certification) -> None:
    """Package, register (pending), sign, index, and move the alias last."""
    from .serve import package_model

    store, result, pipeline = run.store, run.result, run.pipeline
    snapshot = result.snapshot
    name = result.name
    with tempfile.TemporaryDirectory(prefix="sanitizer-package-") as tmp:
        model_dir = Path(tmp) / "model"
        package_model(
            model_dir,
            kind=run.kind,
            name=name,
            policy=snapshot.policy,
            weights=_weights(run.kind, pipeline, run.training, run.model),
            model_config=_model_config(run.kind, name, pipeline, snapshot, run.seed),
        )
        digest = artifact_digest(model_dir)
        _maybe_fail("log_model", run.fail_at)
        store.log_model_dir(run.run_id, model_dir)
    commitment_tags = {
        f"commitment.{table}": f"sha256={c['sha256']};merkle_root={c['keys_root']};n={c['rows']}"
        for table, c in run.commitments.to_dict().items()
    }
    version_tags = {
        "snapshot_digest": snapshot.digest,
        "policy": snapshot.policy,
        "rules_version": snapshot.rules_version,
        "as_of": snapshot.as_of.isoformat(),
        "fingerprint": result.fingerprint,
        "artifact_sha256": digest,
        "gates": _gate_flags(result.gates),
        "valid_until": result.valid_until or "",
        **commitment_tags,
    }
    serving = store.certified(name)
    ref = store.register(name, run.run_id, version_tags)
    result.version = ref.version
    index = LineageIndex(run.registry.store.engine)
    try:
        _sign_index_promote(run, ref, digest, index)
    except BaseException:
        # a crash after registration: the pending version goes; if the alias had already
        # moved (the audit commit failed after it), it goes back to the version it left
        now = store.certified(name)
        if serving is not None and (now is None or now.version == ref.version):
            store.client.set_registered_model_alias(name, ALIAS, str(serving.version))
        store.client.delete_model_version(name, str(ref.version))
        index.remove(name, ref.version)
        result.version = None
        raise


def _sign_index_promote(run: _Certification, ref, digest: str, index: LineageIndex) -> None:
    store, registry, result = run.store, run.registry, run.result
    snapshot = result.snapshot
    name = result.name
    run_id, fail_at, used = run.run_id, run.fail_at, run.used
    actor, use = run.actor, run.use
    _maybe_fail("register", fail_at)
    certificate = sign_certificate(
        Certificate(
            model_name=name,
            model_version=ref.version,
            fingerprint=result.fingerprint,
            artifact_sha256=digest,
            snapshot={
                "snapshot_id": snapshot.snapshot_id,
                "digest": snapshot.digest,
                "excluded_root": snapshot.excluded_root,
                "as_of": snapshot.as_of.isoformat(),
                "policy": snapshot.policy,
                "rules_version": snapshot.rules_version,
            },
            commitments=run.commitments.to_dict(),
            code=run.code,
            gates=_gate_flags(result.gates),
            valid_until=result.valid_until,
            issued_at=datetime.now(UTC).isoformat(timespec="seconds"),
            extra={
                "kind": run.kind,
                "run_id": run_id,
                "seed": run.seed,
                "crime_type": getattr(run.pipeline, "crime_type", None),
                "used_arrests": int(len(used)),
                "used_arrests_sha256": used_keys_digest(used.tolist()),
                "artifacts_sha256": dict(run.reviewed),
                "mitigate": result.mitigate,
                "overrides": result.overrides,
            },
        ),
        run.home.path,
    )
    store.log_files(run_id, {"certificate.json": _text(certificate.to_dict())})
    _maybe_fail("certificate", fail_at)
    index.add(name, ref.version, snapshot.policy, used.tolist())
    _maybe_fail("index", fail_at)

    def move_alias(connection) -> None:
        stale = registry.store.exclusions(snapshot.policy, since=run.started, connection=connection)
        if len(stale):
            keys = stale["arrest_key"].tolist()
            raise Refused(
                MSG_STALE.format(
                    n=len(keys),
                    policy=snapshot.policy,
                    started=run.started,
                    keys=", ".join(keys[:5]),
                    digest=snapshot.digest[:12],
                )
            )
        _maybe_fail("alias", fail_at)
        store.promote(name, ref.version)
        _maybe_fail("after_alias", fail_at)

    try:
        registry.audit.append_many(
            [
                use,
                {
                    "actor": actor,
                    "action": "MODEL_CERTIFIED",
                    "outcome": "DONE",
                    "record_ids": [],
                    "detail": {
                        "model": name,
                        "version": ref.version,
                        "uri": ref.uri,
                        "run_id": run_id,
                        "fingerprint": result.fingerprint,
                        "snapshot_digest": snapshot.digest,
                        "policy": snapshot.policy,
                        "rules_version": snapshot.rules_version,
                        "valid_until": result.valid_until,
                        "gates": _gate_flags(result.gates),
                        "metrics": result.metrics,
                    },
                },
            ],
            before_commit=move_alias,
        )
    except Refused as stale:
        # never a registered version: the pending one goes, the run keeps the reasons
        store.client.delete_model_version(name, str(ref.version))
        index.remove(name, ref.version)
        result.version = None
        result.reasons.append(str(stale))
        _refuse(store, registry, run_id, result, actor, use)
        return
    store.set_run_tags(run_id, {"outcome": "certified", "refusal_reasons": []})
    registry.store_snapshot(snapshot, actor, audit_unchanged=False)
    result.certified = True
