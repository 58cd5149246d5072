"""Canonical fingerprints of fitted state and of training matrices.

A saved model file is no fingerprint: a scikit-learn forest with a fixed ``random_state``
is identical across runs and ``n_jobs`` settings, while its skops or pickle bytes differ
from run to run (archive timestamps, the stored ``n_jobs``). So the fingerprint hashes
what was *fitted*: every attribute of the instance (sklearn's fitted ``*_`` ones and the
private ones some estimators keep their state in), every tree's node arrays, recursively,
and the hyper-parameters that change what is computed. Parameters that only say how to
compute (``n_jobs``, ``verbose``) are left out.

The encoding is a tagged byte stream fed to SHA-256: floats by their IEEE bits, arrays by
dtype, shape and bytes, mappings in sorted key order. Two fitted objects get the same
fingerprint exactly when a reviewer would call them the same model.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["fingerprint", "component_fingerprints", "IGNORED_PARAMS"]

#: Hyper-parameters that do not change the fitted result.
IGNORED_PARAMS = frozenset({"n_jobs", "verbose", "copy", "memory", "pre_dispatch"})


def fingerprint(obj) -> str:
    """SHA-256 (hex) of an object's canonical encoding (see module docstring)."""
    digest = hashlib.sha256()
    _feed(digest, obj, depth=0)
    return digest.hexdigest()


def component_fingerprints(components: Mapping[str, object]) -> dict[str, str]:
    """Fingerprint each named fitted component (vocabulary, scaler, sampler, model)."""
    return {name: fingerprint(component) for name, component in sorted(components.items())}


def _tag(digest, tag: bytes, payload: bytes = b"") -> None:
    digest.update(tag)
    digest.update(struct.pack("<Q", len(payload)))
    digest.update(payload)


def _fitted_state(estimator) -> dict:
    """Hyper-parameters and every attribute set on the instance, private ones included.

    Private attributes matter: ``TfidfVectorizer`` keeps its IDF weights in ``_tfidf``,
    and a vocabulary fitted on sealed text can leave the vocabulary unchanged while
    shifting the weights. Only parameters that say how to compute are left out.
    """
    state = {
        k: v
        for k, v in vars(estimator).items()
        if k not in IGNORED_PARAMS and k != "_sklearn_version"
    }
    return {"class": f"{type(estimator).__module__}.{type(estimator).__qualname__}", **state}


def _feed(digest, obj, depth: int) -> None:
    if depth > 64:
        raise ValueError("object nests too deeply to fingerprint")
    if obj is None:
        _tag(digest, b"N")
    elif isinstance(obj, bool | np.bool_):
        _tag(digest, b"B", b"\x01" if obj else b"\x00")
    elif isinstance(obj, int | np.integer):
        _tag(digest, b"I", str(int(obj)).encode())
    elif isinstance(obj, float | np.floating):
        _tag(digest, b"F", struct.pack("<d", float(obj)))
    elif isinstance(obj, str):
        _tag(digest, b"S", obj.encode("utf-8"))
    elif isinstance(obj, bytes):
        _tag(digest, b"Y", obj)
    elif isinstance(obj, np.ndarray):
        _feed_array(digest, obj, depth)
    elif isinstance(obj, pd.DataFrame):
        _tag(digest, b"D", str(obj.shape).encode())
        for name in obj.columns:
            _feed(digest, str(name), depth + 1)
            _feed(digest, obj[name].to_numpy(), depth + 1)
    elif isinstance(obj, pd.Series):
        _feed(digest, obj.to_numpy(), depth + 1)
    elif isinstance(obj, Mapping):
        _tag(digest, b"M", str(len(obj)).encode())
        for key in sorted(obj, key=repr):
            _feed(digest, key, depth + 1)
            _feed(digest, obj[key], depth + 1)
    elif isinstance(obj, list | tuple):
        _tag(digest, b"L", str(len(obj)).encode())
        for item in obj:
            _feed(digest, item, depth + 1)
    elif isinstance(obj, set | frozenset):
        _feed(digest, sorted(obj, key=repr), depth + 1)
    elif type(obj).__name__ == "Tree" and hasattr(obj, "__getstate__"):
        _tag(digest, b"T")
        _feed(digest, obj.__getstate__(), depth + 1)
    elif hasattr(obj, "get_params"):
        _tag(digest, b"E", f"{type(obj).__module__}.{type(obj).__qualname__}".encode())
        _feed(digest, _fitted_state(obj), depth + 1)
    elif hasattr(obj, "tocsr") and hasattr(obj, "shape"):
        csr = obj.tocsr()
        csr.sort_indices()
        _tag(digest, b"X", str(csr.shape).encode())
        for part in (csr.data, csr.indices, csr.indptr):
            _feed(digest, part, depth + 1)
    elif isinstance(obj, np.random.RandomState | np.random.Generator):
        _tag(digest, b"R")  # a generator's state says nothing about the fitted result
    elif callable(obj):
        _tag(digest, b"C", getattr(obj, "__qualname__", type(obj).__name__).encode())
    else:
        raise TypeError(
            f"cannot fingerprint {type(obj).__module__}.{type(obj).__qualname__}; "
            "give it get_params() and fitted attributes ending in '_', or convert it"
        )


