"""Persons: who gets arrested, with NYC-like demographics.

Race shares are set so that *arrests* (not persons) come out near NYC's arrest population
(Black ~47%, White Hispanic ~27%, White ~10%, Black Hispanic ~8%, Asian ~5.5%), since a
group's share of arrests is its share of persons times its arrest rate; the rate multiplier
is one of the disparities the fairness gates are meant to see. Height, weight and home
borough are hidden truth: they feed victim descriptions and arrestee records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _calendar as cal
from ._util import pick_by_group

__all__ = ["People", "make_people", "RACE_ARREST_SHARE", "RACE_RATE"]

#: Target share of arrests per contract RACE (same order as ``tables.RACES``).
RACE_ARREST_SHARE = np.array([0.475, 0.27, 0.08, 0.105, 0.055, 0.005, 0.01])
#: Relative arrests per person by race (repeat-arrest disparity).
RACE_RATE = np.array([1.12, 1.0, 1.0, 0.82, 0.78, 1.0, 0.9])
#: Home borough (B, K, M, Q, S) by race.
_HOME_BORO = np.array(
    [
        [0.30, 0.38, 0.17, 0.12, 0.03],
        [0.36, 0.22, 0.21, 0.18, 0.03],
        [0.38, 0.22, 0.22, 0.15, 0.03],
        [0.07, 0.33, 0.21, 0.20, 0.19],
        [0.05, 0.29, 0.21, 0.42, 0.03],
        [0.20, 0.30, 0.20, 0.20, 0.10],
        [0.20, 0.30, 0.25, 0.20, 0.05],
    ]
)


@dataclass(frozen=True)
class People:
    """Person attributes as parallel arrays (index = person number)."""

    race: np.ndarray
    sex: np.ndarray
    birth_year: np.ndarray
    home_boro: np.ndarray
    height: np.ndarray
    weight: np.ndarray
    career_start: np.ndarray
    n_arrests: np.ndarray
    gap_mean: np.ndarray

    def __len__(self) -> int:
        return len(self.race)


def make_people(rng: np.random.Generator, n: int, mean_arrests: float) -> People:
    """Draw ``n`` persons whose base arrest counts average about ``mean_arrests``."""
    p_race = RACE_ARREST_SHARE / RACE_RATE
    race = rng.choice(len(p_race), size=n, p=p_race / p_race.sum())
    sex = rng.choice(3, size=n, p=[0.83, 0.167, 0.003])
    home = pick_by_group(rng, race, _HOME_BORO)
    female = sex == 1
    height = np.round(np.where(female, rng.normal(64.0, 2.8, n), rng.normal(69.5, 3.0, n)))
    weight = np.round(np.where(female, rng.normal(155, 32, n), rng.normal(182, 30, n)))
    height = np.clip(height, 56, 80)
    weight = np.clip(weight, 95, 360)

    era = rng.choice(4, size=n, p=[0.012, 0.028, 0.05, 0.91])
    lo = np.array([cal.EARLIEST, cal.day("1976-01-01"), cal.day("1992-01-01"), cal.MODERN_START])
    hi = np.array([cal.day("1975-01-01"), cal.day("1991-06-01"), cal.day("2005-12-31"), cal.END])
    start = (lo[era] + rng.random(n) * (hi[era] - lo[era])).astype(np.int64)
    age_start = np.clip(15 + rng.gamma(2.2, 5.0, n), 14, 75).astype(np.int64)
    birth_year = cal.year_of(start) - age_start

    mean_extra = np.maximum(mean_arrests * RACE_RATE[race] - 1.0, 0.05)
    r = 0.55
    extra = rng.negative_binomial(r, r / (r + mean_extra))
    n_arrests = 1 + np.minimum(extra, 80)
    gap_mean = np.exp(rng.normal(np.log(420.0), 0.55, n))
    return People(race, sex, birth_year, home, height, weight, start, n_arrests, gap_mean)
