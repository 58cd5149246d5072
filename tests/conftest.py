"""Fixtures shared by every test module."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("SANITIZER_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    """Tests needing a missing service skip, unless CI demands the service (CONTRACT.md)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"SANITIZER_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """The seed-0 `tiny` synthetic world, written once per test session (worker)."""
    from sanitizer.synth import generate, write_world

    directory = tmp_path_factory.mktemp("tiny-world")
    write_world(generate("tiny", 0), directory, "parquet")
    return directory


@pytest.fixture(scope="session")
def tiny_tables(tiny_world):
    from sanitizer.tables import read_tables

    return read_tables(tiny_world)


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory):
    """An MLflow SQLite store with its schema migrated, made once per worker.

    Creating a tracking database runs every MLflow migration (seconds each time); homes
    in tests start from a copy of this file instead.
    """
    from sanitizer.certify import ModelStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    store = ModelStore(f"sqlite:///{folder / 'mlflow.db'}", folder / "mlartifacts")
    store.client.search_experiments()
    store.client.search_registered_models()
    return folder / "mlflow.db"


@pytest.fixture()
def model_home(tmp_path, monkeypatch, mlflow_db_template):
    """A fresh sanitizer home whose MLflow store is ready (a copy of the template)."""
    import shutil

    from sanitizer._home import Home

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    home = Home.resolve(tmp_path / "home").ensure()
    shutil.copy(mlflow_db_template, home.path / "mlflow.db")
    return home


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory, mlflow_db_template):
    """A real ``mlflow server`` over HTTP (the venv's), shared by the session (worker).

    Proxied artifacts in ``server.artifacts``; see ``tests/mlflow_server.py``. It is stopped,
    and killed if need be, at the end of the session however the tests ended.
    """
    from mlflow_server import MlflowServer, mlflow_executable

    if mlflow_executable() is None:
        skip_or_fail("the mlflow executable is not installed (pip install -e '.[test]')")
    server = MlflowServer.start(tmp_path_factory.mktemp("mlflow-server"), mlflow_db_template)
    try:
        yield server
    finally:
        server.stop()
