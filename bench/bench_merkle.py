"""Micro-benchmark of the RFC 6962 Merkle tree (``sanitizer.registry._merkle``).

``build_tree(n)`` times building a ``MerkleTree`` over ``n`` distinct random arrest-like
keys (unsorted input, so the sort is included), then proof generation and verification.
Target: 5M keys in at most 20 s on one core. Run ``python -m bench.bench_merkle [N ...]``
to print the figures (default 1,000,000 and 5,000,000).
"""

from __future__ import annotations

import json
import random
import sys
import time

from sanitizer.registry._merkle import MerkleTree, merkle_root, verify_absence, verify_inclusion


def random_keys(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct keys like ``A000123456789``, in random order."""
    rng = random.Random(seed)
    keys = [f"A{i:012d}" for i in rng.sample(range(10**12), n)]
    return keys


def build_tree(n: int, seed: int = 0, proofs: int = 1000) -> dict:
    """Time a tree build over ``n`` keys and ``proofs`` inclusion and absence proofs.

    Returns wall and CPU seconds for the build (CPU time is less disturbed by a busy
    machine), the root, and the per-proof cost of building plus verifying.
    """
    keys = random_keys(n, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    tree = MerkleTree(keys)
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    sample = keys[:proofs]
    start = time.perf_counter()
    for key in sample:
        assert verify_inclusion(tree.inclusion_proof(key), tree.root)
        assert verify_absence(tree.absence_proof(key + "x"), tree.root)
    per_proof = (time.perf_counter() - start) / max(1, 2 * len(sample))
    return {
        "keys": n,
        "build_wall_s": round(build_wall, 3),
        "build_cpu_s": round(build_cpu, 3),
        "proof_and_verify_ms": round(per_proof * 1000, 4),
        "root": tree.root,
    }


def root_only(n: int, seed: int = 0) -> dict:
    """Time ``merkle_root`` (keeps one level at a time) over ``n`` keys."""
    keys = random_keys(n, seed)
    start = time.perf_counter()
    root = merkle_root(keys)
    return {"keys": n, "root_wall_s": round(time.perf_counter() - start, 3), "root": root}


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1_000_000, 5_000_000]
    for n in sizes:
        sys.stdout.write(json.dumps(build_tree(n)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
