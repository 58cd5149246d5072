"""Pair-feature throughput: ``python -m bench.bench_pairs [DATA_DIR] [--pairs N]``.

Times :meth:`PairFeaturizer.pair_features` on random same-type pairs, once for the four
non-text families (target: at least 1M pairs/s per core) and once with the narrative
TF-IDF cosine, after a single ``encode`` of the complaints (whose cost is reported
separately: it is paid once per history, not per pair). Single-threaded numpy, so the
figure is per core. No assertion: the numbers go to stdout and to ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from sanitizer.features import PairFeaturizer
from sanitizer.tables import read_tables

TARGET_PAIRS_PER_SECOND = 1_000_000


def time_pairs(complaints, n_pairs: int = 1_000_000, repeats: int = 3, seed: int = 0) -> dict:
    """Best-of-``repeats`` throughput of the pair features on ``complaints``.

    Returns
    -------
    dict
        ``fit_s``, ``encode_s``, ``pairs``, ``pairs_per_s_no_text`` and
        ``pairs_per_s_with_text``.
    """
    complaints = complaints.sort_values("CMPLNT_NUM").reset_index(drop=True)
    start = time.perf_counter()
    featurizer = PairFeaturizer().fit(complaints)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    encoded = featurizer.encode(complaints)
    encode_s = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    left = rng.integers(0, len(complaints), n_pairs)
    right = rng.integers(0, len(complaints), n_pairs)
    result = {"complaints": len(complaints), "fit_s": fit_s, "encode_s": encode_s}
    result["pairs"] = n_pairs
    for text in (False, True):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            featurizer.pair_features(encoded, left, right, text=text)
            best = min(best, time.perf_counter() - start)
        result["pairs_per_s_with_text" if text else "pairs_per_s_no_text"] = n_pairs / best
    result["target_no_text"] = TARGET_PAIRS_PER_SECOND
    result["met"] = result["pairs_per_s_no_text"] >= TARGET_PAIRS_PER_SECOND
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, nargs="?", default=Path("bench/out/world-tiny"))
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--ky-cd", default="107")
    args = parser.parse_args(argv)
    complaints = read_tables(args.data)["complaints"]
    complaints = complaints[(complaints["KY_CD"] == args.ky_cd).to_numpy(dtype=bool)]
    sys.stdout.write(json.dumps(time_pairs(complaints, args.pairs), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
