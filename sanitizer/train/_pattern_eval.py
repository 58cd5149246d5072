"""Evaluate a pattern model as Patternizr was evaluated: rebuild held-out patterns.

Chohlas-Wood & Levine (2019) seeded each test pattern with one of its complaints, ranked
that type's complaint history by the model's score against the seed, and counted how much
of the pattern came back near the top: about one third of test patterns were rebuilt
perfectly and about four fifths at least partly. Definitions used here (one set = a
held-out pattern, or a true series):

seed
    The set's latest complaint (by FR date and time, then ``CMPLNT_NUM``): an analyst
    looks backwards from the newest crime.
history
    The type's complaints whose FR date lies within ``history_days`` (default 3 years)
    before the seed, the seed excluded, ranked by score (ties by ``CMPLNT_NUM``). The
    set's other members are the targets; a target outside the history window counts as
    missed, so the rates are conservative.
perfect rebuild
    Every target ranks in the top ``k = size - 1`` (the pattern comes back and nothing
    else ranks above any member). ``perfect@10`` relaxes ``k`` to 10.
partial rebuild
    At least one target in the top ``k = size - 1``; ``partial@10`` at least one in the
    top 10. The quality gate (``models/patternizr.toml``, ``partial_rebuild_min``) reads
    the strict ``k = size - 1`` rate.
recall@k
    Share of a set's targets in the top ``k``, averaged over sets.

Targets: (1) the held-out *clean* patterns, split off by the pipeline's pattern hash; (2)
the generator's true series (``truth/``), held out when no training pattern covers them,
which measures what analysts care about (finding series nobody had labelled). The
pipeline never reads ``truth/``; only this evaluation does, when given its folder.

Before vs after sanitization: the same pipeline trained once on sanitized tables and once
on the raw ones (the unsanitized model exists only here, to measure what sanitizing
costs, and is never registered), both rebuilding the same held-out sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import PairFeaturizer
from ..registry import Snapshot
from ..sanitize import sanitize
from ..tables import Tables, isin, position_in, time_seconds
from ._pattern import PatternPipeline, _held_out, _positive_proba, pattern_members

__all__ = [
    "PUBLISHED",
    "PatternEvaluation",
    "RebuildResult",
    "evaluate_pattern_pipeline",
    "held_out_pattern_sets",
    "quality_gate",
    "rebuild",
    "score_pairs",
    "truth_series_sets",
]

#: Patternizr's published test figures (Chohlas-Wood & Levine 2019), approximate.
PUBLISHED = {"perfect_rebuild": 0.33, "partial_rebuild": 0.80}
_SUMMARY_COLUMNS = (
    "perfect_rebuild",
    "partial_rebuild",
    "perfect_at_10",
    "partial_at_10",
)


def score_pairs(model, featurizer: PairFeaturizer, encoded, left, right, right_encoded=None):
    """Same-pattern probabilities of position pairs (``predict_proba`` of the forest).

    A model that never saw a positive pair scores 0 (``_positive_proba``): the truth
    series are rebuilt even for a type left without any clean pattern.
    """
    if not len(left):
        return np.zeros(0)
    X = featurizer.pair_features(encoded, left, right, right_encoded=right_encoded)
    return _positive_proba(model, X)


@dataclass(frozen=True)
class RebuildResult:
    """Rebuild rates of one model on one family of held-out sets; read-only.

    Attributes
    ----------
    label : str
        What was evaluated (e.g. ``sanitized / patterns``).
    per_set : DataFrame
        One row per set: ``SET_ID``, ``size``, ``in_history`` (targets inside the history
        window), ``candidates``, ``hits_k`` (targets in the top ``size - 1``), ``hits_10``
        and ``recall_at_K`` for every ``K`` asked.
    recall_at : tuple of int
    queries : DataFrame or None
        With ``keep_top``: one row per set of ``per_set`` (same order), ``SET_ID`` and
        ``SEED`` (the seed's ``CMPLNT_NUM``).
    recommended : DataFrame or None
        With ``keep_top``: the top ``keep_top`` of each set's ranking, ``SET_ID``,
        ``rank`` (1 = best), ``CMPLNT_NUM``, ``score`` and ``target`` (a member of the set).
    pools : DataFrame or None
        With ``keep_top``: every candidate each set's seed was ranked against, ``SET_ID``
        and ``CMPLNT_NUM`` (what Patternizr's race test samples from at random).
    """

    label: str
    per_set: pd.DataFrame = field(repr=False)
    recall_at: tuple[int, ...] = (10, 50)
    queries: pd.DataFrame | None = field(default=None, repr=False)
    recommended: pd.DataFrame | None = field(default=None, repr=False)
    pools: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n_sets(self) -> int:
        return int(len(self.per_set))

    def summary(self) -> dict:
        """Rates over sets (NaN when there are none)."""
        s = self.per_set
        targets = s["size"] - 1
        out = {"sets": self.n_sets}
        if not len(s):
            out.update({c: float("nan") for c in _SUMMARY_COLUMNS})
            out.update({f"recall_at_{k}": float("nan") for k in self.recall_at})
            return out
        out["perfect_rebuild"] = float((s["hits_k"] == targets).mean())
        out["partial_rebuild"] = float((s["hits_k"] >= 1).mean())
        out["perfect_at_10"] = float((s["hits_10"] == targets).mean())
        out["partial_at_10"] = float((s["hits_10"] >= 1).mean())
        for k in self.recall_at:
            out[f"recall_at_{k}"] = float(s[f"recall_at_{k}"].mean())
        return out


def _starts(complaints: pd.DataFrame) -> np.ndarray:
    days = complaints["CMPLNT_FR_DT"].to_numpy("datetime64[s]").astype(np.int64)
    return days + time_seconds(complaints["CMPLNT_FR_TM"])


def rebuild(
    model,
    featurizer: PairFeaturizer,
    complaints: pd.DataFrame,
    sets: pd.DataFrame,
    history_days: int = 1095,
    recall_at: Sequence[int] = (10, 50),
    label: str = "",
    block_m: float | None = None,
    keep_top: int | None = None,
) -> RebuildResult:
    """Seed each set with its latest member, rank the history, count what comes back.

    Parameters
    ----------
    model : fitted classifier
        Scores pair features (``predict_proba``).
    featurizer : PairFeaturizer
        The model's fitted featurizer.
    complaints : DataFrame
        The type's complaints (the history to rank), any order.
    sets : DataFrame
        ``SET_ID`` and ``CMPLNT_NUM``, one row per member; sets with fewer than two
        members among ``complaints`` are skipped.
    history_days : int, default 1095
    recall_at : sequence of int, default (10, 50)
    label : str
    block_m : float, optional
        Spatial blocking as in :func:`~sanitizer.train.rank_history`: candidates farther
        than this from the seed are not scored (their members count as missed), so the
        difference to an unblocked run is the recall blocking loses.
    keep_top : int, optional
        Also record each set's seed, its top ``keep_top`` recommendations and its whole
        candidate pool (``queries``, ``recommended``, ``pools`` of the result), for the
        fairness report's recall@k by group and Patternizr's race test.

    Returns
    -------
    RebuildResult
    """
    complaints = complaints.sort_values("CMPLNT_NUM", kind="stable").reset_index(drop=True)
    encoded = featurizer.encode(complaints)
    start = _starts(complaints)
    order = np.lexsort((np.arange(len(complaints)), start))
    sorted_start = start[order]
    position = position_in(sets["CMPLNT_NUM"], complaints["CMPLNT_NUM"])
    members = pd.DataFrame({"SET_ID": sets["SET_ID"].to_numpy(dtype=object), "pos": position})
    members = members[members["pos"] >= 0].drop_duplicates()
    window = int(history_days) * 86_400
    rows, seeds, candidates, owners = [], [], [], []
    groups = members.groupby("SET_ID", sort=True)["pos"]
    plan = []
    for set_id, positions in groups:
        positions = positions.to_numpy()
        if len(positions) < 2:
            continue
        # latest member: by start, then by key (positions follow key order)
        seed = positions[np.lexsort((positions, start[positions]))[-1]]
        lo = np.searchsorted(sorted_start, start[seed] - window, side="left")
        hi = np.searchsorted(sorted_start, start[seed], side="right")
        pool = np.sort(order[lo:hi])
        pool = pool[pool != seed]
        if block_m is not None:
            near = np.hypot(
                encoded.x_m[pool] - encoded.x_m[seed], encoded.y_m[pool] - encoded.y_m[seed]
            )
            pool = pool[near <= block_m]
        plan.append((set_id, seed, positions[positions != seed], pool))
        seeds.append(np.full(len(pool), seed))
        candidates.append(pool)
        owners.append(np.full(len(pool), len(plan) - 1))
    if plan:
        left = np.concatenate(seeds)
        right = np.concatenate(candidates)
        scores = score_pairs(model, featurizer, encoded, left, right)
        owner = np.concatenate(owners)
    else:
        scores, owner, right = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
    bounds = np.searchsorted(owner, np.arange(len(plan) + 1))
    ks = tuple(int(k) for k in recall_at)
    tops = []
    for i, (set_id, _seed, targets, pool) in enumerate(plan):
        s, cand = scores[bounds[i] : bounds[i + 1]], right[bounds[i] : bounds[i + 1]]
        best = np.lexsort((cand, -s))  # best first, ties by key
        ranking = cand[best]
        if keep_top is not None:
            top = best[: int(keep_top)]
            tops.append((np.full(len(top), i), cand[top], s[top], np.isin(cand[top], targets)))
        rank = np.full(len(targets), np.iinfo(np.int64).max)
        where = position_in(
            pd.Series(targets.astype(str), dtype="str"), pd.Series(ranking.astype(str), dtype="str")
        )
        rank[where >= 0] = where[where >= 0]
        n_targets = len(targets)
        row = {
            "SET_ID": set_id,
            "size": n_targets + 1,
            "in_history": int(np.isin(targets, pool).sum()),
            "candidates": int(len(pool)),
            "hits_k": int((rank < n_targets).sum()),
            "hits_10": int((rank < 10).sum()),
        }
        for k in ks:
            row[f"recall_at_{k}"] = float((rank < k).sum() / n_targets)
        rows.append(row)
    columns = ["SET_ID", "size", "in_history", "candidates", "hits_k", "hits_10"]
    per_set = pd.DataFrame(rows, columns=columns + [f"recall_at_{k}" for k in ks])
    if keep_top is None:
        return RebuildResult(label, per_set, ks)
    return RebuildResult(label, per_set, ks, *_rankings(complaints, plan, tops, owner, right))


def _rankings(complaints: pd.DataFrame, plan, tops, owner, right):
    """``queries``, ``recommended`` and ``pools`` frames of a rebuild (keys, not positions)."""
    keys = complaints["CMPLNT_NUM"].reset_index(drop=True)
    set_ids = np.array([p[0] for p in plan], dtype=object)

    def key_of(positions) -> pd.Series:
        return pd.Series(keys.iloc[np.asarray(positions, np.int64)].to_numpy(), dtype="str")

    queries = pd.DataFrame(
        {
            "SET_ID": pd.Series(set_ids, dtype="str"),
            "SEED": key_of([p[1] for p in plan]),
        }
    )
    parts = [np.concatenate(x) for x in zip(*tops, strict=True)] if tops else None
    owner_top, cand_top, score_top, target_top = parts or (
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0),
        np.zeros(0, bool),
    )
    first = np.searchsorted(owner_top, owner_top, side="left")
    recommended = pd.DataFrame(
        {
            "SET_ID": pd.Series(set_ids[owner_top], dtype="str"),
            "rank": np.arange(len(owner_top)) - first + 1,
            "CMPLNT_NUM": key_of(cand_top),
            "score": np.asarray(score_top, float),
            "target": np.asarray(target_top, bool),
        }
    )
    pools = pd.DataFrame(
        {
            "SET_ID": pd.Series(set_ids[np.asarray(owner, np.int64)], dtype="str"),
            "CMPLNT_NUM": key_of(right),
        }
    )
    return queries, recommended, pools


def held_out_pattern_sets(clean: Tables, pipeline: PatternPipeline, sampler) -> pd.DataFrame:
    """Members of the pipeline's held-out clean patterns, as ``SET_ID``/``CMPLNT_NUM``."""
    _, members = pattern_members(clean, pipeline.ky_cd)
    held = members[isin(members["PATTERN_ID"], pd.Series(sampler.test_patterns_, dtype="str"))]
    return pd.DataFrame(
        {"SET_ID": held["PATTERN_ID"].to_numpy(), "CMPLNT_NUM": held["CMPLNT_NUM"].to_numpy()}
    )


def truth_series_sets(
    truth_dir: Path | str, complaints: pd.DataFrame, train_patterns: Sequence[str]
) -> pd.DataFrame:
    """True series of the type not covered by a training pattern (``SET_ID``/``CMPLNT_NUM``).

    A series is held out when none of the patterns that record it (``truth/patterns``)
    trained the model: the model never saw any of its links as a positive.
    """
    truth_dir = Path(truth_dir)
    offenders = _read_truth(truth_dir, "complaint_offenders")
    offenders = offenders.dropna(subset=["SERIES_ID"])
    offenders = offenders[isin(offenders["CMPLNT_NUM"].astype("str"), complaints["CMPLNT_NUM"])]
    patterns = _read_truth(truth_dir, "patterns")
    trained = patterns[isin(patterns["PATTERN_ID"].astype("str"), pd.Series(train_patterns))]
    held = offenders[~isin(offenders["SERIES_ID"].astype("str"), trained["SERIES_ID"].dropna())]
    return pd.DataFrame(
        {
            "SET_ID": held["SERIES_ID"].astype("str").to_numpy(),
            "CMPLNT_NUM": held["CMPLNT_NUM"].astype("str").to_numpy(),
        }
    )


def _read_truth(truth_dir: Path, name: str) -> pd.DataFrame:
    """One ``truth/`` table, Parquet or CSV (``synth --format``), keys read as text."""
    parquet = truth_dir / f"{name}.parquet"
    if parquet.exists():
        return pd.read_parquet(parquet)
    return pd.read_csv(
        truth_dir / f"{name}.csv", dtype="str", keep_default_na=False, na_values=[""]
    )


def quality_gate(result: RebuildResult, config: Mapping) -> dict:
    """The pattern model's quality gate: held-out partial-rebuild rate against its minimum."""
    threshold = float(config["gates"]["partial_rebuild_min"])
    value = result.summary()["partial_rebuild"]
    passed = bool(result.n_sets > 0 and value >= threshold)
    return {
        "passed": passed,
        "partial_rebuild": value,
        "threshold": threshold,
        "sets": result.n_sets,
        "definition": "share of held-out patterns with at least one member in the top "
        "size-1 of the seed's 3-year history",
    }


@dataclass(frozen=True)
class PatternEvaluation:
    """Every rebuild result of one crime type, with the published figures; read-only.

    Attributes
    ----------
    crime_type : str
    results : mapping of str to RebuildResult
        Keyed ``"<model>/<target>"``: model ``sanitized``, ``raw`` or
        ``sanitized+blocking`` (spatial blocking at ``evaluation.block_m`` metres, to
        measure the recall it loses), target ``patterns`` or ``truth``.
    gate : dict
        :func:`quality_gate` on ``sanitized/patterns``.
    figures : dict
        Training sizes of each model (rows, positives).
    fitted : mapping of str to (model, TrainingSet)
        The fitted ``sanitized`` (and ``raw``) model with the training set it came from,
        so the fairness report can judge the very models evaluated here.
    """

    crime_type: str
    results: Mapping[str, RebuildResult]
    gate: dict
    figures: Mapping[str, object] = field(default_factory=dict)
    fitted: Mapping[str, tuple] = field(default_factory=dict, repr=False, compare=False)

    def table(self) -> pd.DataFrame:
        """One row per result plus Patternizr's published row, for the report."""
        rows = [
            {"model": name.split("/")[0], "target": name.split("/")[1], **r.summary()}
            for name, r in self.results.items()
        ]
        rows.append(
            {
                "model": "Patternizr (published)",
                "target": "NYPD test patterns",
                "sets": np.nan,
                "perfect_rebuild": PUBLISHED["perfect_rebuild"],
                "partial_rebuild": PUBLISHED["partial_rebuild"],
            }
        )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "crime_type": self.crime_type,
            "results": {name: r.summary() for name, r in self.results.items()},
            "published": dict(PUBLISHED),
            "gate": dict(self.gate),
            "figures": dict(self.figures),
        }


def evaluate_pattern_pipeline(
    pipeline: PatternPipeline,
    raw: Tables,
    snapshot: Snapshot,
    truth_dir: Path | str | None = None,
    compare_raw: bool = True,
    clean: Tables | None = None,
) -> PatternEvaluation:
    """Train and evaluate one type's model, sanitized (and raw, for comparison).

    Parameters
    ----------
    pipeline : PatternPipeline
    raw : Tables
        The raw input tables.
    snapshot : Snapshot
        The registry snapshot to sanitize with.
    truth_dir : path, optional
        The synthetic world's ``truth/`` folder; adds the ``truth`` target.
    compare_raw : bool, default True
        Also train on the unsanitized tables (never registered) and evaluate it on the
        same held-out sets.
    clean : Tables, optional
        ``sanitize(raw, snapshot).tables`` when the caller already has them (saves
        sanitizing again); computed here otherwise.

    Returns
    -------
    PatternEvaluation
    """
    config = pipeline.config["evaluation"]
    history_days = int(config["history_days"])
    recall_at = tuple(int(k) for k in config["recall_at"])
    clean = sanitize(raw, snapshot).tables if clean is None else clean
    complaints, _ = pattern_members(clean, pipeline.ky_cd)
    models = {"sanitized": clean}
    if compare_raw:
        models["raw"] = raw
    results, figures, fitted = {}, {}, {}
    sets = None
    for name, tables in models.items():
        training = pipeline._assemble(tables)
        model = pipeline.fit(training)
        fitted[name] = (model, training)
        featurizer = training.components["featurizer"]
        sampler = training.components["sampler"]
        train_rows = (training.row_keys["split"] == "train").to_numpy()
        figures[name] = {
            "train_rows": int(train_rows.sum()),
            "train_positives": int(training.y[train_rows].sum()),
            "patterns": int(len(sampler.train_patterns_) + len(sampler.test_patterns_)),
        }
        if sets is None:  # both models rebuild the sanitized model's held-out sets
            clean_sampler = sampler
            sets = {"patterns": held_out_pattern_sets(clean, pipeline, clean_sampler)}
            if truth_dir is not None:
                trained = np.union1d(
                    clean_sampler.train_patterns_.astype(str),
                    _train_patterns(pipeline, raw) if compare_raw else [],
                )
                sets["truth"] = truth_series_sets(truth_dir, complaints, trained)
        for target, members in sets.items():
            results[f"{name}/{target}"] = rebuild(
                model,
                featurizer,
                complaints,
                members,
                history_days,
                recall_at,
                label=f"{name} / {target}",
            )
        if name == "sanitized" and config.get("block_m"):
            results["sanitized+blocking/patterns"] = rebuild(
                model,
                featurizer,
                complaints,
                sets["patterns"],
                history_days,
                recall_at,
                label="sanitized, blocked / patterns",
                block_m=float(config["block_m"]),
            )
    gate = quality_gate(results["sanitized/patterns"], pipeline.config)
    return PatternEvaluation(pipeline.name, results, gate, figures, fitted)


def _train_patterns(pipeline: PatternPipeline, raw: Tables) -> np.ndarray:
    """Training patterns of the raw tables (so a truth series is held out for both models)."""
    _, members = pattern_members(raw, pipeline.ky_cd)
    sampler = pipeline.make_sampler()
    ids = np.unique(members["PATTERN_ID"].to_numpy(dtype=object).astype(str))
    held = _held_out(ids, sampler.test_fraction, sampler.seed)
    return ids[~held]
