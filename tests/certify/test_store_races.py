"""The first retrain of a model, twice at once: MLflow's get-then-create steps race.

Both processes find no experiment ``sanitizer/NAME`` (or no registered model NAME) and
both create it; MLflow refuses the second create (the name is taken). The loser must use
the winner's, not crash after training. Here the "other process" creates it exactly
between the lookup and the create, which the process race test can only hope to hit.
"""

from __future__ import annotations

import pytest

from sanitizer.certify import ModelStore


@pytest.fixture()
def stores(model_home):
    """Two stores on one home, as two processes would have."""
    return ModelStore.for_home(model_home), ModelStore.for_home(model_home)


def test_an_experiment_created_meanwhile_is_used(stores, monkeypatch):
    mine, other = stores
    lookup = mine.client.get_experiment_by_name
    calls = []

    def not_yet(name):
        calls.append(name)
        if len(calls) == 1:
            other.experiment_id("recidivism")  # the other process wins the create
            return None
        return lookup(name)

    monkeypatch.setattr(mine.client, "get_experiment_by_name", not_yet)
    assert mine.experiment_id("recidivism") == other.experiment_id("recidivism")
    assert [e.name for e in other.client.search_experiments()].count("sanitizer/recidivism") == 1


def test_a_registered_model_created_meanwhile_is_used(stores, monkeypatch, tmp_path):
    from mlflow.exceptions import MlflowException

    mine, other = stores
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    with mine.run("recidivism", {"policy": "strict"}) as run_id:
        mine.log_model_dir(run_id, folder)

    def not_yet(name):
        other.client.create_registered_model(name)  # the other process wins the create
        monkeypatch.undo()
        raise MlflowException(f"Registered Model with name={name} not found")

    monkeypatch.setattr(mine.client, "get_registered_model", not_yet)
    ref = mine.register("recidivism", run_id, {"policy": "strict"})
    assert (ref.version, ref.status) == (1, "pending")
    assert [m.name for m in other.client.search_registered_models()] == ["recidivism"]
