"""Features: pair and person features built from sanitized tables only.

Everything here starts from ``SanitizedData``; the raw tables never reach this stage.
"""

from ._pairs import (
    FAMILIES,
    FORBIDDEN_COLUMNS,
    MO_COLUMNS,
    PAIR_INPUT_COLUMNS,
    EncodedComplaints,
    PairFeaturizer,
)
from ._person import (
    LAW_CATEGORIES,
    PersonHistoryFeatures,
    age_group,
    history_population,
    history_provenance,
    person_groups,
    rearrest_labels,
)
from ._training_set import TrainingSet

__all__ = [
    "EncodedComplaints",
    "FAMILIES",
    "FORBIDDEN_COLUMNS",
    "MO_COLUMNS",
    "PAIR_INPUT_COLUMNS",
    "PairFeaturizer",
    "LAW_CATEGORIES",
    "PersonHistoryFeatures",
    "TrainingSet",
    "age_group",
    "history_population",
    "history_provenance",
    "person_groups",
    "rearrest_labels",
]
