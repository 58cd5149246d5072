"""Weights are skops files read against explicit trusted types; the folder holds no pickle."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from sanitizer.serve import (
    TRUSTED_TYPES,
    NotCertified,
    UntrustedWeights,
    dump_weights,
    load_weights,
    package_model,
)
from sanitizer.train import PairSampler, ShardedForest


def test_a_sharded_forest_round_trips_shard_by_shard(served, tmp_path):
    forest = served.pattern_parts["model"]
    assert isinstance(forest, ShardedForest)
    files = dump_weights({"model": forest}, tmp_path)
    fitted = [k for k, f in enumerate(forest.estimators_) if f is not None]
    assert sorted(files) == ["model", *[f"model.shard-{k:03d}" for k in fitted]]
    loaded = load_weights(files)["model"]
    X = np.random.default_rng(0).random((50, forest.n_features_in_))
    np.testing.assert_array_equal(loaded.predict_proba(X), forest.predict_proba(X))


def test_a_weight_file_holding_an_unlisted_type_is_refused(tmp_path):
    assert "sanitizer.train._pattern.PairSampler" not in TRUSTED_TYPES
    files = dump_weights({"sampler": PairSampler()}, tmp_path)
    with pytest.raises(UntrustedWeights, match="sanitizer.train._pattern.PairSampler"):
        load_weights(files)


def test_the_packaged_pyfunc_refuses_a_swapped_weight_file(served, tmp_path, clean_env):
    """Swapped weights never load: the folder is no certified version any more, and the
    weight loader the pyfunc reads them with refuses the untrusted type anyway."""
    import mlflow.pyfunc

    folder = package_model(
        tmp_path / "model",
        kind="patternizr",
        name="patternizr-burglary",
        policy="strict",
        weights=served.pattern_parts,
        model_config={"ky_cd": "107"},
    )
    assert not list(folder.rglob("*.pkl")), "nothing is pickled"
    assert "_pyfunc_code.py" in (folder / "MLmodel").read_text()
    pins = (folder / "requirements.txt").read_text().splitlines()
    assert {p.split("==")[0] for p in pins} >= {"skops", "mlflow", "scikit-learn"}
    sneaky = dump_weights({"featurizer": PairSampler()}, tmp_path / "sneaky")["featurizer"]
    shutil.copy(sneaky, folder / "artifacts" / "featurizer.skops")
    with pytest.raises(NotCertified, match="no registered version of patternizr-burglary"):
        mlflow.pyfunc.load_model(
            str(folder),
            model_config={"serving_home": str(served.home.path), "serving_data": str(served.data)},
        )
    files = {p.stem: str(p) for p in (folder / "artifacts").glob("*.skops")}
    with pytest.raises(UntrustedWeights, match="PairSampler"):
        load_weights(files)
