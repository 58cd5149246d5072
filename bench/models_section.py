"""Model benchmarks (issue: pattern and recidivism models).

Pair features ≥ 1M pairs/s per core (non-text families; the narrative cosine reported
beside). The crimeserieslinkage peer and the 300k-candidate query are not measured yet.
"""

from __future__ import annotations

from pathlib import Path

from . import bench_pairs
from ._harness import Section


def run(scale: str, data: Path) -> Section:
    from sanitizer.tables import read_tables

    section = Section(f"Pattern-model pair features, scale {scale}")
    complaints = read_tables(data)["complaints"]
    burglaries = complaints[complaints["KY_CD"] == "107"]
    figures = bench_pairs.time_pairs(burglaries, n_pairs=1_000_000)
    target = bench_pairs.TARGET_PAIRS_PER_SECOND
    section.add(
        "pair features, 4 non-text families (1 core)",
        figures["pairs_per_s_no_text"],
        "pairs/s",
        f"≥ {target:,} pairs/s",
        figures["pairs_per_s_no_text"] >= target,
        f"{len(burglaries):,} burglaries; fit {figures['fit_s']:.2f} s, "
        f"encode {figures['encode_s']:.2f} s",
    )
    section.add(
        "pair features with narrative TF-IDF cosine (1 core)",
        figures["pairs_per_s_with_text"],
        "pairs/s",
    )
    return section
