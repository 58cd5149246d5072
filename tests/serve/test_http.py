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
from sanitizer.registry import Registry
from sanitizer.serve import load_certified, make_server

from .conftest import AS_OF, audit_entries, record_sealing


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
    nobody = body["predictions"][1]
    threshold = served.scorer.threshold
    assert nobody == {
        "PERSON_ID": "nobody",
        "risk": None,
        "recidivist": False,
        "high_risk": False,
        "risk_threshold": pytest.approx(threshold, rel=1e-12),  # JSON keeps 15 digits
    }
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


class _MlflowServe:
    """``mlflow models serve -m MODEL --env-manager local`` in its own process group."""

    def __init__(self, model: str, home, data, **env):
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        if not mlflow_cli.exists():
            pytest.skip("the mlflow command is not installed next to this Python")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            # MLflow execs ``uvicorn`` by name: the one installed beside it
            "PATH": f"{mlflow_cli.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "SANITIZER_DATA": str(data),
            "SANITIZER_HOME": str(home.path),
            "MLFLOW_PYFUNC_INFERENCE_CONFIG": json.dumps({"serving_as_of": AS_OF.isoformat()}),
            **env,
        }
        for name in ("MLFLOW_TRACKING_URI", "SANITIZER_DB_URL"):
            if name not in env:
                environment.pop(name, None)
        self.child = subprocess.Popen(
            [
                str(mlflow_cli),
                "models",
                "serve",
                "-m",
                model,
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def stderr(self) -> str:
        return self.child.stderr.read().decode(errors="replace")[-6000:]

    def wait_up(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.child.poll() is not None:
                pytest.fail(f"mlflow models serve exited: {self.stderr()}")
            try:
                if _call(f"{self.url}/ping")[0] == 200:
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow models serve did not answer within {seconds:.0f} s")
            time.sleep(0.5)

    def wait_exit(self, seconds: float = 120) -> tuple[int, str]:
        """(exit code, stderr) of a server that should refuse to start."""
        try:
            self.child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pytest.fail(f"mlflow models serve is still running after {seconds:.0f} s")
        return self.child.returncode, self.stderr()

    def stop(self) -> None:
        if self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGTERM)
        self.child.wait(timeout=30)


def test_mlflow_models_serve_serves_only_a_certified_version_guarded(isolated, tmp_path):
    """MLflow's own server, on the pyfunc alone: the certificate checks and the guard.

    Two servers at once (start-up takes seconds each): a tampered copy of the certified
    folder, which must not start, and ``models:/recidivism@certified`` (what the README
    shows), which answers guarded and audited until a sealing decertifies it.
    """
    served = isolated  # its own registry and MLflow database (the artifacts are shared)
    store = ModelStore.for_home(served.home)
    ref = store.certified("recidivism")
    source = store.model_dir(ref)
    tampered = tmp_path / "tampered"
    shutil.copytree(source, tampered)
    weight = sorted((tampered / "artifacts").glob("*.skops"))[0]
    weight.write_bytes(weight.read_bytes() + b"\0")
    refused = _MlflowServe(str(tampered), served.home, served.data)
    serving = _MlflowServe(
        "models:/recidivism@certified",
        served.home,
        served.data,
        MLFLOW_TRACKING_URI=served.home.mlflow_uri,
    )
    try:
        code, stderr = refused.wait_exit()
        assert code != 0 and "NotCertified" in stderr
        assert "no registered version of recidivism" in stderr
        reasons = [e["detail"]["reason"] or "" for e in audit_entries(served.home)]
        assert any(f"{tampered}: these model files are no registered version" in r for r in reasons)

        serving.wait_up()
        url = serving.url
        extra = {
            "dataframe_split": {
                "columns": ["PERSON_ID", "PERP_RACE"],
                "data": [["P00000258", "BLACK"]],
            }
        }
        status, body = _call(f"{url}/invocations", extra)
        assert status == 400 and "PERP_RACE" in body["message"]
        status, body = _call(f"{url}/invocations", {"dataframe_records": [{"PERSON_ID": "x"}]})
        assert status == 200 and body["predictions"][0]["recidivist"] is False
        last = audit_entries(served.home)[-2:]
        assert [e["outcome"] for e in last] == ["REFUSED", "DONE"]
        assert all(e["detail"]["model"] == "recidivism" for e in last)
        assert {e["detail"]["version"] for e in last} == {ref.version}

        # `events apply` seals a record the model used, and decertifies it
        key = served.used["recidivism"][0]
        record_sealing(Registry(served.home), key, "test-mlflow-serve-sealed")
        store.decertify("recidivism", ref.version, f"1 arrest(s) it used: {key}", [key])
        status, body = _call(f"{url}/invocations", {"dataframe_records": [{"PERSON_ID": "x"}]})
        assert status == 403 and f"excluded since it was certified ({key})" in body["message"]
        last = audit_entries(served.home)[-1]
        assert last["outcome"] == "REFUSED" and key in last["detail"]["reason"]
    finally:
        refused.stop()
        serving.stop()
        # MLflow loaded the store's own folder in place, and wrote its metadata there
        meta = source / "registered_model_meta"
        written = meta.is_file()
        meta.unlink(missing_ok=True)
        shutil.rmtree(source / "__pycache__", ignore_errors=True)
    assert written, "mlflow models serve -m models:/... loads the store's folder in place"
