"""MLflow as the model registry: a run for every retrain, a version only for certified ones.

The layout (tags, artifacts, the ``certified`` alias) is fixed in ``docs/model-registry.md``
so that serving, ``verify``, the compliance report and reviewers can rely on it. The
tracking store is the home's SQLite file with artifacts in ``HOME/mlartifacts/`` unless
``MLFLOW_TRACKING_URI`` names a server.

Ordering is what makes certification crash-safe: a version is created with status
``pending``, then every tag and artifact is written, and only then does the alias move
(:meth:`ModelStore.promote`). A crash anywhere before that leaves the alias on the
previous certified version; a pending version is never loaded (serving resolves the
alias and checks the status tag and certificate).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .._errors import BadInput, Refused

__all__ = [
    "ALIAS",
    "LOADER_WRITTEN",
    "MODEL_NAMES",
    "ModelStore",
    "ModelVersionRef",
    "artifact_digest",
    "loader_written",
    "parse_model_uri",
    "unexpected_bytecode",
]

ALIAS = "certified"
MODEL_NAMES = (
    "patternizr-burglary",
    "patternizr-robbery",
    "patternizr-grand-larceny",
    "recidivism",
)
TAG = "sanitizer."
#: The run artifact folder holding the pyfunc.
MODEL_PATH = "model"
#: Prefix of the temporary folders :meth:`ModelStore.model_dir` downloads into.
_DOWNLOAD_PREFIX = "sanitizer-model-"
_URI = re.compile(r"^models:/(?P<name>[A-Za-z0-9_.-]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_model_uri(uri: str) -> tuple[str, int | None, str | None]:
    """``models:/NAME/VERSION`` or ``models:/NAME@ALIAS`` as (name, version, alias)."""
    match = _URI.match(uri or "")
    if not match:
        raise BadInput(f"MODEL_URI {uri!r} is not models:/NAME/VERSION or models:/NAME@certified")
    version = match["version"]
    return match["name"], None if version is None else int(version), match["alias"]


#: What loading a model folder writes into it, never part of its digest: MLflow's
#: ``registered_model_meta`` (written into the folder a ``models:/`` URI resolves to, the
#: store's own folder when artifacts are local) and the bytecode cache Python writes beside
#: the folder's ``_pyfunc_code.py`` when it executes it (``__pycache__/`` at the top).
LOADER_WRITTEN = ("registered_model_meta", "__pycache__")


def loader_written(relative: Path) -> bool:
    """Whether a path relative to a model folder is one :data:`LOADER_WRITTEN` names."""
    parts = relative.parts
    return bool(parts) and (
        (parts[0] == "registered_model_meta" and len(parts) == 1) or parts[0] == "__pycache__"
    )


def unexpected_bytecode(directory: Path | str) -> list[str]:
    """Files under a model folder's ``__pycache__/`` that are not its own code, compiled.

    The digest leaves ``__pycache__`` out because running the folder's
    ``_pyfunc_code.py`` in place (``mlflow models serve -m models:/...``) writes it. But
    Python runs a cached file instead of the source whenever its header says so (an
    unchecked-hash ``.pyc``, or one whose recorded size and time match the source), so a
    planted one would run someone else's code there. Each ``.pyc`` must decode to the
    code object that compiling its source (``NAME.py`` beside ``__pycache__``) gives now;
    one for another Python version cannot be checked and is listed too (deleting
    ``__pycache__`` is always safe).
    """
    import importlib.util
    import marshal

    root = Path(directory)
    cache = root / "__pycache__"
    if not cache.is_dir() and not cache.is_symlink():
        return []
    found = []
    for path in sorted([cache, *cache.rglob("*")]):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found.append(f"{relative} (a symbolic link)")
            continue
        if path.is_dir():
            if path != cache:
                found.append(f"{relative} (a folder)")
            continue
        parts = path.name.split(".")
        source = root / f"{parts[0]}.py"
        if parts[-1] != "pyc" or not source.is_file():
            found.append(f"{relative} (not the bytecode of a file of the model)")
            continue
        data = path.read_bytes()
        if data[:4] != importlib.util.MAGIC_NUMBER:
            found.append(f"{relative} (bytecode of another Python version, not checked)")
            continue
        optimize = next((int(p[4:]) for p in parts if p.startswith("opt-") and p[4:].isdigit()), 0)
        try:
            cached = marshal.loads(data[16:])
            expected = compile(
                source.read_bytes(), str(source), "exec", dont_inherit=True, optimize=optimize
            )
        except (ValueError, EOFError, TypeError, SyntaxError):
            found.append(f"{relative} (unreadable)")
            continue
        if cached != expected:
            found.append(f"{relative} (does not match {source.name})")
    return found


def artifact_digest(directory: Path | str) -> str:
    """SHA-256 over a folder's files: sorted relative paths, each with its content's hash.

    What the certificate binds and serving re-checks on disk before loading anything.
    The files loading writes into a folder (:data:`LOADER_WRITTEN`) are left out, so that
    serving a version with ``mlflow models serve -m models:/NAME/VERSION`` does not turn
    it into a tampered one (:func:`unexpected_bytecode` checks what is there instead).

    A symbolic link counts as its target's name, never as what it points at: a model
    folder holds none, and one added to it (a linked folder, which walking the folder
    would not enter) must change the digest rather than vanish from it.
    """
    root = Path(directory)
    outer = hashlib.sha256()
    entries = (p for p in root.rglob("*") if p.is_symlink() or p.is_file())
    for path in sorted(p for p in entries if not loader_written(p.relative_to(root))):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            outer.update(f"{relative}\0symlink\0{os.readlink(path)}\n".encode())
            continue
        inner = hashlib.sha256(path.read_bytes()).hexdigest()
        outer.update(f"{relative}\0{inner}\n".encode())
    return outer.hexdigest()


@dataclass(frozen=True)
class ModelVersionRef:
    """One registered version: where it is and what its tags say."""

    name: str
    version: int
    run_id: str
    source: str
    tags: Mapping[str, str]
    aliases: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def status(self) -> str:
        return self.tags.get(f"{TAG}status", "")

    def tag(self, name: str, default: str = "") -> str:
        return self.tags.get(f"{TAG}{name}", default)


def _local_path(uri: str) -> Path | None:
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    if "://" not in uri and not uri.startswith("mlflow-artifacts:"):
        return Path(uri)
    return None


class ModelStore:
    """The MLflow side of certification for one home (or tracking server).

    Parameters
    ----------
    tracking_uri : str
        ``sqlite:///HOME/mlflow.db`` by default, or an ``http(s)://`` server.
    artifacts_root : path, optional
        Where new experiments keep artifacts (``HOME/mlartifacts``); a server decides
        itself when None.
    """

    def __init__(self, tracking_uri: str, artifacts_root: Path | None = None):
        # MLflow logs its database migrations and emits warnings on stderr at INFO level;
        # a command's stderr is for its progress and errors.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        # Against a tracking server, MLflow writes "View run ... at: URL" lines to *stdout*
        # whenever a run ends, which would break `--json`'s one object on stdout.
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
        from mlflow import MlflowClient

        logging.getLogger("mlflow").setLevel(logging.WARNING)

        self.tracking_uri = tracking_uri
        self.artifacts_root = None if artifacts_root is None else Path(artifacts_root)
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    @classmethod
    def for_home(cls, home) -> ModelStore:
        """The store of a :class:`sanitizer._home.Home` (its ``mlflow_uri``).

        Refused for a home moved or copied from elsewhere until it is relocated (its
        MLflow store would read the other home's artifacts; see ``_relocate``).
        """
        from ._relocate import check_location

        local = home.mlflow_uri.startswith("sqlite:")
        if local:
            check_location(home)
        return cls(home.mlflow_uri, home.artifacts_dir if local else None)

    # --- runs ---------------------------------------------------------------------------------
    def experiment_id(self, name: str) -> str:
        """The experiment ``sanitizer/NAME``, created on first use.

        Two first retrains of a model at once both find no experiment; the one whose
        create fails (the name is taken) uses the other's.
        """
        from mlflow.exceptions import MlflowException

        experiment_name = f"sanitizer/{name}"
        found = self.client.get_experiment_by_name(experiment_name)
        if found is not None:
            return found.experiment_id
        location = None
        if self.artifacts_root is not None:
            folder = self.artifacts_root / name
            folder.mkdir(parents=True, exist_ok=True)
            location = folder.as_uri()
        try:
            return self.client.create_experiment(experiment_name, artifact_location=location)
        except MlflowException:
            found = self.client.get_experiment_by_name(experiment_name)
            if found is None:
                raise
            return found.experiment_id

    def start_run(self, name: str, tags: Mapping[str, str]) -> str:
        """A new run for one retrain of ``name``; returns its id."""
        if name not in MODEL_NAMES:
            raise BadInput(f"unknown model name {name!r}; expected one of {MODEL_NAMES}")
        run = self.client.create_run(
            self.experiment_id(name),
            tags={f"{TAG}model_name": name, **{f"{TAG}{k}": str(v) for k, v in tags.items()}},
            run_name=f"{name} {datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
        )
        return run.info.run_id

    def set_run_tags(self, run_id: str, tags: Mapping[str, object]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, f"{TAG}{key}", _tag_text(value))

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        stamp = int(datetime.now(UTC).timestamp() * 1000)
        entries = [
            Metric(key, float(value), stamp, 0)
            for key, value in sorted(metrics.items())
            if value is not None and value == value  # NaN is not a metric
        ]
        if entries:
            self.client.log_batch(run_id, metrics=entries)

    def log_files(self, run_id: str, files: Mapping[str, bytes | str]) -> None:
        """Log small artifacts given as ``{relative path: content}`` in one go."""
        with tempfile.TemporaryDirectory(prefix="sanitizer-artifacts-") as tmp:
            for relative, content in files.items():
                path = Path(tmp) / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                data = content.encode("utf-8") if isinstance(content, str) else content
                path.write_bytes(data)
            self.client.log_artifacts(run_id, tmp)

    def log_model_dir(self, run_id: str, model_dir: Path) -> None:
        self.client.log_artifacts(run_id, str(model_dir), MODEL_PATH)

    def finish_run(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status)

    @contextmanager
    def run(self, name: str, tags: Mapping[str, str]) -> Iterator[str]:
        """A run that is ended FAILED and deleted if the block raises.

        A crash leaves the tracking store as it was for every reader (MLflow keeps a
        deleted run in its database until garbage collection, invisible to searches).
        """
        run_id = self.start_run(name, tags)
        try:
            yield run_id
        except BaseException:
            self.finish_run(run_id, "FAILED")
            self.client.delete_run(run_id)
            raise
        self.finish_run(run_id, "FINISHED")

    # --- versions -----------------------------------------------------------------------------
    def register(self, name: str, run_id: str, tags: Mapping[str, object]) -> ModelVersionRef:
        """Create a *pending* version from the run's model folder, with its tags.

        Not serving-visible until :meth:`promote` moves the alias to it.
        """
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException:
            try:
                self.client.create_registered_model(name)
            except MlflowException:
                # a concurrent first retrain of the same model created it meanwhile
                self.client.get_registered_model(name)
        run = self.client.get_run(run_id)
        source = f"{run.info.artifact_uri}/{MODEL_PATH}"
        all_tags = {f"{TAG}{k}": _tag_text(v) for k, v in tags.items()}
        all_tags[f"{TAG}status"] = "pending"
        version = self.client.create_model_version(name, source, run_id=run_id, tags=all_tags)
        return self.get(name, int(version.version))

    def set_version_tags(self, name: str, version: int, tags: Mapping[str, object]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(name, str(version), f"{TAG}{key}", _tag_text(value))

    def promote(self, name: str, version: int) -> None:
        """Mark the version certified and move the alias to it: the last step of certifying."""
        self.set_version_tags(name, version, {"status": "certified", "certified_at": _now()})
        self.client.set_registered_model_alias(name, ALIAS, str(version))

    def decertify(self, name: str, version: int, reason: str, by: list[str] | str) -> bool:
        """Take a version out of service: alias removed if it points here, tags set.

        Returns whether the alias was removed (False: it already served another version).
        """
        by_text = by if isinstance(by, str) else ",".join(by)
        self.set_version_tags(
            name,
            version,
            {
                "status": "decertified",
                "decertified_at": _now(),
                "decertified_reason": reason,
                "decertified_by": by_text[:4000],
            },
        )
        current = self.certified(name)
        if current is not None and current.version == version:
            self.client.delete_registered_model_alias(name, ALIAS)
            return True
        return False

    def get(self, name: str, version: int) -> ModelVersionRef:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_model_version(name, str(version))
        except MlflowException:
            raise Refused(f"models:/{name}/{version} is not registered") from None
        return _ref(found)

    def certified(self, name: str) -> ModelVersionRef | None:
        """The version the ``certified`` alias points at, or None."""
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_model_version_by_alias(name, ALIAS)
        except MlflowException:
            return None
        return _ref(found)

    def resolve(self, uri: str) -> ModelVersionRef:
        """The version a ``models:/`` URI names; Refused when there is none."""
        name, version, alias = parse_model_uri(uri)
        if alias is not None:
            if alias != ALIAS:
                raise BadInput(f"only the alias @{ALIAS} is used; got @{alias} in {uri!r}")
            found = self.certified(name)
            if found is None:
                raise Refused(f"{name} has no certified version (alias @{ALIAS} is not set)")
            return found
        return self.get(name, version)

    def versions(self, name: str) -> list[ModelVersionRef]:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.search_model_versions(f"name = '{name}'")
        except MlflowException:
            return []
        return sorted((_ref(v) for v in found), key=lambda r: r.version)

    def certified_versions(self) -> list[ModelVersionRef]:
        """Every version currently behind a ``certified`` alias."""
        return [ref for name in MODEL_NAMES if (ref := self.certified(name)) is not None]

    # --- artifacts ----------------------------------------------------------------------------
    def model_dir(self, ref: ModelVersionRef) -> Path:
        """The version's model folder on local disk (downloaded when the store is remote)."""
        local = _local_path(ref.source)
        if local is not None and local.exists():
            return local
        from mlflow.artifacts import download_artifacts

        target = Path(tempfile.mkdtemp(prefix=_DOWNLOAD_PREFIX))
        try:
            return Path(
                download_artifacts(
                    artifact_uri=ref.source, dst_path=str(target), tracking_uri=self.tracking_uri
                )
            )
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise

    def read_artifact(self, run_id: str, path: str) -> bytes:
        """One run artifact's bytes (``certificate.json``, ``lineage/...``)."""
        from mlflow.exceptions import MlflowException

        run = self.client.get_run(run_id)
        local = _local_path(run.info.artifact_uri)
        if local is not None:
            file = local / path
            if not file.is_file():
                raise Refused(f"run {run_id} has no artifact {path}")
            return file.read_bytes()
        with tempfile.TemporaryDirectory(prefix="sanitizer-artifact-") as tmp:
            try:
                got = self.client.download_artifacts(run_id, path, tmp)
            except (MlflowException, OSError):
                raise Refused(f"run {run_id} has no artifact {path}") from None
            return Path(got).read_bytes()

    def read_json(self, run_id: str, path: str) -> dict:
        return json.loads(self.read_artifact(run_id, path))

    def delete_local_copy(self, path: Path, ref: ModelVersionRef) -> None:
        """Remove a copy :meth:`model_dir` downloaded (never the store's own folder).

        The copy sits in a private temporary folder (``sanitizer-model-*``), which goes too.
        """
        path = Path(path)
        if _local_path(ref.source) == path:
            return
        parent = path.parent
        ours = parent.name.startswith(_DOWNLOAD_PREFIX)
        shutil.rmtree(parent if ours else path, ignore_errors=True)


def _tag_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _ref(found) -> ModelVersionRef:
    return ModelVersionRef(
        name=found.name,
        version=int(found.version),
        run_id=found.run_id,
        source=found.source,
        tags=dict(found.tags or {}),
        aliases=tuple(getattr(found, "aliases", ()) or ()),
    )
