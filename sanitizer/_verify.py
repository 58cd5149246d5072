"""``sanitizer verify`` and ``sanitizer lineage prove-absent``: a reviewer's re-checks.

``verify`` trusts nothing it is handed: it re-checks the certificate's signature with the
home's public key, re-hashes the stored model folder, asks the *current* registry whether
any record the model used is excluded now, checks ``valid_until`` at the as-of date, and,
with ``--data``, rebuilds the training set from the raw tables and re-runs the three
lineage checks, confirming the retrained model reproduces the certified fingerprint.

``prove-absent`` rebuilds the Merkle tree over the arrest keys the model's data held
(a run artifact), confirms its root is the one the signed certificate commits to, and
prints an absence proof that ``lineage check-proof`` verifies with the root alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from ._errors import Refused
from ._home import Home
from .certify import (
    Certificate,
    LineageIndex,
    ModelStore,
    ModelVersionRef,
    artifact_digest,
    index_problem,
)
from .certify._store import unexpected_bytecode
from .lineage import PROOF_FORMAT, fingerprint, run_checks
from .registry import MerkleTree, Registry, build_snapshot, home_key
from .tables import Tables

__all__ = ["VERIFY_CHECKS", "verify_model", "prove_absent", "load_certificate"]

VERIFY_CHECKS = (
    "signature",
    "artifact_digest",
    "registry_current",
    "valid_until",
    "provenance",
    "fitted_state",
    "invariance",
)
DATA_CHECKS = ("provenance", "fitted_state", "invariance")


def load_certificate(store: ModelStore, ref: ModelVersionRef) -> Certificate:
    """The version's certificate artifact; Refused when missing or malformed."""
    try:
        document = store.read_json(ref.run_id, "certificate.json")
        return Certificate.from_dict(document)
    except Refused:
        raise Refused(f"{ref.uri} has no certificate") from None
    except (ValueError, TypeError) as error:
        raise Refused(f"{ref.uri}: the certificate is malformed ({error})") from None


def _altered_artifacts(store: ModelStore, ref, certificate) -> list[str]:
    """Run artifacts (lineage report, key lists, fairness report, card) not as certified.

    Certificates issued before they carried ``artifacts_sha256`` bind none: nothing to
    compare, so nothing is reported.
    """
    altered = []
    for path, want in sorted((certificate.extra.get("artifacts_sha256") or {}).items()):
        try:
            got = hashlib.sha256(store.read_artifact(ref.run_id, path)).hexdigest()
        except Refused:
            altered.append(f"{path} (missing)")
            continue
        if got != want:
            altered.append(path)
    return altered


def _check(passed: bool, detail: str) -> dict:
    return {"passed": bool(passed), "detail": detail}


