"""Peer comparisons of the pattern model (issue: pattern and recidivism models).

1. Throughput: our pair features against the PyPI package crimeserieslinkage's
   ``compareСrimes`` (Cyrillic С) on the same burglary pairs, side by side in one run,
   both on one core; target: ours ≥ 100× theirs. The peer runs in its own venv
   (``bench/out/peer-venv``, pandas < 3), built from PyPI on first use.
2. Quality: on the R package crimelinkage's example data (``../shared/data/crimelinkage``),
   pair AUC and recall at 5% false positives of our seeded forest on the location,
   date-time and MO families, beside a naive Bayes built the way crimelinkage builds it,
   same pairs, same split by crime group. No target: a comparison.
"""

from __future__ import annotations

from pathlib import Path

from ._harness import Section
from .peers import crimelinkage, throughput

#: Peer pairs timed per scale: at 300-500 pairs/s (shared machine) about half a minute.
PEER_PAIRS = {"tiny": 2_000, "small": 10_000, "nyc": 10_000}
TARGET_RATIO = 100


def run(scale: str, data: Path) -> Section:
    from sanitizer.tables import read_tables

    section = Section(f"Pattern-model peers (crimeserieslinkage, crimelinkage), scale {scale}")
    complaints = read_tables(data)["complaints"]
    burglaries = complaints[(complaints["KY_CD"] == "107").to_numpy(dtype=bool)]
    speed = throughput.compare_throughput(burglaries, peer_pairs=PEER_PAIRS.get(scale, 10_000))
    dropped = speed["drawn"] - speed["runnable"]
    error = (speed["peer_error_on_dropped"] or "no error").replace("|", "/")
    versions = ", ".join(f"{k} {v}" for k, v in speed["peer_versions"].items())
    section.add(
        "ours: pair features on the peer's pairs (1 core)",
        speed["ours_pairs_per_s"],
        "pairs/s",
        note=(
            f"{speed['ours_pairs']:,} of {speed['drawn']:,} random pairs of "
            f"{speed['complaints']:,} burglaries, 4 non-text families; the other "
            f"{dropped:,} have exactly one zero-width FR/TO window, on which the peer's "
            f"temporal comparison crashes ({error}), so both sides skip them"
        ),
    )
    section.add(
        "crimeserieslinkage compareСrimes (1 core)",
        speed["peer_pairs_per_s"],
        "pairs/s",
        note=(
            f"first {speed['peer_pairs']:,} of the same pairs in {speed['peer_seconds']:.1f} s "
            f"(spatial, temporal/tod/dow, 6 MO matches); {versions}; "
            f"distances agree within {speed['max_distance_gap_m']:.3f} m"
        ),
    )
    section.add(
        "pair comparison speed, ours / crimeserieslinkage",
        speed["ratio"],
        "×",
        f"≥ {TARGET_RATIO}×",
        speed["ratio"] >= TARGET_RATIO,
        "per-pair rates measured in this run",
    )
    quality = crimelinkage.compare_quality()
    split = (
        f"{quality['test_pairs']:,} test pairs ({quality['test_linked']} linked) of "
        f"{quality['pairs']:,} ({quality['linked']} linked), split by crime group, seed 0"
    )
    ours, theirs = quality["ours"], quality["naive_bayes"]
    section.add(
        "crimelinkage data: pair AUC, ours",
        ours["auc"],
        "",
        note=f"seeded forest, location + date-time + MO families; {split}",
    )
    section.add(
        "crimelinkage data: pair AUC, naive Bayes",
        theirs["auc"],
        "",
        note="crimelinkage's naiveBayes(df=10, nbins=15, quantile) on compareCrimes variables",
    )
    section.add("crimelinkage data: recall at 5% FPR, ours", ours["recall_at_5pct_fpr"], "")
    section.add(
        "crimelinkage data: recall at 5% FPR, naive Bayes",
        theirs["recall_at_5pct_fpr"],
        "",
        note="Porter reports 0.82 on Baltimore County data",
    )
    return section
