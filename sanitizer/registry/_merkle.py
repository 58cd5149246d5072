"""RFC 6962 Merkle trees over sets of string keys, with inclusion and absence proofs.

Why this exists: a certificate or lineage report publishes one 32-byte root (for example
the ``excluded_root`` of a registry snapshot, CONTRACT.md "Canonical forms"). A reviewer
who holds only that root can then be handed a proof that a record key *is* in the set
(inclusion) or *is not* (absence), and check it with :func:`verify_inclusion` or
:func:`verify_absence`, which need nothing but the proof's JSON and the root: no data,
no database, no third-party package.

Canonical form
--------------
The keys are de-duplicated and sorted by their UTF-8 bytes (which is the same order as
Python's code-point order on ``str``). With ``D = [k_0, ..., k_{n-1}]``::

    MTH({})    = SHA-256()                                   (the empty string)
    MTH({k})   = SHA-256(0x00 || utf8(k))                    (leaf hash)
    MTH(D[n])  = SHA-256(0x01 || MTH(D[0:m]) || MTH(D[m:n]))  m = largest power of 2 < n

exactly as RFC 6962 §2.1 (and RFC 9162 §2.1.1). The tree is built bottom-up, level by
level, pairing nodes from the left and promoting an unpaired last node unchanged; that
construction gives the same root and the same audit paths as the recursive definition
(the tests check this against a naive implementation of the RFC text).

Proof formats (version 1)
-------------------------
All hashes are lowercase hex strings; proofs are plain JSON-serialisable dicts.

Inclusion proof (RFC 6962 §2.1.1 audit path, leaf to root)::

    {"format": "sanitizer.merkle.inclusion/1", "hash": "sha256",
     "tree_size": n, "key": "K", "index": i, "path": ["<hex>", ...]}

Absence proof: the inclusion proofs of the two keys adjacent to ``key`` in sorted order
(``left`` is the largest key smaller than ``key``, ``right`` the smallest larger one);
``left`` is ``null`` when ``key`` sorts before every key, ``right`` is ``null`` when it
sorts after every key, and both are ``null`` for the empty tree::

    {"format": "sanitizer.merkle.absence/1", "hash": "sha256", "tree_size": n,
     "key": "K",
     "left":  {"key": "A", "index": i,     "path": ["<hex>", ...]} | null,
     "right": {"key": "C", "index": i + 1, "path": ["<hex>", ...]} | null}

A verifier checks each neighbour's audit path against the root (which binds its index
and the tree size), that ``left < key < right`` by UTF-8 bytes, and that the neighbours
are adjacent (``right.index == left.index + 1``), or that the single neighbour is the
first (index 0) or last (index ``n - 1``) leaf. Because the tree is over sorted keys, no
leaf can sit between two adjacent leaves, so ``key`` is absent.

An RFC 6962 audit path binds the leaf's index for a given tree size, but the root does not
commit to the size: the path of a leaf that is rightmost at some level also fits certain
larger trees. Changing ``tree_size`` can therefore leave a proof verifying, but never moves
a leaf, makes a non-last leaf last, a non-first leaf first, or two non-adjacent leaves
adjacent (the tests check this exhaustively on small trees), so no false absence follows.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from .._errors import BadInput, Refused

__all__ = [
    "ABSENCE_FORMAT",
    "EMPTY_ROOT",
    "HASH_NAME",
    "INCLUSION_FORMAT",
    "MerkleTree",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "verify_absence",
    "verify_inclusion",
]

INCLUSION_FORMAT = "sanitizer.merkle.inclusion/1"
ABSENCE_FORMAT = "sanitizer.merkle.absence/1"
HASH_NAME = "sha256"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()

MSG_NOT_STR = (
    "Merkle keys must be str, got {kind}; convert record keys to text before building the tree"
)
MSG_NOT_UTF8 = "Merkle key {key!r} cannot be encoded as UTF-8 (lone surrogate); fix the key"
MSG_NOT_MEMBER = "key {key!r} is not in the set of {size} keys; no inclusion proof exists"
MSG_IS_MEMBER = "key {key!r} is in the set of {size} keys; its absence cannot be proved"
MSG_BAD_INDEX = "leaf index {index} is out of range for a tree of {size} keys"

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_DIGEST = 32
# An audit path is at most ceil(log2(n)) long; 64 covers any tree that fits in memory and
# stops a hostile proof from making the verifier loop for long.
_MAX_PATH = 64


def leaf_hash(key: str) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || utf8(key))``.

    Parameters
    ----------
    key : str
        The record key, hashed as its UTF-8 bytes.

    Returns
    -------
    bytes
        The 32-byte digest.
    """
    return hashlib.sha256(_LEAF_PREFIX + key.encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``.

    Parameters
    ----------
    left, right : bytes
        The 32-byte digests of the two children.

    Returns
    -------
    bytes
        The 32-byte digest.
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _sorted_unique(keys: Iterable[str]) -> list[str]:
    """Sort and de-duplicate ``keys`` by UTF-8 byte order.

    Python orders ``str`` by code point, which is the UTF-8 byte order for every string
    that can be encoded (UTF-8 preserves code-point order), so no encoding is needed to
    sort. Input that is already strictly increasing (keys read from an ordered query) is
    detected in one linear pass and not re-sorted. Sorting the list and dropping adjacent
    duplicates is about twice as fast as sorting a ``set`` (whose iteration order scatters
    the strings in memory).
    """
    items = keys if isinstance(keys, list) else list(keys)
    try:
        if all(a < b for a, b in zip(items, islice(items, 1, None), strict=False)):
            if items and not isinstance(items[0], str):
                raise BadInput(MSG_NOT_STR.format(kind=type(items[0]).__name__))
            return items
        items = sorted(items)
    except TypeError as exc:
        kinds = sorted({type(k).__name__ for k in items if not isinstance(k, str)})
        raise BadInput(MSG_NOT_STR.format(kind=", ".join(kinds[:5]) or "mixed types")) from exc
    pairs = zip(items, islice(items, 1, None), strict=False)
    if any(a == b for a, b in pairs):
        unique = [a for a, b in zip(items, islice(items, 1, None), strict=False) if a != b]
        items = unique + items[-1:]
    return items


def _hash_leaves(keys: list[str]) -> bytes:
    """Return the concatenated leaf hashes of ``keys`` (``32 * len(keys)`` bytes).

    The keys are encoded in one go (joined, encoded, split), which lays their bytes out
    contiguously in sort order and saves a method call a key; a key containing the
    separator makes the split come out with the wrong count, and the slower per-key
    encoding is used instead. Each leaf hash starts from a copy of a SHA-256 state that
    has already absorbed the 0x00 prefix.
    """
    encoded: list[bytes] | None = None
    try:
        encoded = "\n".join(keys).encode("utf-8").split(b"\n")
    except TypeError as exc:
        bad = next(k for k in keys if not isinstance(k, str))
        raise BadInput(MSG_NOT_STR.format(kind=type(bad).__name__)) from exc
    except UnicodeEncodeError as exc:
        bad = next(k for k in keys if not _encodable(k))
        raise BadInput(MSG_NOT_UTF8.format(key=bad)) from exc
    if len(encoded) != len(keys):
        encoded = [k.encode("utf-8") for k in keys]
    fresh = hashlib.sha256(_LEAF_PREFIX).copy
    out = []
    append = out.append
    for k in encoded:
        h = fresh()
        h.update(k)
        append(h.digest())
    return b"".join(out)


def _encodable(key: str) -> bool:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hash_level(level: bytes, count: int) -> bytes:
    """Hash one level of ``count`` digests into the next level up.

    Nodes are paired from the left; an unpaired last node is promoted unchanged, which
    reproduces RFC 6962's split at the largest power of two below ``n``. This loop is the
    hot path of a build (about 1 µs a node): one bytes slice and one ``hashlib`` call per
    pair, results joined once.
    """
    sha = hashlib.sha256
    end = (count // 2) * 64
    out = [sha(b"\x01" + level[i : i + 64]).digest() for i in range(0, end, 64)]
    if count & 1:
        out.append(level[end:])
    return b"".join(out)


class MerkleTree:
    """An RFC 6962 Merkle tree over a set of string keys, kept whole for cheap proofs.

    The constructor sorts, de-duplicates and hashes the keys once and keeps every level
    (about 64 bytes a key), so each later proof costs ``O(log n)``. Build one per
    snapshot and ask it for as many proofs as needed.

    Parameters
    ----------
    keys : iterable of str
        The set's members. Duplicates are ignored; order does not matter.

    Attributes
    ----------
    size : int
        The number of distinct keys (the RFC's tree size).
    root : str
        The root hash as lowercase hex (:data:`EMPTY_ROOT` for no keys).

    Raises
    ------
    BadInput
        A key is not a ``str`` or cannot be encoded as UTF-8.

    Examples
    --------
    >>> tree = MerkleTree(["b", "a", "d"])
    >>> verify_inclusion(tree.inclusion_proof("a"), tree.root)
    True
    >>> verify_absence(tree.absence_proof("c"), tree.root)
    True
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = _sorted_unique(keys)
        n = len(self._keys)
        levels: list[bytes] = []
        if n:
            level = _hash_leaves(self._keys)
            levels.append(level)
            count = n
            while count > 1:
                level = _hash_level(level, count)
                count = (count + 1) // 2
                levels.append(level)
        self._levels = levels
        self._root = levels[-1] if levels else hashlib.sha256(b"").digest()

    @property
    def size(self) -> int:
        """The number of distinct keys in the tree."""
        return len(self._keys)

    @property
    def root(self) -> str:
        """The root hash as lowercase hex."""
        return self._root.hex()

    @property
    def root_bytes(self) -> bytes:
        """The root hash as 32 raw bytes."""
        return self._root

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __repr__(self) -> str:
        return f"MerkleTree(size={self.size}, root={self.root[:16]}...)"

    def key(self, index: int) -> str:
        """Return the key at leaf ``index`` (keys are in sorted order).

        Parameters
        ----------
        index : int
            A leaf index in ``[0, size)``.

        Returns
        -------
        str
            The key.
        """
        if not 0 <= index < len(self._keys):
            raise BadInput(MSG_BAD_INDEX.format(index=index, size=len(self._keys)))
        return self._keys[index]

    def index(self, key: str) -> int:
        """Return the leaf index of ``key``.

        Raises
        ------
        Refused
            ``key`` is not in the set.
        """
        found = self._find(key)
        if found is None:
            raise Refused(MSG_NOT_MEMBER.format(key=key, size=self.size))
        return found

    def _find(self, key: str) -> int | None:
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return i
        return None

    def _path(self, index: int) -> list[str]:
        """Return the audit path of leaf ``index``, leaf level first, as hex strings.

        At each level the sibling of node ``m`` is ``m ^ 1``; when it does not exist the
        node was promoted and contributes nothing to the path (RFC 6962 §2.1.1).
        """
        path = []
        m = index
        for level in self._levels[:-1]:
            sibling = m ^ 1
            if sibling * _DIGEST < len(level):
                path.append(level[sibling * _DIGEST : (sibling + 1) * _DIGEST].hex())
            m >>= 1
        return path

    def _neighbour(self, index: int) -> dict[str, Any]:
        return {"key": self._keys[index], "index": index, "path": self._path(index)}

    def inclusion_proof(self, key: str) -> dict[str, Any]:
        """Return the inclusion proof (audit path) of a member key.

        Parameters
        ----------
        key : str
            A key in the set.

        Returns
        -------
        dict
            A JSON-serialisable proof in the ``sanitizer.merkle.inclusion/1`` format (see
            the module docstring); check it with :func:`verify_inclusion`.

        Raises
        ------
        Refused
            ``key`` is not in the set, so it has no inclusion proof.
        """
        index = self.index(key)
        return {
            "format": INCLUSION_FORMAT,
            "hash": HASH_NAME,
            "tree_size": self.size,
            "key": key,
            "index": index,
            "path": self._path(index),
        }

    def absence_proof(self, key: str) -> dict[str, Any]:
        """Return the proof that ``key`` is not in the set.

        Parameters
        ----------
        key : str
            A key that is not in the set.

        Returns
        -------
        dict
            A JSON-serialisable proof in the ``sanitizer.merkle.absence/1`` format: the
            inclusion proofs of the neighbouring keys (see the module docstring); check it
            with :func:`verify_absence`.

        Raises
        ------
        Refused
            ``key`` is in the set, so its absence cannot be proved.
        BadInput
            ``key`` is not a UTF-8 encodable ``str``.
        """
        if not isinstance(key, str):
            raise BadInput(MSG_NOT_STR.format(kind=type(key).__name__))
        if not _encodable(key):
            raise BadInput(MSG_NOT_UTF8.format(key=key))
        n = self.size
        i = bisect_left(self._keys, key)
        if i < n and self._keys[i] == key:
            raise Refused(MSG_IS_MEMBER.format(key=key, size=n))
        return {
            "format": ABSENCE_FORMAT,
            "hash": HASH_NAME,
            "tree_size": n,
            "key": key,
            "left": self._neighbour(i - 1) if i > 0 else None,
            "right": self._neighbour(i) if i < n else None,
        }


def merkle_root(keys: Iterable[str]) -> str:
    """Return the RFC 6962 root (hex) over a set of string keys.

    The canonical form of CONTRACT.md: keys de-duplicated and sorted by UTF-8 bytes;
    the empty set's root is SHA-256 of nothing (:data:`EMPTY_ROOT`).

    Parameters
    ----------
    keys : iterable of str
        The set's members, in any order.

    Returns
    -------
    str
        The root as 64 lowercase hex characters.
    """
    items = _sorted_unique(keys)
    if not items:
        return EMPTY_ROOT
    level = _hash_leaves(items)
    count = len(items)
    while count > 1:
        # Only the current level is kept, so a root costs half the memory of a tree.
        level = _hash_level(level, count)
        count = (count + 1) // 2
    return level.hex()


# --------------------------------------------------------------------------- verification
# Everything below uses only hashlib and the proof's JSON, so a reviewer can copy it.


def _parse_digest(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) != 2 * _DIGEST:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """Recompute the root from an audit path (RFC 9162 §2.1.3.2).

    Returns None when the path's length does not fit ``index`` and ``size``; the order in
    which siblings are combined depends on both, which is what binds a proof to its leaf
    position and tree size.
    """
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def _check_leaf(key: object, index: object, path: object, size: int, root: bytes) -> bool:
    if not isinstance(key, str) or not _is_count(index) or not isinstance(path, list):
        return False
    if len(path) > _MAX_PATH:
        return False
    digests = [_parse_digest(p) for p in path]
    if any(d is None for d in digests):
        return False
    try:
        leaf = hashlib.sha256(b"\x00" + key.encode("utf-8")).digest()
    except UnicodeEncodeError:
        return False
    computed = _root_from_path(leaf, index, size, digests)  # type: ignore[arg-type]
    return computed is not None and computed == root


def _root_arg(root: str | bytes) -> bytes | None:
    if isinstance(root, bytes | bytearray):
        return bytes(root) if len(root) == _DIGEST else None
    return _parse_digest(root.lower() if isinstance(root, str) else root)


def verify_inclusion(proof: Mapping[str, Any], root: str | bytes) -> bool:
    """Check that ``proof`` shows its key is a member of the tree with ``root``.

    Parameters
    ----------
    proof : mapping
        A ``sanitizer.merkle.inclusion/1`` proof, as returned by
        :meth:`MerkleTree.inclusion_proof` or parsed from its JSON.
    root : str or bytes
        The trusted root (hex or 32 raw bytes), taken from the certificate or report,
        never from the proof.

    Returns
    -------
    bool
        True only when the proof is well formed and its audit path leads to ``root``.
        A malformed proof is simply not a proof, so it gives False rather than raising.
    """
    want = _root_arg(root)
    if want is None or not isinstance(proof, Mapping):
        return False
    if proof.get("format") != INCLUSION_FORMAT or proof.get("hash") != HASH_NAME:
        return False
    size = proof.get("tree_size")
    if not _is_count(size) or size == 0:
        return False
    return _check_leaf(proof.get("key"), proof.get("index"), proof.get("path"), size, want)


def verify_absence(proof: Mapping[str, Any], root: str | bytes) -> bool:
    """Check that ``proof`` shows its key is *not* a member of the tree with ``root``.

    Parameters
    ----------
    proof : mapping
        A ``sanitizer.merkle.absence/1`` proof, as returned by
        :meth:`MerkleTree.absence_proof` or parsed from its JSON.
    root : str or bytes
        The trusted root (hex or 32 raw bytes).

    Returns
    -------
    bool
        True only when both neighbours' audit paths lead to ``root``, they bracket the key
        in UTF-8 byte order and they are adjacent leaves (or the single neighbour is the
        first or last leaf, or the tree is empty).
    """
    want = _root_arg(root)
    if want is None or not isinstance(proof, Mapping):
        return False
    if proof.get("format") != ABSENCE_FORMAT or proof.get("hash") != HASH_NAME:
        return False
    size, key = proof.get("tree_size"), proof.get("key")
    left, right = proof.get("left"), proof.get("right")
    if not _is_count(size) or not isinstance(key, str):
        return False
    try:
        key_bytes = key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if size == 0:
        return left is None and right is None and want == hashlib.sha256(b"").digest()
    for side in (left, right):
        if side is not None and not isinstance(side, Mapping):
            return False
    if left is None and right is None:
        return False
    for side, below in ((left, True), (right, False)):
        if side is None:
            continue
        if not _check_leaf(side.get("key"), side.get("index"), side.get("path"), size, want):
            return False
        side_bytes = side["key"].encode("utf-8")
        if (side_bytes >= key_bytes) if below else (side_bytes <= key_bytes):
            return False
    if left is not None and right is not None:
        return right["index"] == left["index"] + 1
    if left is not None:
        return left["index"] == size - 1
    return right["index"] == 0
