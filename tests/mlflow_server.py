"""A real ``mlflow server`` subprocess for tests: started on a free port, stopped for sure.

The server is the venv's own ``mlflow`` (so it needs nothing the machine lacks), with a
SQLite backend store copied from the migrated template (no migrations at start-up) and
proxied artifacts (``--serve-artifacts``): clients see ``mlflow-artifacts:/`` URIs and
never the server's folder, as with a team server on another host. Job execution (huey
workers, unused here) is switched off. The server runs in its own process group, so
:meth:`MlflowServer.stop` ends it and its uvicorn worker together, killing them if they
do not stop within a few seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: Seconds to wait for ``/health`` (MLflow imports a lot; a loaded 2-core machine is slow).
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0


def mlflow_executable() -> str | None:
    """The ``mlflow`` script next to the running interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("mlflow")
    if beside.is_file():
        return str(beside)
    return shutil.which("mlflow")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class MlflowServer:
    """One running server: its URL, its folders and its process."""

    url: str
    folder: Path
    process: subprocess.Popen
    log: Path

    @property
    def artifacts(self) -> Path:
        """The server's artifact store (``--artifacts-destination``)."""
        return self.folder / "artifacts"

    def local_path(self, uri: str) -> Path:
        """Where an ``mlflow-artifacts:/`` URI's files live in the server's store."""
        prefix = "mlflow-artifacts:"
        if not uri.startswith(prefix):
            raise ValueError(f"{uri!r} is not served by this server")
        return self.artifacts / uri[len(prefix) :].lstrip("/")

    @classmethod
    def start(cls, folder: Path, template_db: Path | None = None) -> MlflowServer:
        """Start a server in ``folder`` and wait until ``/health`` answers."""
        executable = mlflow_executable()
        if executable is None:
            raise FileNotFoundError("no mlflow executable beside the interpreter or on PATH")
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "mlflow.db"
        if template_db is not None:
            shutil.copy(template_db, database)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        last_error = ""
        for _attempt in range(3):  # the free port may be taken between probe and bind
            port = _free_port()
            log = folder / f"server-{port}.log"
            command = [
                executable, "server",
                "--backend-store-uri", f"sqlite:///{database}",
                "--serve-artifacts",
                "--artifacts-destination", str(folder / "artifacts"),
                "--host", "127.0.0.1",
                "--port", str(port),
                "--workers", "1",
            ]  # fmt: skip
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=folder,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            server = cls(f"http://127.0.0.1:{port}", folder, process, log)
            try:
                server._wait_healthy()
                return server
            except RuntimeError as error:
                last_error = str(error)
                server.stop()
        raise RuntimeError(last_error)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with {self.process.returncode}:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"mlflow server not healthy after {START_TIMEOUT_S:.0f}s:\n{self.tail()}"
        )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server's process group; SIGKILL it if it is still there shortly after."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        # the uvicorn worker may outlive the ``mlflow server`` parent: end the group for sure
        self._signal(signal.SIGKILL)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)  # the group this server leads (its own session)
        except (ProcessLookupError, PermissionError):
            pass
