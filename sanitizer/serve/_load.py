"""Load a certified model, or refuse with the reason: the certificate is checked first.

Two steps, one implementation, whoever loads the model:

- :func:`check_version` (the **check** step) decides whether a registered version may
  serve, cheapest check first, and returns it :class:`Verified`; any failure raises
  :class:`~sanitizer._errors.Refused` naming it:

  1. the version's ``sanitizer.status`` tag is ``certified`` and the alias points at it;
  2. the run has a ``certificate.json``, in the certificate format;
  3. its Ed25519 signature is valid under a key this home trusts;
  4. it names this model and version;
  5. ``valid_until`` has not passed at ``as_of`` (default today, UTC);
  6. no record the version used has been excluded since (``LineageIndex.excluded_since``),
     and the registry itself checks out;

  then :func:`check_digest`: the model folder's :func:`~sanitizer.certify.artifact_digest`
  equals the certificate's ``artifact_sha256``, computed on a private copy, which is then
  the copy loaded, so a file swapped after the check is never read.
- The **load** step reads the weights from that copy and builds the guard.

:func:`load_certified` resolves ``models:/NAME@certified``, checks, copies, loads the
pyfunc from the copy and, after loading, checks the alias still points at the version.
The pyfunc's own ``load_context`` (:func:`certify_loaded`) runs the same checks on the
folder MLflow hands it, so ``mlflow models serve -m FOLDER_OR_URI --env-manager local``
refuses to start on a folder that is not, file for file, a certified version: it finds the
version from the ``serving_version`` model config, MLflow's ``registered_model_meta``
(written when the model was given as a ``models:/`` URI) or the folder's digest, in the
home of ``serving_home`` / ``SANITIZER_HOME``. Loading through :func:`load_certified`
hands its verdict to ``load_context`` in-process (never through the environment), so the
checks run once.

A loaded model keeps checking while it serves (:class:`Certification`, consulted by
every ``predict``): when the home records new exclusions, when the date passes
``valid_until``, or every few seconds for the status and alias, a model that is no longer
certified refuses every request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED

from .._errors import BadInput, Refused
from .._home import Home
from ..certify import (
    ALIAS,
    Certificate,
    LineageIndex,
    ModelStore,
    ModelVersionRef,
    artifact_digest,
    index_problem,
    parse_model_uri,
)
from ..certify._store import loader_written, unexpected_bytecode
from ..registry import Registry
from ..registry._keys import home_key
from ._guard import MSG_NO_DATA, serving_actor, serving_as_of, serving_home

__all__ = [
    "Certification",
    "GuardedModel",
    "NotCertified",
    "Verified",
    "certify_loaded",
    "check_digest",
    "check_version",
    "load_certified",
    "load_uri",
    "load_version",
    "model_root",
]

MSG_NO_HOME = "{path} holds no models (no home there); run `sanitizer retrain` first"
MSG_STATUS = "{uri} is not certified (status {status!r}{why})"
MSG_ALIAS = "{uri} is not the version serving may load: @{alias} points at {current}"
MSG_NO_CERT = "{uri} has no certificate (certificate.json missing from run {run_id})"
MSG_BAD_CERT = "{uri}: certificate.json is not a certificate ({error})"
MSG_UNKNOWN_KEY = (
    "{uri}: certificate signed by key {key_id}, not by this home's key; only certificates "
    "this home signed are served"
)
MSG_SIGNATURE = "{uri}: the certificate's signature is not valid (edited after signing?)"
MSG_NAME = "{uri}: the certificate is for {cert_name} version {cert_version}, not this version"
MSG_BYTECODE = (
    "{uri}: the model folder holds cached bytecode that is not its own code ({files}); "
    "Python would run it instead of the certified source"
)
MSG_INDEX = (
    "{uri}: {problem}, so a sealing of one of its arrests could go unnoticed; run "
    "`sanitizer verify` and retrain"
)
MSG_EXPIRED = "{uri}: certificate expired on {valid_until} (as of {as_of}); retrain the model"
MSG_SEALED = (
    "{uri} used {n} record(s) excluded since it was certified ({keys}); it must be "
    "retrained before it serves again"
)
MSG_DIGEST = (
    "{uri}: the model files on disk do not match the certificate (artifact digest {got}, "
    "certified {want}); they were changed after certification"
)
MSG_DIGEST_TAG = "{uri}: the version's artifact_sha256 tag differs from its certificate's"
MSG_MOVED = "{uri}: the @{alias} alias moved to {current} while loading; load it again"
MSG_HOME_UNSET = (
    "{path} holds no models (no home there): set SANITIZER_HOME (or the serving_home model "
    "config) to the home that certified this model"
)
MSG_NOT_PACKAGE = "{folder} is not a sanitizer model package (its model config names no model)"
MSG_NO_ROOT = "cannot find the model folder (with its MLmodel) around artifact {path}"
MSG_META = (
    "{folder}: registered_model_meta names {meta}, but the model files are {name}'s; they "
    "were not downloaded from that version"
)
MSG_UNREGISTERED = (
    "{folder}: these model files are no registered version of {name}: their artifact digest "
    "{got} matches none{hint}; they were changed after certification, or never certified"
)
MSG_OVERRIDE = (
    "{folder}: model config key(s) {keys} differ from the packaged model's; only serving_* "
    "keys may be set when loading (check MLFLOW_PYFUNC_INFERENCE_CONFIG)"
)
#: Seconds between alias checks of a serving model (exclusions are checked every request).
RECHECK_SECONDS = 5.0


def _today() -> date:
    return datetime.now(UTC).date()


class NotCertified(Refused, MlflowException):
    """The model may not load or serve (not certified, tampered, expired, sealed since).

    An :class:`~mlflow.exceptions.MlflowException` too, so MLflow's scoring server answers
    it as HTTP 403 with the reason, and ``mlflow models serve`` stops with it at start-up.
    """

    def __init__(self, message: str):
        MlflowException.__init__(self, message, error_code=PERMISSION_DENIED)


@dataclass(frozen=True)
class Verified:
    """A registered version that passed :func:`check_version` (the check step).

    Attributes
    ----------
    ref : ModelVersionRef
    certificate : Certificate
        Signature, name and version checked.
    policy : str
        The policy it was trained under (the certificate's).
    home : Home
    store : ModelStore
    as_of : date or None
        The date it was checked at (None: today, re-read while serving).
    """

    ref: ModelVersionRef
    certificate: Certificate
    policy: str
    home: Home
    store: ModelStore
    as_of: date | None


class Certification:
    """A verified version that keeps checking, while it serves, that it still may.

    Built by the pyfunc's ``load_context``; consulted by every ``predict``. Cheap per
    request: the date against ``valid_until`` in memory; the lineage index and the version's
    status and alias only when the registry's generation (recorded events, recorded
    exclusions, what the inference guard already reads to keep its clean data current)
    has grown since the last request, and the status and alias also every
    :data:`RECHECK_SECONDS`. Once refused, it stays refused.
    """

    def __init__(self, verified: Verified, data):
        self.verified = verified
        self._data = data
        self._index = LineageIndex(data.registry.store.engine)
        self._generation = data.generation()
        self._checked_at = time.monotonic()
        self._refusal: str | None = None
        self._lock = threading.Lock()

    @property
    def uri(self) -> str:
        return self.verified.ref.uri

    def still_certified(self, generation: tuple[int, int] | None = None) -> str | None:
        """None while the model may serve, else why not (and it stays refused).

        ``generation``: :meth:`~sanitizer.serve._guard.CurrentData.generation`, when the
        caller has just read it (a request reads it once).
        """
        with self._lock:
            if self._refusal is not None:
                return self._refusal
            verified, ref = self.verified, self.verified.ref
            as_of = verified.as_of or _today()
            if verified.certificate.expired(as_of):
                self._refusal = MSG_EXPIRED.format(
                    uri=ref.uri, valid_until=verified.certificate.valid_until, as_of=as_of
                )
                return self._refusal
            generation = self._data.generation() if generation is None else generation
            grown = generation != self._generation
            if grown:
                sealed = self._index.excluded_since(ref.name, ref.version, verified.policy)
                if sealed:
                    self._refusal = MSG_SEALED.format(
                        uri=ref.uri, n=len(sealed), keys=", ".join(sealed[:5])
                    )
                    return self._refusal
                self._generation = generation
            if grown or time.monotonic() - self._checked_at > RECHECK_SECONDS:
                store = verified.store
                try:
                    reason = _status_problem(store, store.get(ref.name, ref.version))
                except Refused as error:  # the version itself is gone
                    reason = str(error)
                self._checked_at = time.monotonic()
                if reason:
                    self._refusal = reason
            return self._refusal


class GuardedModel:
    """A certified model, loaded, that keeps checking it may still serve.

    Not built directly: see :func:`load_certified`. ``predict`` answers through the
    pyfunc (its certification re-check, then the inference guard); it raises
    :class:`NotCertified` (a :class:`~sanitizer._errors.Refused`) when the model stopped
    being certified since it was loaded, or the guard's refusal.

    Attributes
    ----------
    name, version, uri : str, int, str
    kind : str
        ``patternizr`` or ``recidivism``.
    certificate : Certificate
    input_columns : list of str
        Columns a request may carry.
    """

    def __init__(self, verified: Verified, pyfunc):
        ref = verified.ref
        self.name = ref.name
        self.version = ref.version
        self.uri = ref.uri
        self.certificate = verified.certificate
        self._pyfunc = pyfunc
        self._model = pyfunc.unwrap_python_model()
        self.kind = self._model.guard.config["kind"]
        self.input_columns = list(self._model.guard.allowed)

    def __repr__(self) -> str:
        return f"GuardedModel({self.uri}, kind={self.kind})"

    @property
    def guard(self):
        """The pyfunc's :class:`~sanitizer.serve._guard.InferenceGuard`."""
        return self._model.guard

    @property
    def certification(self) -> Certification:
        """The pyfunc's :class:`Certification` (the same object its ``predict`` consults)."""
        return self._model.certification

    def still_certified(self, generation: tuple[int, int] | None = None) -> str | None:
        """None while the model may serve, else why not (and it stays refused)."""
        return self.certification.still_certified(generation)

    def predict(self, frame) -> pd.DataFrame:
        """Answer one request (DataFrame, records or dict of columns), guarded and audited.

        Calls the loaded pyfunc's guarded answer directly (MLflow's wrapper adds nothing
        for a model without an input schema).
        """
        return self._model.answer(frame)

    def health(self) -> dict:
        """``{"status": "ok"|"refused", "model", "version", "valid_until", "reason"}``."""
        reason = self.still_certified()
        return {
            "status": "ok" if reason is None else "refused",
            "model": self.name,
            "version": self.version,
            "uri": self.uri,
            "valid_until": self.certificate.valid_until,
            "reason": reason,
        }