_LENGTH = struct.Struct("<Q")


def _string_records(array: pa.Array) -> bytes:
    """What ``_feed`` writes for each string of an Arrow string array, joined, by numpy.

    Each string is ``_tag(digest, b"S", text)``: ``S``, its UTF-8 length as 8 bytes
    little-endian, its UTF-8 bytes. Key columns hold millions of strings; a Python loop
    over them cost more than the rest of a training set's fingerprint. The bytes are the
    same as item by item (tested against ``_feed``).
    """
    n = len(array)
    _, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + n + 1]
    lengths = np.diff(bounds)
    header = _LENGTH.size + 1
    heads = np.empty((n, header), dtype=np.uint8)
    heads[:, 0] = ord("S")
    heads[:, 1:] = lengths.astype("<u8").view(np.uint8).reshape(n, _LENGTH.size)
    if n and (lengths == lengths[0]).all():  # fixed-width keys: one reshape
        body = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]] if data else None
        body = np.empty((n, 0), np.uint8) if body is None else body.reshape(n, int(lengths[0]))
        return np.concatenate([heads, body], axis=1).tobytes()
    out = np.empty(int(lengths.sum()) + header * n, dtype=np.uint8)
    at = (bounds[:-1] - bounds[0] + header * np.arange(n, dtype=np.int64))[:, None]
    at = at + np.arange(header)
    payload = np.ones(len(out), dtype=bool)
    payload[at] = False
    out[at] = heads
    if data is not None:
        out[payload] = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]]
    return out.tobytes()


def _as_strings(array: np.ndarray) -> pa.Array | None:
    """``array`` as an Arrow large-string array if every item is a ``str``, else None."""
    try:
        converted = pa.array(array.ravel(order="C"), from_pandas=False)
    except (ValueError, TypeError, OverflowError):  # Arrow's errors derive from the first two
        return None
    if converted.null_count or not pa.types.is_string(converted.type):
        return None
    return converted.cast(pa.large_string())


def _feed_array(digest, array: np.ndarray, depth: int) -> None:
    if array.dtype.hasobject:
        _tag(digest, b"O", str(array.shape).encode())
        strings = _as_strings(array)
        if strings is not None:
            digest.update(_string_records(strings))
            return
        for item in array.ravel(order="C").tolist():
            _feed(digest, item, depth + 1)
        return
    if array.dtype.names:  # structured (tree nodes): field by field
        _tag(digest, b"A", f"{array.dtype.descr}{array.shape}".encode())
        for name in array.dtype.names:
            _feed_array(digest, np.ascontiguousarray(array[name]), depth + 1)
        return
    canonical = np.ascontiguousarray(array)
    if canonical.dtype.byteorder == ">":
        canonical = canonical.byteswap().view(canonical.dtype.newbyteorder("<"))
    _tag(digest, b"A", f"{canonical.dtype.str}{canonical.shape}".encode())
    digest.update(canonical.tobytes())
