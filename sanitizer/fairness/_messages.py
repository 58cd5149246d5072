"""Message texts shared by the code and its tests (fairlearn's habit)."""

__all__ = [
    "INSUFFICIENT",
    "SUFFICIENT",
    "MSG_INSUFFICIENT_GROUP",
    "MSG_NO_VERDICT",
    "MSG_CRITERION",
    "MSG_MISSING_DIMENSION",
    "MSG_LENGTHS",
    "MSG_UNKNOWN_MITIGATION",
]

#: Status of a group (or gate criterion) below the minimum group size: no verdict.
INSUFFICIENT = "insufficient evidence"
#: Status of a group with enough members to judge.
SUFFICIENT = "ok"

MSG_INSUFFICIENT_GROUP = (
    "{dimension}={group}: {n} members, fewer than the minimum of {min_size}; "
    "reported as insufficient evidence, left out of the gate"
)
MSG_NO_VERDICT = (
    "{criterion}: fewer than two {dimension} groups have {min_size} or more members; "
    "insufficient evidence, so no verdict (the gate does not fail on it)"
)
MSG_CRITERION = "{criterion} = {value:.4f} ({comparison} {threshold}): {outcome}"
MSG_MISSING_DIMENSION = (
    "sensitive_features lacks column(s) {missing}; expected {expected} (one column per "
    "fairness dimension, aligned with y_true)"
)
MSG_LENGTHS = "y_true has {n_true} rows, y_pred {n_pred} and sensitive_features {n_groups}"
MSG_UNKNOWN_MITIGATION = (
    "unknown mitigation {method!r}; expected one of {expected} (or None for no mitigation)"
)