def _status_problem(store: ModelStore, ref) -> str | None:
    """Why ``ref`` may not serve by its tags and the alias, or None."""
    if ref.status != "certified":
        why = ref.tag("decertified_reason")
        return MSG_STATUS.format(uri=ref.uri, status=ref.status, why=f": {why}" if why else "")
    current = store.certified(ref.name)
    if current is None or current.version != ref.version:
        where = "nothing" if current is None else f"version {current.version}"
        return MSG_ALIAS.format(uri=ref.uri, alias=ALIAS, current=where)
    return None


def _certificate(store: ModelStore, ref, home: Home) -> Certificate:
    """The version's certificate, signature and identity checked."""
    try:
        document = store.read_json(ref.run_id, "certificate.json")
    except Refused:
        raise Refused(MSG_NO_CERT.format(uri=ref.uri, run_id=ref.run_id)) from None
    except ValueError as error:
        raise Refused(MSG_BAD_CERT.format(uri=ref.uri, error=error)) from None
    try:
        certificate = Certificate.from_dict(document)
    except (TypeError, ValueError) as error:
        raise Refused(MSG_BAD_CERT.format(uri=ref.uri, error=error)) from None
    # the home's own key only, as ``verify`` checks: ``keys/trusted/`` holds other hosts'
    # audit-log keys, and a key trusted to sign checkpoints must not certify models
    own = home_key(home.path)
    if own is None or own.key_id != certificate.key_id:
        raise Refused(MSG_UNKNOWN_KEY.format(uri=ref.uri, key_id=certificate.key_id[:16]))
    if not certificate.verify(own.public_key_pem):
        raise Refused(MSG_SIGNATURE.format(uri=ref.uri))
    if certificate.model_name != ref.name or certificate.model_version != ref.version:
        raise Refused(
            MSG_NAME.format(
                uri=ref.uri,
                cert_name=certificate.model_name,
                cert_version=certificate.model_version,
            )
        )
    return certificate


