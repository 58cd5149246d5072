"""Lineage: commitments, the three training-side checks, and the lineage report.

Nothing here trusts the sanitizer's own word: each check recomputes what it needs from
the raw tables and the registry snapshot.
"""

from ._checks import (
    CHECK_STEPS,
    PERTURBATIONS,
    CheckResult,
    LineageChecks,
    LineagePipeline,
    check_fitted_state,
    check_invariance,
    check_provenance,
    excluded_sources,
    run_checks,
)
from ._commitments import (
    PROOF_FORMAT,
    DataCommitments,
    TableCommitment,
    check_proof,
    commit_tables,
)
from ._fingerprint import IGNORED_PARAMS, component_fingerprints, fingerprint
from ._report import RERUN, SCHEMA_VERSION, LineageReport, code_version

__all__ = [
    "RERUN",
    "SCHEMA_VERSION",
    "LineageReport",
    "code_version",
    "CHECK_STEPS",
    "PERTURBATIONS",
    "CheckResult",
    "LineageChecks",
    "LineagePipeline",
    "check_fitted_state",
    "check_proof",
    "check_invariance",
    "check_provenance",
    "excluded_sources",
    "run_checks",
    "IGNORED_PARAMS",
    "component_fingerprints",
    "fingerprint",
    "PROOF_FORMAT",
    "DataCommitments",
    "TableCommitment",
    "commit_tables",
]
