"""Package a trained model as an MLflow "models from code" pyfunc with skops weights.

What lands in the folder (and is covered by the certificate's ``artifact_sha256``):

- ``MLmodel``, ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``: MLflow's
  descriptor and an explicit, pinned environment (given, not inferred: inference
  imports the model and takes seconds);
- ``_pyfunc_code.py``: a three-line stub that imports the model class from this package
  and hands it to ``mlflow.models.set_model``. The class is code of the package, never a
  pickle, so loading the folder executes the package's own reviewed code;
- ``artifacts/*.skops``: the weights, read back only against ``TRUSTED_TYPES``.

The signature declares outputs only. MLflow enforces an input schema by silently
dropping unknown columns before ``predict`` runs, so a request carrying, say,
``PERP_RACE`` would be answered as if it had not; with no input schema the extra column
reaches the guard, which refuses the request and names it. The allowed input columns are
in the model config (``input_columns``) and in the ``MLmodel`` metadata.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from .._errors import BadInput
from ..features import FAMILIES, MO_COLUMNS, PAIR_INPUT_COLUMNS
from ._weights import TRUSTED_TYPES, dump_weights

__all__ = ["KINDS", "PACKAGE_FORMAT", "input_columns", "output_columns", "package_model"]

PACKAGE_FORMAT = "sanitizer.pyfunc/1"
KINDS = ("patternizr", "recidivism")
#: The models-from-code file MLflow copies into the folder and executes when loading.
CODE_PATH = Path(__file__).with_name("_pyfunc_code.py")
#: Keys a loader may override with ``mlflow.pyfunc.load_model(..., model_config=...)``
#: (MLflow accepts only keys already in the saved config). Empty means: from the
#: environment (``SANITIZER_DATA``, ``SANITIZER_HOME``, ``SANITIZER_DB_URL``) or today.
SERVING_KEYS = {
    "serving_data": "",
    "serving_home": "",
    "serving_db_url": "",
    "serving_as_of": "",
    "serving_version": "",
    "serving_actor": "",
}
#: Distributions pinned in ``requirements.txt`` (the package itself comes last).
REQUIREMENTS = (
    "mlflow",
    "scikit-learn",
    "skops",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "SQLAlchemy",
    "cryptography",
    "sanitizer",
)
RECIDIVISM_OUTPUTS = ("PERSON_ID", "risk", "recidivist", "high_risk", "risk_threshold")
MSG_KIND = "kind must be one of {kinds}; got {kind!r}"
MSG_WEIGHTS = "{kind} weights need {needed}; got {got}"
MSG_OUT_DIR = "{path} exists and is not empty; package into a new folder"


def input_columns(kind: str, mo_columns=MO_COLUMNS) -> tuple[list[str], list[str]]:
    """(allowed, required) request columns of a model kind.

    A pattern query is a complaint: ``CMPLNT_NUM`` alone (a complaint of the data
    folder) or the complaint columns the featurizer reads. Never race, sex, precinct or
    anything about an arrest. A recidivism query is a ``PERSON_ID`` and an optional
    ``AS_OF`` date.
    """
    if kind == "patternizr":
        others = [c for c in PAIR_INPUT_COLUMNS if c not in MO_COLUMNS and c != "CMPLNT_NUM"]
        allowed = ["CMPLNT_NUM", "KY_CD", *others[:6], *mo_columns, *others[6:]]
        return list(dict.fromkeys(allowed)), ["CMPLNT_NUM"]
    return ["PERSON_ID", "AS_OF"], ["PERSON_ID"]


def output_columns(kind: str) -> list[tuple[str, str]]:
    """(name, MLflow type) of each output column."""
    if kind == "patternizr":
        return [
            ("query", "string"),
            ("rank", "long"),
            ("CMPLNT_NUM", "string"),
            ("score", "double"),
            *[(f"sim_{family}", "double") for family in FAMILIES],
            ("distance_m", "float"),
            ("days_apart", "float"),
            ("narrative_cosine", "float"),
            ("pattern_ids", "string"),
        ]
    # high_risk is the certified decision (risk >= risk_threshold, the model's fitted
    # threshold_): the decision the fairness and quality gates judged
    return [
        ("PERSON_ID", "string"),
        ("risk", "double"),
        ("recidivist", "boolean"),
        ("high_risk", "boolean"),
        ("risk_threshold", "double"),
    ]


def _signature(outputs: list[tuple[str, str]]):
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(inputs=None, outputs=Schema([ColSpec(t, n) for n, t in outputs]))


def _requirements() -> list[str]:
    pins = []
    for name in REQUIREMENTS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def _split_weights(kind: str, weights: Mapping[str, object], config: dict) -> dict:
    """The weight objects to write, and the plain parameters moved into ``config``.

    A recidivism scorer is stored as its two fitted parts (``features``, ``classifier``)
    with the rule's parameters in the config, so its forest can be split by shard and
    the scorer class itself never needs to be a trusted type. The decision threshold
    stays in the classifier (its fitted ``threshold_``, covered by the fingerprint); the
    config gets a copy, ``risk_threshold``, for readers of ``MLmodel``, which the service
    checks against the weights when loading.
    """
    if kind == "patternizr":
        needed = {"featurizer", "model"}
        if set(weights) != needed:
            got = sorted(weights)
            raise BadInput(MSG_WEIGHTS.format(kind=kind, needed=sorted(needed), got=got))
        return dict(weights)
    if set(weights) == {"scorer"}:
        scorer = weights["scorer"]
        config.setdefault("min_arrests", int(scorer.min_arrests))
        config.setdefault("window_years", int(scorer.window_years))
        parts = {"features": scorer.features, "classifier": scorer.classifier}
    elif {"features", "classifier"} <= set(weights):
        parts = {"features": weights["features"], "classifier": weights["classifier"]}
    else:
        needed = "['scorer'] or ['classifier', 'features']"
        raise BadInput(MSG_WEIGHTS.format(kind=kind, needed=needed, got=sorted(weights)))
    threshold = getattr(parts["classifier"], "threshold_", None)
    if threshold is not None:
        config["risk_threshold"] = float(threshold)
    return parts


def package_model(
    out_dir: Path,
    *,
    kind: str,
    name: str,
    policy: str,
    weights: Mapping[str, object],
    model_config: Mapping[str, object],
) -> Path:
    """Write a servable, pickle-free MLflow pyfunc folder for one trained model.

    Parameters
    ----------
    out_dir : path
        The folder to create (it must not exist, or be empty).
    kind : {"patternizr", "recidivism"}
    name : str
        The registered name (``patternizr-burglary``, ..., ``recidivism``).
    policy : str
        The exclusion policy the model was trained under; serving filters with it.
    weights : mapping
        ``{"featurizer": PairFeaturizer, "model": forest}`` for a pattern model (the
        forest may be a :class:`~sanitizer.train.ShardedForest`: one file per shard);
        ``{"scorer": RecidivismScorer}`` (or its ``features`` and ``classifier``) for
        the recidivism model.
    model_config : mapping
        JSON-able settings stored in ``MLmodel`` and handed to the model when loaded
        (``ky_cd``, ``k``, ``history_days``, ``block_m`` for pattern models).

    Returns
    -------
    Path
        ``out_dir``.
    """
    if kind not in KINDS:
        raise BadInput(MSG_KIND.format(kinds=KINDS, kind=kind))
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BadInput(MSG_OUT_DIR.format(path=out_dir))
    config = {**SERVING_KEYS, **dict(model_config)}
    parts = _split_weights(kind, weights, config)
    mo_columns = getattr(parts.get("featurizer"), "mo_columns", MO_COLUMNS)
    allowed, required = input_columns(kind, tuple(mo_columns))
    outputs = output_columns(kind)
    if kind == "recidivism" and "risk_threshold" not in config:
        # a classifier without a fitted threshold serves no decision (see RecidivismScorer)
        outputs = [c for c in outputs if c[0] not in ("high_risk", "risk_threshold")]
    config.update(
        format=PACKAGE_FORMAT,
        kind=kind,
        name=name,
        policy=policy,
        input_columns=allowed,
        required_columns=required,
        output_columns=[n for n, _ in outputs],
    )
    if out_dir.exists():
        out_dir.rmdir()
    import mlflow

    with tempfile.TemporaryDirectory(prefix="sanitizer-weights-") as tmp:
        files = dump_weights(parts, Path(tmp))
        logger = logging.getLogger("mlflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mlflow.pyfunc.save_model(
                    path=str(out_dir),
                    python_model=str(CODE_PATH),
                    artifacts=files,
                    model_config=config,
                    signature=_signature(outputs),
                    pip_requirements=_requirements(),
                    metadata={
                        "sanitizer": {
                            "format": PACKAGE_FORMAT,
                            "kind": kind,
                            "name": name,
                            "input_columns": allowed,
                            "trusted_types": list(TRUSTED_TYPES),
                        }
                    },
                )
        finally:
            logger.setLevel(level)
    return out_dir
