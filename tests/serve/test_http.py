"""Serving over HTTP: ``sanitizer serve``'s server, the CLI, and ``mlflow models serve``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.certify import ModelStore
from sanitizer.cli import app
from sanitizer.serve import load_certified, make_server

from .conftest import AS_OF, audit_entries


def _call(url: str, payload: dict | None = None) -> tuple[int, dict]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body) if body.strip() else {}


@pytest.fixture()
def server(served):
    model = load_certified("recidivism", as_of=AS_OF, home=served.home, data=served.data)
    httpd = make_server(model, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_http_server_answers_mlflow_payloads_guarded(server, served):
    status, health = _call(f"{server}/health")
    assert status == 200 and health["status"] == "ok" and health["model"] == "recidivism"
    split = {"dataframe_split": {"columns": ["PERSON_ID"], "data": [["P00000258"], ["nobody"]]}}
    status, body = _call(f"{server}/invocations", split)
    assert status == 200
    assert [r["PERSON_ID"] for r in body["predictions"]] == ["P00000258", "nobody"]
    assert body["predictions"][1] == {"PERSON_ID": "nobody", "risk": None, "recidivist": False}
    records = {"dataframe_records": [{"PERSON_ID": "P00000258", "AS_OF": "2026-01-01"}]}
    status, body = _call(f"{server}/invocations", records)
    assert status == 200 and len(body["predictions"]) == 1
    extra = {"dataframe_records": [{"PERSON_ID": "P00000258", "PERP_RACE": "BLACK"}]}
    status, body = _call(f"{server}/invocations", extra)
    assert status == 400 and "PERP_RACE" in body["message"]
    status, body = _call(f"{server}/invocations", {"instances": [1]})
    assert status == 400 and "dataframe_split" in body["message"]
    outcomes = [e["outcome"] for e in audit_entries(served.home)[-3:]]
    assert outcomes == ["DONE", "DONE", "REFUSED"]


def test_serve_refuses_to_start_a_model_that_may_not_serve(served):
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "serve",
            "models:/patternizr-grand-larceny@certified",
            "--home",
            str(served.home.path),
            "--data",
            str(served.data),
            "--port",
            "0",
        ],
    )
    assert result.exit_code == 1
    assert "no certified version" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mlflow_models_serve_serves_guarded(served, tmp_path):
    """The pyfunc alone, under MLflow's own server, still refuses extras and audits."""
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    if not mlflow_cli.exists():
        pytest.skip("the mlflow command is not installed next to this Python")
    store = ModelStore.for_home(served.home)
    folder = tmp_path / "model"
    shutil.copytree(store.model_dir(store.certified("recidivism")), folder)
    port = _free_port()
    env = {
        **os.environ,
        # MLflow execs ``uvicorn`` by name: the one installed beside it
        "PATH": f"{mlflow_cli.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SANITIZER_DATA": str(served.data),
        "SANITIZER_HOME": str(served.home.path),
        "MLFLOW_PYFUNC_INFERENCE_CONFIG": json.dumps({"serving_as_of": AS_OF.isoformat()}),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    child = subprocess.Popen(
        [str(mlflow_cli), "models", "serve", "-m", str(folder), "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if child.poll() is not None:
                pytest.fail(f"mlflow models serve exited: {child.stderr.read().decode()[-6000:]}")
            try:
                if _call(f"{url}/ping")[0] == 200:
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("mlflow models serve did not answer within 90 s")
            time.sleep(0.5)
        extra = {"dataframe_split": {"columns": ["PERSON_ID", "PERP_RACE"],
                                     "data": [["P00000258", "BLACK"]]}}
        status, body = _call(f"{url}/invocations", extra)
        assert status == 400 and "PERP_RACE" in body["message"]
        status, body = _call(f"{url}/invocations", {"dataframe_records": [{"PERSON_ID": "x"}]})
        assert status == 200 and body["predictions"][0]["recidivist"] is False
        last = audit_entries(served.home)[-2:]
        assert [e["outcome"] for e in last] == ["REFUSED", "DONE"]
        assert last[1]["detail"]["model"] == "recidivism"
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=30)