def _resolve_home(home, message: str = MSG_NO_HOME) -> Home:
    resolved = home if isinstance(home, Home) else Home.resolve(home)
    if resolved.mlflow_uri.startswith("sqlite:") and not (resolved.path / "mlflow.db").exists():
        raise Refused(message.format(path=resolved.path))
    return resolved


def _data_folder(data) -> Path:
    folder = data or os.environ.get("SANITIZER_DATA")
    if not folder:
        raise BadInput(MSG_NO_DATA)
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"data folder {folder} does not exist")
    return folder.absolute()


def _audit_refusal(home: Home, name: str, version, reason: str, actor: str) -> None:
    Registry(home).audit.append(
        {
            "actor": actor,
            "action": "INFERENCE",
            "outcome": "REFUSED",
            "record_ids": [],
            "detail": {
                "model": name,
                "version": version,
                "rows": 0,
                "filtered_candidates": 0,
                "reason": reason,
            },
        }
    )


def check_version(store: ModelStore, ref: ModelVersionRef, home: Home, as_of) -> Verified:
    """The check step: every check of the module docstring but the files' digest.

    Raises :class:`~sanitizer._errors.Refused` at the first failure; cheapest first.
    """
    day = as_of or _today()
    reason = _status_problem(store, ref)
    if reason:
        raise Refused(reason)
    certificate = _certificate(store, ref, home)
    if certificate.expired(day):
        raise Refused(
            MSG_EXPIRED.format(uri=ref.uri, valid_until=certificate.valid_until, as_of=day)
        )
    policy = str(certificate.snapshot.get("policy") or ref.tag("policy") or "strict")
    registry = Registry(home)
    index = LineageIndex(registry.store.engine)
    if certificate.extra.get("used_arrests") is not None:
        wrong = index_problem(certificate.extra, index.count(ref.name, ref.version))
        if wrong:
            raise Refused(MSG_INDEX.format(uri=ref.uri, problem=wrong))
    sealed = index.excluded_since(ref.name, ref.version, policy)
    if sealed:
        raise Refused(MSG_SEALED.format(uri=ref.uri, n=len(sealed), keys=", ".join(sealed[:5])))
    tampered = registry.integrity_problems(chain=False)
    if tampered:
        raise Refused(f"{ref.uri}: the registry does not check out: {'; '.join(tampered[:3])}")
    tag_digest = ref.tag("artifact_sha256")
    if tag_digest and tag_digest != certificate.artifact_sha256:
        raise Refused(MSG_DIGEST_TAG.format(uri=ref.uri))
    return Verified(ref, certificate, policy, home, store, as_of)


