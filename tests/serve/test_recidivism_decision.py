"""The served recidivism decision is the decision the gates judged, made by the same model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanitizer.sanitize import sanitize
from sanitizer.serve import InferenceRefused, load_certified, package_model
from sanitizer.train import RecidivismPipeline, load_recidivism_config

from .conftest import AS_OF


def test_the_served_flag_is_the_decision_the_gates_judged(served):
    # the pipeline the session's certified model was trained with (tests/serve/conftest.py)
    config = load_recidivism_config(
        classifier={"n_estimators": 8, "n_jobs": 1}, shards={"n_shards": 4}
    )
    pipeline = RecidivismPipeline(config=config)
    clean = sanitize(served.tables, served.snapshot).tables
    holdout = pipeline.holdout(clean)  # what recidivism_report hands the gates
    judged = holdout.frame
    assert judged["y_pred"].sum() > 0  # the tiny world's decision flags someone

    model = load_certified("recidivism", as_of=AS_OF, home=served.home, data=served.data)
    training = pipeline.training_set(clean)
    held = training.row_keys["PERSON_ID"][pipeline.held_out(training)].tolist()
    cutoff = pipeline.cutoff  # the date the gates scored the held-out persons at
    out = model.predict(pd.DataFrame({"PERSON_ID": held, "AS_OF": [cutoff] * len(held)}))

    assert out["PERSON_ID"].tolist() == held
    assert (out["risk_threshold"] == holdout.threshold).all()
    np.testing.assert_array_equal(out["risk"].to_numpy(), judged["risk"].to_numpy())
    np.testing.assert_array_equal(out["high_risk"].to_numpy(), judged["y_pred"].to_numpy() == 1)
    # race is no input: a request naming it is refused, not answered
    with pytest.raises(Exception, match="RACE"):
        model.predict(pd.DataFrame({"PERSON_ID": held[:1], "RACE": ["WHITE"]}))


def test_a_model_config_whose_threshold_disagrees_with_the_weights_is_refused(served, tmp_path):
    from sanitizer.serve._services import RecidivismService

    scorer = served.scorer
    folder = package_model(
        tmp_path / "model",
        kind="recidivism",
        name="recidivism",
        policy="strict",
        weights={"scorer": scorer},
        model_config={"cutoff": "2023-06-01"},
    )
    from mlflow.models import Model

    config = Model.load(str(folder / "MLmodel")).flavors["python_function"]["config"]
    assert config["risk_threshold"] == scorer.threshold
    assert "high_risk" in config["output_columns"]
    edited = {**config, "risk_threshold": scorer.threshold + 0.1}
    with pytest.raises(InferenceRefused, match="refusing to serve a decision nobody certified"):
        RecidivismService(scorer.features, scorer.classifier, edited)
