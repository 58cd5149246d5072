"""The sealing registry: rules engine, store, snapshots, access gate and audit log.

Everything a later stage needs to know about which records are excluded, and the
machinery that makes the registry's answers checkable by a third party: Merkle roots and
proofs over key sets (``_merkle``), the signing key pair (``_keys``) and the hash-chained,
checkpointed audit log (``_audit``).

The rules engine (SEALING_RULES.md, "Engineering specification") comes twice: a readable
reference engine evaluated person by person (``evaluate_reference``) and the vectorised
engine the registry is built with (``evaluate``); they are property-tested to agree. Both
return a read-only ``RegistryResult``. Policy profiles (``strict``, ``statutory``) and the
configurable rules (``RulesConfig``) live in ``_policy``.
"""

from ._access import AccessDecision, AccessRequest, decide_access
from ._audit import (
    AUDIT_METADATA,
    AuditEntry,
    AuditLog,
    AuditVerification,
    Checkpoint,
)
from ._audit import (
    create_schema as create_audit_schema,
)
from ._engine import evaluate
from ._keys import (
    SigningKey,
    canonical_json,
    export_public_key,
    home_key,
    key_id,
    load_signing_key,
)
from ._keys import verify as verify_signature
from ._merkle import (
    ABSENCE_FORMAT,
    EMPTY_ROOT,
    INCLUSION_FORMAT,
    MerkleTree,
    merkle_root,
    verify_absence,
    verify_inclusion,
)
from ._policy import (
    DEFAULT,
    ENGINE_VERSION,
    POLICIES,
    RULES_VERSION,
    STATUSES,
    STATUTORY,
    STRICT,
    PolicyProfile,
    RulesConfig,
    get_policy,
    rules_version,
)
from ._registry import AccessOutcome, Registry, build_snapshot, snapshot_from_result
from ._result import ARREST_COLUMNS, DOCKET_COLUMNS, RegistryResult
from ._rules import evaluate_reference
from ._snapshot import STATUS_ORDER, Snapshot, snapshot_digest
from ._store import RegistryStore, open_engine

__all__ = [
    "AccessOutcome",
    "Registry",
    "build_snapshot",
    "snapshot_from_result",
    "ARREST_COLUMNS",
    "DEFAULT",
    "DOCKET_COLUMNS",
    "ENGINE_VERSION",
    "POLICIES",
    "PolicyProfile",
    "RULES_VERSION",
    "RegistryResult",
    "RulesConfig",
    "STATUSES",
    "STATUTORY",
    "STRICT",
    "evaluate",
    "evaluate_reference",
    "get_policy",
    "rules_version",
    "AccessDecision",
    "AccessRequest",
    "RegistryStore",
    "STATUS_ORDER",
    "Snapshot",
    "decide_access",
    "open_engine",
    "snapshot_digest",
    "ABSENCE_FORMAT",
    "EMPTY_ROOT",
    "INCLUSION_FORMAT",
    "MerkleTree",
    "merkle_root",
    "verify_absence",
    "verify_inclusion",
    "AUDIT_METADATA",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "Checkpoint",
    "create_audit_schema",
    "SigningKey",
    "canonical_json",
    "export_public_key",
    "key_id",
    "home_key",
    "load_signing_key",
    "verify_signature",
]