def check_digest(verified: Verified, digest: str) -> None:
    """Refuse unless a folder's :func:`artifact_digest` is the certified one."""
    want = verified.certificate.artifact_sha256
    if digest != want:
        raise Refused(MSG_DIGEST.format(uri=verified.ref.uri, got=digest[:16], want=want[:16]))


def _private_copy(source: Path) -> Path:
    """A copy of a model folder in a new temporary folder, without what loaders write.

    Left out (:data:`~sanitizer.certify._store.LOADER_WRITTEN`): they are not in the
    digest, so nothing loaded from the copy is a file the digest did not cover.
    """
    source = Path(source)

    def ignore(directory, names):
        relative = Path(directory).relative_to(source)
        return [n for n in names if loader_written(relative / n)]

    copy = Path(tempfile.mkdtemp(prefix="sanitizer-serve-")) / "model"
    try:
        shutil.copytree(source, copy, ignore=ignore)
    except BaseException:
        shutil.rmtree(copy.parent, ignore_errors=True)
        raise
    return copy


def _discard(copy: Path | None) -> None:
    if copy is not None:
        shutil.rmtree(copy.parent, ignore_errors=True)


#: Set only while :func:`_load` loads its verified private copy: ``(folder, Verified)``.
#: In-process, so ``load_context`` skips re-checking; nothing outside the process sets it.
_HANDED_OVER: ContextVar[tuple[Path, Verified] | None] = ContextVar(
    "sanitizer_verified_folder", default=None
)


