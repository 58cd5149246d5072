"""Train: the pattern models and the recidivism model, on sanitized data only.

Every pipeline here implements the lineage checks' ``LineagePipeline`` protocol: it
receives the raw tables and the registry snapshot, sanitizes first, and computes nothing
(population, label, vocabulary, sample) before that. Models are seeded and deterministic,
so a re-run gives the same fingerprint. They are sharded (SISA, :class:`ShardedForest`):
after a sealing, only the shards whose training rows changed are refitted, and the result
is the model a full retrain on the new snapshot would give.
"""

from ._pattern import (
    CRIME_TYPES,
    PairSampler,
    PatternPipeline,
    load_pattern_config,
    pattern_members,
)
from ._pattern_eval import (
    PUBLISHED,
    PatternEvaluation,
    RebuildResult,
    evaluate_pattern_pipeline,
    held_out_pattern_sets,
    quality_gate,
    rebuild,
    score_pairs,
    truth_series_sets,
)
from ._query import HistoryIndex, rank_history
from ._recidivism import (
    DEFAULT_RECIDIVISM_CONFIG,
    RECIDIVISM_CONFIG_PATH,
    HoldoutPredictions,
    PersonAssignment,
    RecidivismPipeline,
    RecidivismScorer,
    SensitiveGroups,
    holdout_mask,
    load_recidivism_config,
    out_of_shard_risk,
    recidivist_label,
    select_threshold,
    validation_rows,
)
from ._shards import (
    DEFAULT_N_SHARDS,
    SHARED,
    TRUSTED_TYPES,
    ShardedForest,
    affected_shards,
    refit_shards,
    shard_digests,
    shard_seed,
    stable_shard,
)

__all__ = [
    "CRIME_TYPES",
    "PairSampler",
    "PatternPipeline",
    "PUBLISHED",
    "PatternEvaluation",
    "RebuildResult",
    "evaluate_pattern_pipeline",
    "held_out_pattern_sets",
    "quality_gate",
    "rebuild",
    "score_pairs",
    "truth_series_sets",
    "load_pattern_config",
    "pattern_members",
    "rank_history",
    "HistoryIndex",
    "DEFAULT_RECIDIVISM_CONFIG",
    "HoldoutPredictions",
    "RECIDIVISM_CONFIG_PATH",
    "RecidivismPipeline",
    "RecidivismScorer",
    "SensitiveGroups",
    "holdout_mask",
    "PersonAssignment",
    "load_recidivism_config",
    "out_of_shard_risk",
    "recidivist_label",
    "select_threshold",
    "validation_rows",
    "DEFAULT_N_SHARDS",
    "SHARED",
    "TRUSTED_TYPES",
    "ShardedForest",
    "affected_shards",
    "refit_shards",
    "shard_digests",
    "shard_seed",
    "stable_shard",
]
