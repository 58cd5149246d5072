"""RFC 6962 Merkle trees: roots, inclusion proofs and absence proofs."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer._errors import BadInput, Refused
from sanitizer.registry._merkle import (
    ABSENCE_FORMAT,
    EMPTY_ROOT,
    INCLUSION_FORMAT,
    MerkleTree,
    merkle_root,
    verify_absence,
    verify_inclusion,
)

# ----------------------------------------------------------------- the RFC text, naively


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962 §2.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + entries[0])
    k = _split(n)
    return _sha(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:]))


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return naive_path(m, entries[:k]) + [naive_mth(entries[k:])]
    return naive_path(m - k, entries[k:]) + [naive_mth(entries[:k])]


def _canonical(keys) -> list[bytes]:
    return sorted({k.encode("utf-8") for k in keys})


key_sets = st.sets(st.text(max_size=6), max_size=40)
settings_ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------- roots


@pytest.mark.parametrize("n", range(71))
def test_root_and_paths_match_the_rfc_text(n):
    keys = [f"k{i:03d}" for i in range(n)]
    tree = MerkleTree(reversed(keys))
    entries = _canonical(keys)
    assert tree.root == naive_mth(entries).hex() == merkle_root(keys)
    for m, key in enumerate(keys):
        proof = tree.inclusion_proof(key)
        assert proof["index"] == m
        assert proof["path"] == [h.hex() for h in naive_path(m, entries)]


@settings_
@given(key_sets)
def test_root_matches_naive_rfc_on_any_unicode_keys(keys):
    assert MerkleTree(keys).root == naive_mth(_canonical(keys)).hex() == merkle_root(keys)


def test_empty_set_root_is_sha256_of_nothing():
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").hexdigest()
    assert MerkleTree([]).root == EMPTY_ROOT


def test_keys_sort_by_utf8_bytes_and_duplicates_do_not_count():
    keys = ["\U00010000", "\uffff", "b", "a", "b", "é"]
    tree = MerkleTree(keys)
    assert [tree.key(i) for i in range(tree.size)] == ["a", "b", "é", "\uffff", "\U00010000"]
    assert tree.root == merkle_root(sorted(set(keys), key=lambda k: k.encode()))


def test_keys_with_newlines_hash_like_any_other():
    keys = ["a\nb", "a", "b\n", "\n"]
    assert merkle_root(keys) == naive_mth(_canonical(keys)).hex()


@pytest.mark.parametrize("bad", [[1, 2], [b"a"], ["a", None], ["\ud800"]])
def test_keys_must_be_utf8_text(bad):
    with pytest.raises(BadInput):
        MerkleTree(bad)


# ----------------------------------------------------------------- inclusion


@settings_
@given(key_sets.filter(bool))
def test_every_member_has_an_inclusion_proof_that_verifies(keys):
    tree = MerkleTree(keys)
    for key in keys:
        proof = json.loads(json.dumps(tree.inclusion_proof(key)))
        assert proof["format"] == INCLUSION_FORMAT
        assert verify_inclusion(proof, tree.root)
        assert verify_inclusion(proof, tree.root_bytes)
        assert key in tree


@settings_
@given(key_sets, st.text(max_size=6))
def test_a_non_member_has_no_inclusion_proof(keys, other):
    tree = MerkleTree(keys)
    if other in keys:
        return
    with pytest.raises(Refused):
        tree.inclusion_proof(other)


def _tampered_copies(proof: dict):
    """Every way of changing one hash, index, key or path length in a proof.

    The tree size is left alone: an RFC 6962 audit path fixes the leaf's position but not
    always the size (a rightmost leaf's path also fits some larger trees), which
    ``test_no_other_tree_size_fakes_a_position`` shows cannot be abused.
    """
    sides = [proof] if "path" in proof else [s for s in (proof["left"], proof["right"]) if s]
    for side in sides:
        for i, digest in enumerate(side["path"]):
            flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
            original = side["path"][i]
            side["path"][i] = flipped
            yield copy.deepcopy(proof)
            side["path"][i] = original
        for field, change in (("index", 1), ("key", "x")):
            original = side[field]
            side[field] = original + change
            yield copy.deepcopy(proof)
            side[field] = original
        if side["path"]:
            original = side["path"]
            side["path"] = original[:-1]
            yield copy.deepcopy(proof)
            side["path"] = original + [original[-1]]
            yield copy.deepcopy(proof)
            side["path"] = original


@settings_
@given(key_sets.filter(lambda s: len(s) >= 2), st.data())
def test_tampering_any_part_of_an_inclusion_proof_fails(keys, data):
    tree = MerkleTree(keys)
    key = data.draw(st.sampled_from(sorted(keys)))
    proof = tree.inclusion_proof(key)
    for bad in _tampered_copies(proof):
        assert not verify_inclusion(bad, tree.root), bad
    assert verify_inclusion(proof, tree.root)


def test_an_inclusion_proof_does_not_verify_against_another_root():
    tree = MerkleTree(["a", "b", "c"])
    proof = tree.inclusion_proof("b")
    assert not verify_inclusion(proof, MerkleTree(["a", "b", "d"]).root)
    assert not verify_inclusion(proof, "zz")
    assert not verify_inclusion({**proof, "format": "other/1"}, tree.root)


# ----------------------------------------------------------------- absence


@settings_
@given(key_sets, st.lists(st.text(max_size=6), max_size=10))
def test_every_non_member_has_an_absence_proof_that_verifies(keys, others):
    tree = MerkleTree(keys)
    for other in others:
        if other in keys:
            continue
        proof = json.loads(json.dumps(tree.absence_proof(other)))
        assert proof["format"] == ABSENCE_FORMAT
        assert verify_absence(proof, tree.root), proof
        assert other not in tree


@settings_
@given(key_sets.filter(bool), st.data())
def test_a_members_absence_cannot_be_built_or_forged(keys, data):
    tree = MerkleTree(keys)
    key = data.draw(st.sampled_from(sorted(keys)))
    with pytest.raises(Refused):
        tree.absence_proof(key)
    i, n = tree.index(key), tree.size

    def side(j):
        return {"key": tree.key(j), "index": j, "path": tree.inclusion_proof(tree.key(j))["path"]}

    base = {"format": ABSENCE_FORMAT, "hash": "sha256", "tree_size": n, "key": key}
    forgeries = [
        {**base, "left": side(i - 1) if i else None, "right": side(i + 1) if i + 1 < n else None},
        {**base, "left": side(i - 1) if i else None, "right": side(i)},
        {**base, "left": side(i), "right": side(i + 1) if i + 1 < n else None},
        {**base, "left": side(i - 1) if i else None, "right": None},
        {**base, "left": None, "right": side(i + 1) if i + 1 < n else None},
        {**base, "tree_size": 0, "left": None, "right": None},
    ]
    if i + 1 < n:  # claim the right neighbour sits next to the left one
        lie = side(i + 1)
        lie["index"] = i
        forgeries.append({**base, "left": side(i - 1) if i else None, "right": lie})
    for forged in forgeries:
        assert not verify_absence(forged, tree.root), forged


@settings_
@given(key_sets.filter(bool), st.text(max_size=6))
def test_tampering_any_part_of_an_absence_proof_fails(keys, other):
    tree = MerkleTree(keys)
    if other in keys:
        return
    proof = tree.absence_proof(other)
    for bad in _tampered_copies(proof):
        assert not verify_absence(bad, tree.root), bad
    assert verify_absence(proof, tree.root)


def _positions(path, leaf, root, max_size):
    """Every (index, tree size) under which an audit path leads to ``root``."""
    from sanitizer.registry._merkle import _root_from_path

    path = [bytes.fromhex(h) for h in path]
    return {
        (m, n)
        for n in range(1, max_size)
        for m in range(n)
        if _root_from_path(leaf, m, n, path) == root
    }


def test_no_other_tree_size_fakes_a_position():
    """Claiming another tree size never moves a leaf, nor makes it first, last or adjacent.

    Those are the three facts an absence proof rests on, so a proof whose ``tree_size``
    was changed and still verifies proves nothing false.
    """
    from sanitizer.registry._merkle import leaf_hash

    for n in range(1, 21):
        keys = [f"k{i:02d}" for i in range(n)]
        tree = MerkleTree(keys)
        alts = {
            m: _positions(tree.inclusion_proof(k)["path"], leaf_hash(k), tree.root_bytes, 2 * n + 3)
            for m, k in enumerate(keys)
        }
        for m, positions in alts.items():
            assert all(m2 == m for m2, n2 in positions if n2 == n)
            assert all((m2 == n2 - 1) == (m == n - 1) for m2, n2 in positions)
            assert all((m2 == 0) == (m == 0) for m2, n2 in positions)
        for a in range(n):
            for b in range(a + 2, n):
                assert not any((j + 1, n2) in alts[b] for j, n2 in alts[a])


def test_absence_in_the_empty_tree():
    proof = MerkleTree([]).absence_proof("anything")
    assert proof["left"] is None and proof["right"] is None
    assert verify_absence(proof, EMPTY_ROOT)
    assert not verify_absence(proof, merkle_root(["a"]))


def test_absence_at_either_end_uses_one_neighbour():
    tree = MerkleTree(["b", "d"])
    first, last = tree.absence_proof("a"), tree.absence_proof("e")
    assert first["left"] is None and first["right"]["key"] == "b"
    assert last["right"] is None and last["left"]["key"] == "d"
    assert verify_absence(first, tree.root) and verify_absence(last, tree.root)


@pytest.mark.parametrize(
    "garbage",
    [None, [], "proof", {"format": ABSENCE_FORMAT}, {"format": ABSENCE_FORMAT, "tree_size": True}],
)
def test_malformed_proofs_are_not_proofs(garbage):
    root = merkle_root(["a"])
    assert not verify_absence(garbage, root)
    assert not verify_inclusion(garbage, root)


def test_many_proofs_from_one_tree_are_cheap():
    keys = [f"A{i:07d}" for i in range(20_000)]
    tree = MerkleTree(keys)
    assert all(verify_inclusion(tree.inclusion_proof(k), tree.root) for k in keys[::997])
    assert verify_absence(tree.absence_proof("A0000000x"), tree.root)