def _load(store, ref, home: Home, as_of, data: Path, actor: str) -> GuardedModel:
    """Check, copy, check the copy's digest, load the pyfunc from it (the load step)."""
    import mlflow.pyfunc

    verified = check_version(store, ref, home, as_of)
    source = store.model_dir(ref)
    try:
        # the private copy leaves bytecode out, but `mlflow models serve` runs the
        # store's own folder: planted bytecode there is tampering, refused here too
        planted = unexpected_bytecode(source)
        if planted:
            raise Refused(MSG_BYTECODE.format(uri=ref.uri, files=", ".join(planted[:3])))
        copy = _private_copy(source)
    finally:
        store.delete_local_copy(source, ref)
    try:
        check_digest(verified, artifact_digest(copy))
        overrides = {
            "serving_data": str(data),
            "serving_home": str(home.path),
            "serving_db_url": home.db_url,
            "serving_as_of": "" if as_of is None else as_of.isoformat(),
            "serving_version": str(ref.version),
            "serving_actor": actor,
        }
        token = _HANDED_OVER.set((copy.resolve(), verified))
        try:
            pyfunc = mlflow.pyfunc.load_model(str(copy), model_config=overrides)
        finally:
            _HANDED_OVER.reset(token)
    finally:
        _discard(copy)
    current = store.certified(ref.name)
    if current is None or current.version != ref.version:
        where = "nothing" if current is None else f"version {current.version}"
        raise Refused(MSG_MOVED.format(uri=ref.uri, alias=ALIAS, current=where))
    return GuardedModel(verified, pyfunc)


def model_root(artifacts) -> Path:
    """The folder MLflow loaded (the one holding ``MLmodel``), from the context's artifacts."""
    paths = [Path(p).absolute() for p in dict(artifacts or {}).values()]
    if not paths:
        raise NotCertified(MSG_NO_ROOT.format(path="(none: the model lists no artifacts)"))
    for folder in paths[0].parents:
        if (folder / "MLmodel").is_file():
            return folder
    raise NotCertified(MSG_NO_ROOT.format(path=paths[0]))


def _packaged_config(folder: Path) -> dict:
    from mlflow.models import Model

    flavor = Model.load(str(folder / "MLmodel")).flavors.get("python_function") or {}
    return dict(flavor.get("config") or {})  # mlflow.pyfunc.MODEL_CONFIG


def _check_config(folder: Path, config) -> None:
    """Refuse a load whose config differs from the packaged one outside ``serving_*`` keys.

    MLflow lets ``MLFLOW_PYFUNC_INFERENCE_CONFIG`` (or ``model_config=``) override any key
    of the saved config: the allowed columns, the policy or the name would otherwise change
    without a byte of the certified folder changing.
    """
    saved = _packaged_config(folder)
    changed = sorted(
        key
        for key in set(saved) | set(config)
        if not str(key).startswith("serving_") and config.get(key) != saved.get(key)
    )
    if changed:
        raise Refused(MSG_OVERRIDE.format(folder=folder, keys=", ".join(changed)))


def _identify(store: ModelStore, root: Path, name: str, config, digest: str) -> ModelVersionRef:
    """Which registered version a loaded folder claims to be (checked by the caller)."""
    pinned = str(config.get("serving_version") or "")
    if pinned.isdigit():
        return store.get(name, int(pinned))
    meta = root / "registered_model_meta"
    if meta.is_file():
        import yaml

        try:
            found = yaml.safe_load(meta.read_text()) or {}
            meta_name, meta_version = str(found["model_name"]), int(found["model_version"])
        except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
            raise Refused(f"{meta} is not MLflow's registered_model_meta") from None
        if meta_name != name:
            raise Refused(
                MSG_META.format(folder=root, meta=f"{meta_name} {meta_version}", name=name)
            )
        return store.get(name, meta_version)
    current = store.certified(name)
    matches = [r for r in store.versions(name) if r.tag("artifact_sha256") == digest]
    if not matches:
        hint = ""
        if current is not None:
            hint = f" (@{ALIAS} is {current.uri}, {current.tag('artifact_sha256')[:16]})"
        raise Refused(MSG_UNREGISTERED.format(folder=root, name=name, got=digest[:16], hint=hint))
    preferred = [r for r in matches if current is not None and r.version == current.version]
    return (preferred or matches)[-1]


