"""Pair-comparison throughput: our ``PairFeaturizer`` beside crimeserieslinkage's.

Both compare the *same* complaint pairs: the random same-type pairs of
``bench.bench_pairs`` (seed 0), kept where the peer runs. The peer's temporal comparison
crashes when exactly one of the two time windows has zero width (a complaint without a TO
time, or with TO equal to FR): its ``expabsdiff_circ`` then returns a one-element array,
which the numpy it installs (2.4) refuses to store in a float slot ("setting an array
element with a sequence"). Those pairs are left out for both sides, and the note says how
many. Ours is timed on all the remaining pairs; the peer, about a thousand times slower,
on the first ``peer_pairs`` of them (the same mix of window widths), and both are reported
as pairs per second on one core.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sanitizer.features import MO_COLUMNS, EncodedComplaints, PairFeaturizer

from .._harness import run_child
from .venv import peer_python

RUNNER = Path(__file__).with_name("run_crimeserieslinkage.py")
#: One core for the peer too (its FFTs and pandas must not spread over threads).
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def peer_runs(encoded: EncodedComplaints, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether the peer's temporal comparison survives each pair.

    It fails exactly when one window has zero width and the other does not (both points,
    or both spans, are fine).
    """
    point = encoded.end_s == encoded.start_s
    return point[left] == point[right]


def peer_crimes(complaints: pd.DataFrame, encoded: EncodedComplaints) -> pd.DataFrame:
    """The complaints as the peer's ``crimedata``: planar metres, FR/TO datetimes, MO.

    Coordinates and windows are our encoding's (the same projection, and a missing TO
    made a point at FR), so that both sides compare identical inputs.
    """
    frame = pd.DataFrame(
        {
            "crimeID": encoded.keys.astype(str),
            "X": encoded.x_m.astype(np.float64),
            "Y": encoded.y_m.astype(np.float64),
            "DT.FROM": encoded.start_s.astype("datetime64[s]").astype(str),
            "DT.TO": encoded.end_s.astype("datetime64[s]").astype(str),
        }
    )
    for column in MO_COLUMNS:
        frame[column] = complaints[column].to_numpy(dtype=object, na_value=None)
    return frame


def time_ours(featurizer, encoded, left, right, repeats: int = 3) -> float:
    """Best wall seconds of the four non-text families on ``(left, right)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        featurizer.pair_features(encoded, left, right, text=False)
        best = min(best, time.perf_counter() - start)
    return best


def compare_throughput(
    complaints: pd.DataFrame, n_pairs: int = 1_000_000, peer_pairs: int = 2_000, seed: int = 0
) -> dict:
    """Pairs per second of ours and of the peer on the same pairs (see module docstring).

    Returns
    -------
    dict
        ``drawn``, ``runnable``, ``ours_pairs``, ``ours_pairs_per_s``, ``peer_pairs``,
        ``peer_pairs_per_s``, ``ratio``, ``max_distance_gap_m`` (largest difference
        between the peer's and our distance on the peer's pairs: the check that both
        compared the same pairs), ``peer_versions`` and ``peer_error_on_dropped`` (what
        the peer says on three of the dropped pairs; None if it did not fail).
    """
    complaints = complaints.sort_values("CMPLNT_NUM").reset_index(drop=True)
    featurizer = PairFeaturizer().fit(complaints)
    encoded = featurizer.encode(complaints)
    rng = np.random.default_rng(seed)  # the draw of bench_pairs.time_pairs
    left = rng.integers(0, len(complaints), n_pairs)
    right = rng.integers(0, len(complaints), n_pairs)
    keep = peer_runs(encoded, left, right)
    dropped = (left[~keep][:3], right[~keep][:3])
    left, right = left[keep], right[keep]
    ours_s = time_ours(featurizer, encoded, left, right)
    python = peer_python()
    sub_left, sub_right = left[:peer_pairs], right[:peer_pairs]
    with tempfile.TemporaryDirectory() as tmp:
        crimes_csv, pairs_npz = Path(tmp) / "crimes.csv", Path(tmp) / "pairs.npz"
        peer_crimes(complaints, encoded).to_csv(crimes_csv, index=False)
        np.savez(pairs_npz, left=sub_left, right=sub_right)
        _, _, stdout = run_child(
            [str(python), str(RUNNER), str(crimes_csv), str(pairs_npz)], env=ONE_THREAD
        )
        np.savez(pairs_npz, left=dropped[0], right=dropped[1])
        crash = _peer_error([str(python), str(RUNNER), str(crimes_csv), str(pairs_npz)])
    peer = json.loads(stdout)
    ours_distance = featurizer.pair_features(encoded, sub_left, sub_right, text=False)
    gap = np.abs(np.asarray(peer["spatial_km"]) * 1000.0 - ours_distance["distance_m"])
    ours_pps = len(left) / ours_s
    return {
        "complaints": len(complaints),
        "drawn": n_pairs,
        "runnable": int(keep.sum()),
        "ours_pairs": len(left),
        "ours_pairs_per_s": ours_pps,
        "peer_pairs": peer["pairs"],
        "peer_seconds": peer["seconds"],
        "peer_pairs_per_s": peer["pairs_per_s"],
        "ratio": ours_pps / peer["pairs_per_s"],
        "max_distance_gap_m": float(np.nanmax(gap)) if len(gap) else 0.0,
        "peer_versions": peer["versions"],
        "peer_error_on_dropped": crash,
    }


def _peer_error(args: list[str]) -> str | None:
    """The last line the peer printed when it failed on the dropped pairs, or None."""
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {done.returncode}"
