"""Vectorised helpers shared by the generator stages.

Text is assembled with Arrow compute (``take`` from a vocabulary, element-wise joins), not
with per-row Python, so the ``nyc`` scale (millions of rows) stays within its time budget.
Everything here is deterministic: no hashing, no set order, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "STR",
    "child_rngs",
    "take",
    "take_arrow",
    "join",
    "numbered",
    "to_str",
    "days_to_dates",
    "choice",
    "pick_by_group",
]

#: pandas' default string dtype, Arrow-backed: the contract's in-memory ``str`` type.
STR = pd.StringDtype("pyarrow", na_value=np.nan)


def child_rngs(seed_seq: np.random.SeedSequence, n: int) -> list[np.random.Generator]:
    """Independent generators, so that a change in one stage never shifts another's draws."""
    return [np.random.default_rng(s) for s in seed_seq.spawn(n)]


def take_arrow(vocab: Sequence[str], idx: np.ndarray) -> pa.Array:
    """``vocab[idx]`` as an Arrow string array; a negative index is null."""
    idx = np.asarray(idx)
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx).astype(np.int64), mask=mask if mask.any() else None)
    return pa.array(list(vocab), type=pa.string()).take(indices)


def to_str(array: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow string array as a pandas ``str`` series (no per-row conversion)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pd.Series(pd.array(array, dtype=STR))


def take(vocab: Sequence[str], idx: np.ndarray) -> pd.Series:
    """``vocab[idx]`` as a pandas ``str`` series; a negative index is null."""
    return to_str(take_arrow(vocab, idx))


def join(parts: Sequence[pa.Array | str], sep: str = " ") -> pa.Array:
    """Element-wise join of string arrays (scalars broadcast); a null part is skipped."""
    arrays = [p if isinstance(p, pa.Array | pa.ChunkedArray) else pa.scalar(p) for p in parts]
    return pc.binary_join_element_wise(*arrays, sep, null_handling="skip")


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded decimal numbers, e.g. ``P00000042``."""
    text = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0"
    )
    if not prefix:
        return text
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def days_to_dates(days: np.ndarray) -> pd.Series:
    """Day numbers (days since 1970-01-01; negative allowed) as ``datetime64[s]``."""
    return pd.Series(
        np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[s]")
    )


def choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """``n`` indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def pick_by_group(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each row, an index drawn from the weight row ``table[group]`` (vectorised)."""
    cum = np.cumsum(table, axis=1)
    total = cum[:, -1:]
    cum = np.divide(cum, total, out=np.ones_like(cum), where=total > 0)
    u = rng.random(len(group))
    out = (u[:, None] > cum[group]).sum(axis=1)
    return np.minimum(out, table.shape[1] - 1)