def certify_loaded(root: Path, config) -> tuple[Verified, Path | None]:
    """The check step for a folder MLflow is loading (the pyfunc's ``load_context``).

    Returns the :class:`Verified` version the folder is, file for file, and the private
    copy to read the weights from (to be deleted by the caller), or None when
    :func:`load_certified` handed over a folder it had just checked (it is its own copy).

    Raises
    ------
    NotCertified
        The folder is not a certified version, or a check failed (the reason says which);
        audited as an ``INFERENCE`` refusal in the home, when there is one.
    """
    config = dict(config or {})
    root = Path(root).absolute()
    handed = _HANDED_OVER.get()
    if handed is not None and handed[0] == root.resolve():
        try:
            _check_config(root, config)
        except Refused as error:
            raise NotCertified(str(error)) from None
        return handed[1], None
    try:
        home = _resolve_home(serving_home(config), MSG_HOME_UNSET)
    except Refused as error:
        raise NotCertified(str(error)) from None
    name = str(config.get("name") or "")
    ref, copy = None, None
    try:
        if not name:
            raise Refused(MSG_NOT_PACKAGE.format(folder=root))
        as_of = serving_as_of(config)
        copy = _private_copy(root)
        _check_config(copy, config)
        digest = artifact_digest(copy)
        store = ModelStore.for_home(home)
        ref = _identify(store, root, name, config, digest)
        verified = check_version(store, ref, home, as_of)
        check_digest(verified, digest)
        return verified, copy
    except Refused as error:
        _discard(copy)
        version = None if ref is None else ref.version
        _audit_refusal(home, name or "model", version, str(error), serving_actor(config))
        raise NotCertified(str(error)) from None
    except BaseException:
        _discard(copy)
        raise


def _load_checked(name: str, version: int | None, as_of, home, data, actor) -> GuardedModel:
    home = _resolve_home(home)
    data = _data_folder(data)
    store = ModelStore.for_home(home)
    ref = None
    try:
        if version is None:
            ref = store.resolve(f"models:/{name}@{ALIAS}")
        else:
            ref = store.get(name, version)
        return _load(store, ref, home, as_of, data, actor)
    except Refused as error:
        _audit_refusal(home, name, None if ref is None else ref.version, str(error), actor)
        raise


def load_certified(
    name: str,
    as_of: date | None = None,
    home: Home | Path | str | None = None,
    *,
    data: Path | str | None = None,
    actor: str = "serve",
) -> GuardedModel:
    """The version behind ``models:/NAME@certified``, loaded only if every check passes.

    Parameters
    ----------
    name : str
        A registered name (``recidivism``, ``patternizr-burglary``, ...).
    as_of : date, optional
        The date the certificate's ``valid_until`` is checked at, and the registry is
        replayed to while serving. Default: today (UTC), re-read at every request.
    home : Home or path, optional
        Default: ``SANITIZER_HOME`` or ``./.sanitizer``.
    data : path, optional
        The data folder candidate and person histories come from (default:
        ``SANITIZER_DATA``).
    actor : str, default "serve"
        Who the audit entries name.

    Returns
    -------
    GuardedModel

    Raises
    ------
    Refused
        No certified version, or a check failed (the reason says which); audited.
    BadInput
        No data folder.
    """
    return _load_checked(name, None, as_of, home, data, actor)


def load_version(
    uri: str,
    as_of: date | None = None,
    home: Home | Path | str | None = None,
    *,
    data: Path | str | None = None,
    actor: str = "serve",
) -> GuardedModel:
    """``models:/NAME/VERSION`` pinned: loaded only while it is the certified version.

    The same checks as :func:`load_certified`; it refuses when the alias points at
    another version, so a pinned deployment stops rather than serve a superseded model.
    """
    name, version, alias = parse_model_uri(uri)
    if version is None:
        if alias != ALIAS:
            raise BadInput(f"only the alias @{ALIAS} is used; got @{alias} in {uri!r}")
        return _load_checked(name, None, as_of, home, data, actor)
    return _load_checked(name, version, as_of, home, data, actor)


def load_uri(uri: str, **kwargs) -> GuardedModel:
    """:func:`load_certified` or :func:`load_version`, whichever ``MODEL_URI`` names."""
    return load_version(uri, **kwargs)