def verify_model(
    home: Home,
    uri: str,
    *,
    as_of: date,
    tables: Tables | None = None,
    registry: Registry | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Every check of CONTRACT.md's ``verify``; ``compliant`` only if all that ran passed."""
    say = progress or (lambda _s: None)
    store = ModelStore.for_home(home)
    ref = store.resolve(uri)
    registry = Registry(home) if registry is None else registry
    checks: dict[str, dict] = {}
    try:
        certificate = load_certificate(store, ref)
    except Refused as missing:
        checks["signature"] = _check(False, str(missing))
        return _verdict(ref, checks, skipped=[c for c in VERIFY_CHECKS if c != "signature"])

    say("signature")
    own = home_key(home.path)
    signed = own is not None and certificate.verify(own.public_key_pem)
    matches = certificate.model_name == ref.name and certificate.model_version == ref.version
    checks["signature"] = _check(
        signed and matches,
        "Ed25519 signature valid for the home's public key"
        if signed and matches
        else (
            "signature does not verify: certificate altered or signed by another key"
            if not signed
            else f"certificate is for {certificate.model_name} v{certificate.model_version}"
        ),
    )

    say("artifact digest")
    folder = store.model_dir(ref)
    try:
        digest = artifact_digest(folder)
        bytecode = unexpected_bytecode(folder)
    finally:
        store.delete_local_copy(folder, ref)
    detail = (
        f"model folder SHA-256 {digest[:16]}… "
        + ("matches" if digest == certificate.artifact_sha256 else "differs from")
        + f" the certified {certificate.artifact_sha256[:16]}…"
    )
    if bytecode:
        detail += "; cached bytecode that is not the model's own code: " + ", ".join(bytecode[:5])
    altered = _altered_artifacts(store, ref, certificate)
    if altered:
        detail += "; run artifacts that differ from those certified: " + ", ".join(altered[:5])
    elif certificate.extra.get("artifacts_sha256"):
        detail += f"; the {len(certificate.extra['artifacts_sha256'])} reviewer artifacts match"
    checks["artifact_digest"] = _check(
        digest == certificate.artifact_sha256 and not bytecode and not altered, detail
    )

    say("registry")
    policy = certificate.snapshot["policy"]
    index = LineageIndex(registry.store.engine)
    used = index.used_keys(ref.name, ref.version)
    if tables is not None:
        raw = registry.with_recorded_events(tables)
        now = registry.snapshot(raw, as_of, policy)
        excluded_now = sorted(set(used) & set(now.excluded_keys))
        source = f"the registry recomputed at {as_of} from the data and recorded events"
    else:
        raw = None
        excluded_now = index.excluded_since(ref.name, ref.version, policy)
        source = "the exclusions recorded in this home since certification"
    tampered = registry.integrity_problems([certificate.snapshot.get("snapshot_id", "")])
    if excluded_now:
        detail = f"{len(excluded_now)} arrest(s) the model used are excluded now: " + ", ".join(
            excluded_now[:10]
        )
    else:
        detail = (
            f"none of the {len(used):,} arrests the model used is excluded under {policy} "
            f"({source})"
        )
    wrong_index = index_problem(certificate.extra, len(used), used)
    if wrong_index:
        detail += "; " + wrong_index
    if tampered:
        detail += "; the registry does not check out: " + "; ".join(tampered[:5])
    else:
        detail += "; the certified snapshot, recorded events and audit chain check out"
    checks["registry_current"] = _check(
        not excluded_now and not tampered and not wrong_index, detail
    )
    expired = certificate.expired(as_of)
    checks["valid_until"] = _check(
        not expired,
        f"valid until {certificate.valid_until or 'no expiry'}; as of {as_of}",
    )

    skipped: list[str] = []
    if raw is None:
        skipped = list(DATA_CHECKS)
    else:
        say("lineage checks")
        checks.update(_rerun_lineage(certificate, raw, registry))
    return _verdict(ref, checks, skipped)


def _rerun_lineage(certificate: Certificate, raw: Tables, registry: Registry) -> dict:
    """The three training-side checks, from scratch, at the certified as-of date."""
    from ._retrain import _pipeline

    extra = dict(certificate.extra)
    snapshot_info = certificate.snapshot
    as_of = date.fromisoformat(snapshot_info["as_of"])
    policy = snapshot_info["policy"]
    snapshot = registry.snapshot(raw, as_of, policy)
    pipeline = _pipeline(
        extra.get("kind", "patternizr"),
        extra.get("crime_type"),
        int(extra.get("seed", 0)),
        dict(extra.get("overrides") or {}),
    )
    checks = run_checks(
        pipeline,
        raw,
        snapshot,
        lambda t: build_snapshot(t, as_of, policy, explain=False),
        seed=extra.get("seed", 0),
    )
    out = {name: _check(r.passed, r.detail) for name, r in checks.results.items()}
    rebuilt = fingerprint(checks.model)
    same = rebuilt == certificate.fingerprint
    invariance = out["invariance"]
    invariance["passed"] = invariance["passed"] and same
    invariance["detail"] += (
        "; retrained model reproduces the certified fingerprint"
        if same
        else f"; retrained fingerprint {rebuilt[:16]}… differs from the certified "
        f"{certificate.fingerprint[:16]}… (data or registry changed since certification)"
    )
    if snapshot.digest != snapshot_info["digest"]:
        invariance["detail"] += (
            f"; the registry snapshot at {as_of} is now {snapshot.digest[:16]}…, "
            f"certified {snapshot_info['digest'][:16]}…"
        )
    return out


def _verdict(ref: ModelVersionRef, checks: dict, skipped: list[str]) -> dict:
    return {
        "compliant": all(c["passed"] for c in checks.values()),
        "model_uri": ref.uri,
        "checks": checks,
        "skipped": skipped,
    }


def prove_absent(home: Home, uri: str, arrest_key: str) -> dict:
    """A proof that ``arrest_key`` was not among the arrests the model's data held.

    When it was, no such proof exists: the answer is ``absent: false`` with the proof of
    the opposite (the key's inclusion under the same committed root), which a reviewer
    checks the same way. Raises Refused when the stored key list does not hash to the
    root the certificate commits to.
    """
    store = ModelStore.for_home(home)
    ref = store.resolve(uri)
    certificate = load_certificate(store, ref)
    committed = certificate.commitments.get("arrests", {}).get("keys_root")
    text = store.read_artifact(ref.run_id, "lineage/keys/arrests.txt").decode("utf-8")
    tree = MerkleTree(k for k in text.split("\n") if k)
    if tree.root != committed:
        raise Refused(
            f"{ref.uri}: the stored arrest keys hash to {tree.root[:16]}…, not the "
            f"certified root {str(committed)[:16]}…; the lineage artifacts were altered"
        )
    used = arrest_key in tree
    answer = {
        "absent": not used,
        "format": PROOF_FORMAT,
        "model_uri": ref.uri,
        "table": "arrests",
        "key": arrest_key,
        "root": committed,
        "proof": tree.inclusion_proof(arrest_key) if used else tree.absence_proof(arrest_key),
    }
    if used:
        answer["reason"] = (
            f"{arrest_key} is among the arrests of the clean data {ref.uri} was trained on "
            "(the committed key set); no absence proof exists, the proof shows its inclusion"
        )
    return answer
