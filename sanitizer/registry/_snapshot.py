"""Registry snapshots: every arrest's status as of a date under a policy, with commitments.

A snapshot is what every later artifact names. Its ``digest`` binds the as-of date, the
policy, the rules version and every arrest's status; its ``excluded_root`` commits to the
set of excluded keys so that a reviewer holding only the root can check that a record was
(or was not) excluded, without being handed the data (CONTRACT.md, "Canonical forms").

Canonical forms (version 1)::

    status_root   = MerkleRoot({ARREST_KEY ‖ 0x1f ‖ status : every arrest})
    digest        = SHA-256(as_of ‖ 0x1f ‖ policy ‖ 0x1f ‖ rules_version ‖ 0x1f ‖ status_root)
    excluded_root = MerkleRoot({ARREST_KEY : excluded under the policy})

with ``as_of`` as ``YYYY-MM-DD``, roots and versions as lowercase hex, all UTF-8.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .._errors import BadInput
from ._merkle import MerkleTree, merkle_root
from ._policy import STATUSES

__all__ = ["Snapshot", "snapshot_digest", "SNAPSHOT_COLUMNS", "STATUS_ORDER"]

#: The statuses of SEALING_RULES.md ("Statuses"), in precedence order.
STATUS_ORDER = STATUSES

#: Per-arrest columns of a snapshot, as ``registry explain`` and ``export`` print them.
SNAPSHOT_COLUMNS = (
    "arrest_key",
    "status",
    "statute",
    "since",
    "access_regime",
    "excluded",
    "seals_on",
    "excluded_from",
)


def snapshot_digest(as_of: str, policy: str, rules_version: str, status_root: str) -> str:
    """The snapshot ``digest`` of CONTRACT.md, from its four parts."""
    text = "\x1f".join((as_of, policy, rules_version, status_root))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """The registry as of one date under one policy; read-only once built.

    Attributes
    ----------
    records : DataFrame
        One row per arrest: ``arrest_key``, ``person_id``, ``status``, ``statute``,
        ``since``, ``access_regime``, ``excluded``, ``seals_on``, ``excluded_from``,
        ``destroy_class``, ``reason``; sorted by ``arrest_key``.
    excluded_dockets : DataFrame
        ``arrest_key``, ``docket_id`` of excluded dockets inside arrests that are not
        excluded as a whole (PARTIALLY_SEALED): their events leave one by one.
    """

    as_of: date
    policy: str
    policy_version: str
    rules_version: str
    records: pd.DataFrame = field(repr=False)
    excluded_dockets: pd.DataFrame = field(repr=False)
    inputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        records = self.records.sort_values("arrest_key", kind="stable").reset_index(drop=True)
        object.__setattr__(self, "records", records)
        keys = records["arrest_key"].to_numpy(dtype=object)
        excluded = keys[records["excluded"].to_numpy(dtype=bool)]
        object.__setattr__(self, "_status_root", None)
        object.__setattr__(self, "_excluded_keys", excluded)
        object.__setattr__(self, "_excluded_tree", None)

    # --- commitments -------------------------------------------------------------------
    @property
    def status_root(self) -> str:
        """The Merkle root over ``arrest_key`` and ``status``, computed on first use.

        Lazily: the invariance check builds three snapshots of perturbed raw data only to
        compare their statuses, and the root of 5 million records took 11 s each at nyc.
        """
        if self._status_root is None:
            records = self.records
            leaves = (records["arrest_key"] + "\x1f" + records["status"]).to_numpy(dtype=object)
            object.__setattr__(self, "_status_root", merkle_root(leaves.tolist()))
        return self._status_root

    @property
    def excluded_tree(self) -> MerkleTree:
        """The Merkle tree over excluded keys, built on first use (proofs need it)."""
        if self._excluded_tree is None:
            object.__setattr__(self, "_excluded_tree", MerkleTree(self._excluded_keys.tolist()))
        return self._excluded_tree

    @property
    def excluded_root(self) -> str:
        return self.excluded_tree.root

    @property
    def digest(self) -> str:
        return snapshot_digest(
            self.as_of.isoformat(), self.policy, self.rules_version, self.status_root
        )

    @property
    def snapshot_id(self) -> str:
        """Stable id: the same inputs, rules, policy and date give the same snapshot."""
        return f"snap-{self.digest[:20]}"

    # --- contents ----------------------------------------------------------------------
    @property
    def counts(self) -> dict[str, int]:
        counts = self.records["status"].value_counts()
        return {s: int(counts[s]) for s in STATUS_ORDER if s in counts.index}

    @property
    def excluded_keys(self) -> np.ndarray:
        return self._excluded_keys

    def is_excluded(self, arrest_key: str) -> bool:
        position = np.searchsorted(self._excluded_keys, arrest_key)
        return bool(
            position < len(self._excluded_keys) and self._excluded_keys[position] == arrest_key
        )

    def explain(self, arrest_key: str) -> dict:
        """One arrest's status, as ``registry explain`` prints it."""
        keys = self.records["arrest_key"].to_numpy(dtype=object)
        position = np.searchsorted(keys, arrest_key)
        if position >= len(keys) or keys[position] != arrest_key:
            raise BadInput(f"arrest {arrest_key!r} is not in arrests (snapshot {self.snapshot_id})")
        row = self.records.iloc[int(position)]
        return record_to_dict(row)

    def to_dict(self) -> dict:
        """The JSON of ``registry build``."""
        return {
            "snapshot_id": self.snapshot_id,
            "digest": self.digest,
            "excluded_root": self.excluded_root,
            "status_root": self.status_root,
            "as_of": self.as_of.isoformat(),
            "policy": self.policy,
            "policy_version": self.policy_version,
            "rules_version": self.rules_version,
            "counts": self.counts,
            "arrests": int(len(self.records)),
            "excluded": int(len(self._excluded_keys)),
            "inputs": dict(self.inputs),
        }


def _date_text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def record_to_dict(row: pd.Series) -> dict:
    """One snapshot row as the JSON of ``registry explain`` (plus reason and person)."""
    out = {
        "arrest_key": row["arrest_key"],
        "status": row["status"],
        "statute": None if pd.isna(row["statute"]) else row["statute"],
        "since": _date_text(row["since"]),
        "access_regime": row["access_regime"],
        "excluded": bool(row["excluded"]),
        "seals_on": _date_text(row["seals_on"]),
        "excluded_from": _date_text(row["excluded_from"]),
    }
    for extra in ("person_id", "reason", "destroy_class"):
        if extra in row.index:
            value = row[extra]
            out[extra] = None if (not isinstance(value, str) and pd.isna(value)) else value
    if "destroy_class" in out and out["destroy_class"] is not None:
        out["destroy_class"] = bool(out["destroy_class"])
    return out
