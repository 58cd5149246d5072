"""Gate thresholds: built-in defaults overridden by ``models/gates.toml``."""

from __future__ import annotations

from pathlib import Path

from .._config import load_toml_config

__all__ = ["DEFAULT_GATES", "GATES_CONFIG_PATH", "load_gates"]

#: ``models/gates.toml`` of the source checkout (absent in an installed wheel).
GATES_CONFIG_PATH = Path(__file__).resolve().parents[2] / "models" / "gates.toml"

#: The issue's defaults; the TOML file overrides them key by key.
DEFAULT_GATES = {
    "evidence": {"min_group_size": 30, "n_bootstrap": 200, "confidence": 0.95, "seed": 0},
    "recidivism": {
        "fairness": {
            "dimensions": ["race", "sex", "age_group", "borough"],
            "gate_dimension": "race",
            "max_equalized_odds_difference": 0.10,
            "min_demographic_parity_ratio": 0.8,
            "four_fifths_enforced": False,
        },
        "quality": {"min_auc": 0.65, "min_recall": 0.10},
    },
    "patternizr": {
        "fairness": {
            "gate_dimension": "race",
            "race_test_tolerance": 0.05,
            "recall_k": 10,
            "min_recall_ratio": 0.8,
            "race_test_samples": 200,
            "race_test_radius_m": 3000,
        },
        "quality": {"min_partial_rebuild_rate": 0.5},
    },
}


def load_gates(path: str | Path | None = None, **overrides) -> dict:
    """Gate configuration: defaults, then the TOML file, then ``overrides`` (nested dicts).

    An explicit ``path`` that does not exist is an error: a gate silently falling back to
    defaults is a gate nobody set.
    """
    return load_toml_config(DEFAULT_GATES, GATES_CONFIG_PATH, path, overrides, "gates config")
