"""Patternizr's own fairness test: suspect race of recommendations against random picks.

Chohlas-Wood & Levine (2019) checked that Patternizr's recommendations were no more
likely to link crimes by suspect race than chance: for each query (a seed complaint) they
compared the suspect-race make-up of the recommended complaints with that of random
samples drawn from the same history the model ranked. This module runs that test.

For every query ``q`` with ``k_q`` recommendations drawn from a pool (its ranked history)
the random baseline's expected share of race ``r`` is exact: ``sum_q k_q * p_qr / sum_q
k_q`` with ``p_qr`` the race's share of the pool. Random samples without replacement
(seeded) give the spread of that share under chance, reported as an interval. The verdict
is on the difference ``recommended share - expected random share`` for each race with at
least ``min_group_size`` recommended complaints; smaller races are reported as
insufficient evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._messages import INSUFFICIENT, SUFFICIENT

__all__ = ["RaceTest"]


class RaceTest:
    """Patternizr's suspect-race test, computed in the constructor; read-only.

    Parameters
    ----------
    recommended : DataFrame
        One row per recommended complaint: ``query`` (the query it was recommended for)
        and ``race`` (its suspect race; null counts as UNKNOWN).
    pool : DataFrame
        One row per candidate complaint of each query's history: ``query``, ``race``.
        Every query of ``recommended`` must have a pool at least as large as its number
        of recommendations.
    tolerance : float, default=0.05
        Largest allowed absolute difference in share, per race.
    n_samples : int, default=200
        Random samples drawn for the chance interval.
    confidence : float, default=0.95
    min_group_size : int, default=30
        Races with fewer recommended complaints get no verdict.
    seed : int, default=0
    """

    def __init__(
        self,
        recommended: pd.DataFrame,
        pool: pd.DataFrame,
        *,
        tolerance: float = 0.05,
        n_samples: int = 200,
        confidence: float = 0.95,
        min_group_size: int = 30,
        seed: int = 0,
    ):
        self._tolerance = float(tolerance)
        rec_query = recommended["query"].astype(str).to_numpy(dtype=object)
        rec_race = recommended["race"].astype(object).where(recommended["race"].notna(), "UNKNOWN")
        pool_query = pool["query"].astype(str).to_numpy(dtype=object)
        pool_race = pool["race"].astype(object).where(pool["race"].notna(), "UNKNOWN")
        races = np.array(
            sorted(set(rec_race.astype(str)) | set(pool_race.astype(str))), dtype=object
        )
        queries = np.array(sorted(set(rec_query)), dtype=object)
        q_rec = pd.Index(queries).get_indexer(rec_query)
        q_pool = pd.Index(queries).get_indexer(pool_query)
        in_pool = q_pool >= 0
        q_pool, pool_codes = (
            q_pool[in_pool],
            pd.Index(races).get_indexer(pool_race.astype(str))[in_pool],
        )
        rec_codes = pd.Index(races).get_indexer(rec_race.astype(str))
        k = np.bincount(q_rec, minlength=len(queries))
        pool_sizes = np.bincount(q_pool, minlength=len(queries))
        short = np.flatnonzero(pool_sizes < k)
        if len(short):
            shown = ", ".join(queries[short[:5]].tolist())
            raise ValueError(
                f"{len(short)} query(ies) have fewer pool rows than recommendations ({shown}); "
                "the pool must hold every candidate the model ranked"
            )
        total = max(int(k.sum()), 1)
        observed = np.bincount(rec_codes, minlength=len(races)) / total
        # expected share under random picks: sum_q k_q * (pool share of race in q)
        counts = np.zeros((len(queries), len(races)))
        np.add.at(counts, (q_pool, pool_codes), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(pool_sizes[:, None] > 0, counts / pool_sizes[:, None], 0.0)
        expected = (k[:, None] * shares).sum(axis=0) / total
        samples = self._sample(counts, k, n_samples, seed) / total
        alpha = (1.0 - float(confidence)) / 2.0
        n_recommended = np.bincount(rec_codes, minlength=len(races))
        self._table = pd.DataFrame(
            {
                "race": races.astype(str),
                "recommended": n_recommended,
                "recommended_share": observed,
                "random_share": expected,
                "random_low": np.quantile(samples, alpha, axis=0) if n_samples else np.nan,
                "random_high": np.quantile(samples, 1 - alpha, axis=0) if n_samples else np.nan,
                "difference": observed - expected,
                "status": np.where(n_recommended >= min_group_size, SUFFICIENT, INSUFFICIENT),
            }
        )
        self._settings = {
            "tolerance": self._tolerance,
            "n_samples": int(n_samples),
            "confidence": float(confidence),
            "min_group_size": int(min_group_size),
            "seed": int(seed),
            "queries": int(len(queries)),
            "recommended": int(k.sum()),
        }

    @staticmethod
    def _sample(counts: np.ndarray, k: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """Race counts of ``n_samples`` random picks of ``k_q`` pool rows per query.

        Picking ``k_q`` of a pool without replacement and counting races is a draw from
        the multivariate hypergeometric distribution of the pool's race counts: exact,
        and its cost grows with the number of queries, not with the pools' size.
        """
        rng = np.random.default_rng(seed)
        out = np.zeros((n_samples, counts.shape[1]))
        for q in np.flatnonzero(k > 0):
            out += rng.multivariate_hypergeometric(
                counts[q].astype(np.int64), int(k[q]), size=n_samples
            )
        return out

    @property
    def table(self) -> pd.DataFrame:
        """Per race: counts, recommended and random shares, chance interval, difference."""
        return self._table.copy()

    @property
    def max_abs_difference(self) -> float:
        """Largest |difference| over races with sufficient evidence (NaN if none)."""
        judged = self._table[self._table["status"] == SUFFICIENT]
        return float(judged["difference"].abs().max()) if len(judged) else float("nan")

    @property
    def tolerance(self) -> float:
        return self._tolerance

    @property
    def passed(self) -> bool:
        """Within tolerance for every judged race; no judged race is no verdict (True)."""
        value = self.max_abs_difference
        return bool(np.isnan(value) or value <= self._tolerance)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "max_abs_difference": _none(self.max_abs_difference),
            "by_race": _records(self._table),
            "settings": dict(self._settings),
        }


def _none(value):
    if value is None:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _none(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
