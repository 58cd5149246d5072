"""The pattern model's fairness report, built from the held-out rebuild of a trained model.

The evaluation of :mod:`sanitizer.train` seeds every held-out clean pattern with its latest
member and ranks the type's three-year history against it. The same queries feed the two
fairness measures of issue 5:

recall@k by group
    One row per query. Its groups describe the pattern's suspect as victims reported it:
    ``race`` is the seed complaint's ``SUSP_RACE``, or, when the seed's victim did not know
    it, the most frequent known ``SUSP_RACE`` among the pattern's members (UNKNOWN when
    none knew); ``sex`` (``SUSP_SEX``) and ``age_group`` (``SUSP_AGE_GROUP``) likewise;
    ``borough`` is the seed's ``BORO_NM``. These are complaint fields, never a person's
    record: the model never reads them, which is why they can judge it.
Patternizr's race test
    The suspect races of the top ``k`` recommended complaints of every query, against
    random samples of the same size drawn from the same query's candidate pool. Two
    kinds of complaint are left out, on both sides, because they would measure something
    other than the model's bias. (1) The query's own pattern members: they share the
    seed's offender, so a perfect model recommending only them would "differ from
    random" by exactly the difference between the race mix of patterns and that of all
    complaints; what the test must catch is the model *linking other crimes* by race,
    i.e. its recommendations beyond the true pattern. (2) Complaints whose victim
    reported no suspect race: favouring complaints with a full suspect description is
    preferring information, not a race. ``include_members=True`` keeps (1), the literal
    reading, for comparison. The random picks come from the seed's surroundings
    (``race_test_radius_m`` in ``models/gates.toml``, 3 km by default): the model may use
    place, and a city-wide baseline would count neighbourhood make-up as linking by
    race. The city-wide variant is still computed and reported (``race_test_reported_only``)
    but does not gate.

Everything comes from the clean tables and the model trained on them (or, for the
before/after-sanitization comparison, the raw-trained model ranking the same clean
history): the held-out patterns are the pipeline's own clean test patterns.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..tables import Tables, isin, lookup, position_in
from ..train import PatternPipeline, held_out_pattern_sets, pattern_members, rebuild
from ._config import load_gates
from ._patternizr import RaceTest
from ._report import PatternFairnessReport

__all__ = ["QUERY_DIMENSIONS", "pattern_fairness_report", "pattern_query_groups"]

#: Fairness dimension -> (complaint column, the value standing for "not known").
QUERY_DIMENSIONS = {
    "race": ("SUSP_RACE", "UNKNOWN"),
    "sex": ("SUSP_SEX", "U"),
    "age_group": ("SUSP_AGE_GROUP", "UNKNOWN"),
    "borough": ("BORO_NM", "UNKNOWN"),
}
#: Metres per degree near New York, for the race test's neighbourhood (no data involved).
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(40.7128))
#: Dimensions that fall back to the pattern's majority when the seed's value is unknown.
_SUSPECT = ("race", "sex", "age_group")


def _known(values: pd.Series, unknown: str) -> pd.Series:
    """``values`` as object strings, with nulls and the unknown token as None."""
    out = values.astype(object).where(values.notna(), None)
    return out.where(out != unknown, None)


def pattern_query_groups(
    complaints: pd.DataFrame, queries: pd.DataFrame, members: pd.DataFrame
) -> pd.DataFrame:
    """Fairness groups of each query (see the module docstring).

    Parameters
    ----------
    complaints : DataFrame
        The type's clean complaints.
    queries : DataFrame
        ``SET_ID`` and ``SEED`` (the seed's ``CMPLNT_NUM``), one row per query.
    members : DataFrame
        ``SET_ID`` and ``CMPLNT_NUM`` of every member of the queried sets.

    Returns
    -------
    DataFrame
        ``race``, ``sex``, ``age_group``, ``borough``, aligned with ``queries``.
    """
    keys = complaints["CMPLNT_NUM"]
    out = {}
    for dimension, (column, unknown) in QUERY_DIMENSIONS.items():
        seed = _known(lookup(queries["SEED"], keys, complaints[column]), unknown)
        seed = seed.reset_index(drop=True)
        if dimension in _SUSPECT:
            majority = _majority(members, lookup(members["CMPLNT_NUM"], keys, complaints[column]))
            fallback = pd.Series(
                queries["SET_ID"].astype(str).map(majority).to_numpy(dtype=object),
                dtype=object,
            )
            seed = seed.where(seed.notna(), _known(fallback, unknown))
        out[dimension] = seed.where(seed.notna(), unknown).astype(str).to_numpy()
    return pd.DataFrame(out)


def _majority(members: pd.DataFrame, values: pd.Series) -> dict[str, str]:
    """Per set, its most frequent known value (ties: alphabetical); sets without one absent."""
    frame = pd.DataFrame(
        {
            "SET_ID": members["SET_ID"].astype(str).to_numpy(dtype=object),
            "value": values.astype(object).where(values.notna(), None).to_numpy(dtype=object),
        }
    ).dropna()
    frame = frame[~frame["value"].isin(["UNKNOWN", "U"])]  # a few hundred rows at most
    if not len(frame):
        return {}
    counts = frame.groupby(["SET_ID", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["SET_ID", "n", "value"], ascending=[True, False, True])
    best = counts.drop_duplicates("SET_ID")
    return dict(zip(best["SET_ID"], best["value"], strict=True))


def _pair_keys(rows: pd.DataFrame) -> pd.Series:
    return rows["SET_ID"].astype("str") + "\x1f" + rows["CMPLNT_NUM"].astype("str")


def _near_seed(
    pools: pd.DataFrame, queries: pd.DataFrame, complaints: pd.DataFrame, radius_m: float
) -> pd.DataFrame:
    """Each query's pool cut to the candidates within ``radius_m`` of its seed.

    The model may use place (Patternizr's location family), so a city-wide random sample
    would count neighbourhood make-up as racial linking. Comparing with random picks
    from the seed's surroundings asks the question the test is for: does the model link
    by race *beyond* place?
    """
    lat = complaints["Latitude"].to_numpy(dtype=float, na_value=np.nan)
    lon = complaints["Longitude"].to_numpy(dtype=float, na_value=np.nan)
    keys = complaints["CMPLNT_NUM"]
    seed_of = lookup(pools["SET_ID"], queries["SET_ID"], queries["SEED"])
    here = position_in(pools["CMPLNT_NUM"].astype("str"), keys)
    there = position_in(seed_of.astype("str"), keys)
    dy = (lat[here] - lat[there]) * _M_PER_DEG_LAT
    dx = (lon[here] - lon[there]) * _M_PER_DEG_LON
    return pools[np.hypot(dx, dy) <= radius_m].reset_index(drop=True)


def _enough(near: pd.DataFrame, full: pd.DataFrame, recommended: pd.DataFrame) -> pd.DataFrame:
    """The ``near`` pools, with a fallback for sparse surroundings.

    A query whose surroundings hold fewer candidates than it has recommendations keeps
    its whole pool: the test needs at least that many to sample from.
    """
    wanted = recommended["query"].value_counts()
    have = near["query"].value_counts().reindex(wanted.index, fill_value=0)
    short = pd.Series(wanted.index[(have < wanted).to_numpy()], dtype="str")
    keep_full = isin(full["query"].astype("str"), short)
    keep_near = ~isin(near["query"].astype("str"), short)
    return pd.concat([near[keep_near], full[keep_full]], ignore_index=True)


def _reported_races(rows: pd.DataFrame, complaints: pd.DataFrame) -> pd.DataFrame:
    """``query`` and ``race`` of the ``rows`` whose complaint has a reported suspect race."""
    column, unknown = QUERY_DIMENSIONS["race"]
    race = lookup(rows["CMPLNT_NUM"], complaints["CMPLNT_NUM"], complaints[column])
    known = (race.notna() & (race != unknown)).to_numpy(dtype=bool)
    return pd.DataFrame({"query": rows["SET_ID"][known].to_numpy(), "race": race[known].to_numpy()})


def pattern_fairness_report(
    pipeline: PatternPipeline,
    clean_tables: Tables | Mapping,
    model,
    training,
    *,
    gates: Mapping | None = None,
    include_members: bool = False,
    **evidence,
) -> PatternFairnessReport:
    """Recall@k by group, Patternizr's race test and the gates of one trained pattern model.

    Parameters
    ----------
    pipeline : PatternPipeline
        The pipeline that trained ``model`` (crime type, evaluation settings).
    clean_tables : Tables
        ``sanitize(raw, snapshot).tables``: the held-out patterns and the ranked history
        come from them alone.
    model : fitted classifier
        Scores pair features with ``predict_proba``.
    training : TrainingSet
        What ``model`` was trained on; its fitted ``featurizer`` and ``sampler`` (whose
        held-out patterns are the queries) are used.
    gates : mapping, optional
        As returned by :func:`~sanitizer.fairness.load_gates`; its ``patternizr`` section
        gives ``k``, the tolerances and the race test's sample count.
    include_members : bool, default False
        Keep each query's own pattern members in the race test (see the module
        docstring for why they are left out by default).
    **evidence
        Overrides of ``min_group_size``, ``n_boot``, ``confidence``, ``seed``.

    Returns
    -------
    PatternFairnessReport
        With the race test and the held-out partial-rebuild rate (the quality gate).
    """
    config = load_gates() if gates is None else gates
    section = config["patternizr"]["fairness"]
    settings = {**config["evidence"], **{k: v for k, v in evidence.items() if v is not None}}
    k = int(section["recall_k"])
    featurizer = training.components["featurizer"]
    sampler = training.components["sampler"]
    complaints, _ = pattern_members(clean_tables, pipeline.ky_cd)
    sets = held_out_pattern_sets(clean_tables, pipeline, sampler)
    result = rebuild(
        model,
        featurizer,
        complaints,
        sets,
        int(pipeline.config["evaluation"]["history_days"]),
        recall_at=(k,),
        label=f"{pipeline.name} fairness",
        keep_top=k,
    )
    queries, recommended = result.queries, result.recommended
    hits = (
        recommended.groupby("SET_ID", sort=False)["target"]
        .sum()
        .reindex(queries["SET_ID"].to_numpy(dtype=object), fill_value=0)
        .to_numpy(dtype=int)
    )
    n_relevant = result.per_set["size"].to_numpy(dtype=int) - 1
    groups = pattern_query_groups(complaints, queries, sets)
    pools = result.pools
    if not include_members:
        recommended = recommended[~recommended["target"].to_numpy(dtype=bool)]
        pools = pools[~isin(_pair_keys(pools), _pair_keys(sets))]
    recommended_races = _reported_races(recommended, complaints)
    citywide = _reported_races(pools, complaints)
    test_settings = {
        "tolerance": float(section["race_test_tolerance"]),
        "n_samples": int(section["race_test_samples"]),
        "confidence": float(settings["confidence"]),
        "min_group_size": int(settings["min_group_size"]),
        "seed": int(settings["seed"]),
    }
    radius = section.get("race_test_radius_m")
    reported = {}
    if radius:
        near = _near_seed(pools, queries, complaints, float(radius))
        pool_races = _enough(_reported_races(near, complaints), citywide, recommended_races)
        reported["citywide_baseline"] = RaceTest(recommended_races, citywide, **test_settings)
    else:
        pool_races = citywide
    race_test = RaceTest(recommended_races, pool_races, **test_settings)
    partial = result.summary()["partial_rebuild"]
    return PatternFairnessReport(
        groups,
        n_relevant,
        hits,
        race_test=race_test,
        partial_rebuild_rate=None if np.isnan(partial) else partial,
        gates=config,
        reported_race_tests=reported,
        **evidence,
    )
