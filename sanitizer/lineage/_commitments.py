"""Data commitments: what a model was built from, in a form a reviewer can check without the data.

For every table a model used (the clean inputs and the derived tables) two values:

- ``sha256``: the content digest of CONTRACT.md's canonical form. Every row counts
  (MLflow's own dataset digest hashes only the first 10,000 rows and cannot serve).
- ``keys_root``: the RFC 6962 Merkle root over the sorted keys of every record used.
  With it, ``lineage prove-absent`` shows that one arrest key was *not* used: an absence
  proof that anyone checks against the root alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .._errors import Refused
from ..registry import MerkleTree, verify_absence, verify_inclusion
from ..tables import SCHEMA, Tables, content_digest

__all__ = [
    "TableCommitment",
    "DataCommitments",
    "commit_tables",
    "check_proof",
    "PROOF_FORMAT",
]

PROOF_FORMAT = "sanitizer.lineage.absence/1"


@dataclass(frozen=True)
class TableCommitment:
    """One table's commitments: content digest, key root, row count."""

    table: str
    sha256: str
    keys_root: str
    rows: int
    key_columns: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "keys_root": self.keys_root,
            "rows": self.rows,
            "key": list(self.key_columns),
        }


def _row_keys(frame: pd.DataFrame, key_columns: Iterable[str]) -> list[str]:
    columns = list(key_columns)
    if len(columns) == 1:
        return frame[columns[0]].astype("str").tolist()
    joined = frame[columns[0]].astype("str")
    for column in columns[1:]:
        joined = joined + "/" + frame[column].astype("str")
    return joined.tolist()


@dataclass(frozen=True)
class DataCommitments:
    """Commitments of every table a model used; read-only.

    ``trees`` keeps the Merkle tree per table so proofs are cheap; only the roots are
    published (tags, certificate, lineage report).
    """

    tables: Mapping[str, TableCommitment]
    trees: Mapping[str, MerkleTree] = field(repr=False, default_factory=dict)

    def to_dict(self) -> dict:
        return {name: c.to_dict() for name, c in sorted(self.tables.items())}

    def prove_absent(self, table: str, key: str) -> dict:
        """A proof that ``key`` is not among the keys of ``table`` that were used.

        Raises ``Refused`` when the key *was* used: there is no such proof.
        """
        tree = self.trees[table]
        if key in tree:
            raise Refused(f"{key!r} is among the {table} records this model used")
        return {
            "format": PROOF_FORMAT,
            "table": table,
            "key": key,
            "root": self.tables[table].keys_root,
            "proof": tree.absence_proof(key),
        }


def commit_tables(
    tables: Tables | Mapping[str, pd.DataFrame],
    derived: Mapping[str, tuple[pd.DataFrame, tuple[str, ...]]] | None = None,
) -> DataCommitments:
    r"""Commit to every contract table in ``tables`` and to each derived table.

    ``derived`` maps a name to ``(frame, key_columns)``; derived frames are hashed in the
    same canonical way (sorted by key, ``\\x1f``-joined text), column order as given.
    """
    commitments, trees = {}, {}
    for name in SCHEMA:
        if name not in tables:
            continue
        frame = tables[name]
        key = SCHEMA[name].key
        tree = MerkleTree(_row_keys(frame, key))
        commitments[name] = TableCommitment(
            name, content_digest(frame, name), tree.root, int(len(frame)), key
        )
        trees[name] = tree
    for name, (frame, key) in (derived or {}).items():
        tree = MerkleTree(_row_keys(frame, key))
        commitments[name] = TableCommitment(
            name, _frame_digest(frame, key), tree.root, int(len(frame)), tuple(key)
        )
        trees[name] = tree
    return DataCommitments(commitments, trees)


def _frame_digest(frame: pd.DataFrame, key: tuple[str, ...]) -> str:
    """Canonical digest of a derived (non-contract) frame: same rules as input tables."""
    import hashlib

    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    table = table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in key]))
    text = [
        pc.fill_null(c if pa.types.is_string(c.type) else pc.cast(c, pa.string()), "")
        for c in table.columns
    ]
    lines = pc.binary_join_element_wise(*text, "\x1f") if text else pa.array([], pa.string())
    return hashlib.sha256("\n".join(lines.to_pylist()).encode("utf-8")).hexdigest()


def check_proof(document: Mapping) -> bool:
    """Check a ``prove-absent`` proof with nothing but the proof itself.

    An absence proof, or, for a document with ``absent: false`` (the arrest was used),
    the inclusion proof ``prove-absent`` gives instead.

    The document names the root it claims to be checked against; the caller compares
    that root with the one published for the model (certificate, MLflow tags, lineage
    report). Malformed documents are simply invalid.
    """
    if not isinstance(document, Mapping) or document.get("format") != PROOF_FORMAT:
        return False
    proof, root = document.get("proof"), document.get("root")
    if not isinstance(proof, Mapping) or not isinstance(root, str):
        return False
    if document.get("key") is not None and proof.get("key") != document.get("key"):
        return False
    if document.get("absent") is False:  # the key was used: the proof shows it included
        return bool(verify_inclusion(proof, root))
    return bool(verify_absence(proof, root))
