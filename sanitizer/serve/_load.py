"""Load a certified model, or refuse with the reason: the certificate is checked first.

:func:`load_certified` resolves ``models:/NAME@certified`` and loads the pyfunc only
after every check below passes, cheapest first; any failure raises
:class:`~sanitizer._errors.Refused` naming it, and is audited:

1. the version's ``sanitizer.status`` tag is ``certified`` and the alias points at it;
2. the run has a ``certificate.json``, in the certificate format;
3. its Ed25519 signature is valid under a key this home trusts;
4. it names this model and version;
5. ``valid_until`` has not passed at ``as_of`` (default today, UTC);
6. no record the version used has been excluded since (``LineageIndex.excluded_since``);
7. the model folder's :func:`~sanitizer.certify.artifact_digest` equals the certificate's
   ``artifact_sha256`` (computed on a private copy, which is then the copy loaded, so a
   file swapped after the check is never read);
8. after loading, the alias still points at the version.

A loaded :class:`GuardedModel` keeps checking while it serves: when the home records
new exclusions, when the date passes ``valid_until``, or every few seconds for the
alias, a model that is no longer certified refuses every request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from .._errors import BadInput, Refused
from .._home import Home
from ..certify import (
    ALIAS,
    Certificate,
    LineageIndex,
    ModelStore,
    artifact_digest,
    parse_model_uri,
)
from ..registry import Registry
from ..registry._keys import trusted_public_keys
from ._guard import MSG_NO_DATA

__all__ = ["GuardedModel", "load_certified", "load_uri", "load_version"]

MSG_NO_HOME = "{path} holds no models (no home there); run `sanitizer retrain` first"
MSG_STATUS = "{uri} is not certified (status {status!r}{why})"
MSG_ALIAS = "{uri} is not the version serving may load: @{alias} points at {current}"
MSG_NO_CERT = "{uri} has no certificate (certificate.json missing from run {run_id})"
MSG_BAD_CERT = "{uri}: certificate.json is not a certificate ({error})"
MSG_UNKNOWN_KEY = "{uri}: certificate signed by key {key_id}, which this home does not trust"
MSG_SIGNATURE = "{uri}: the certificate's signature is not valid (edited after signing?)"
MSG_NAME = "{uri}: the certificate is for {cert_name} version {cert_version}, not this version"
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
#: Seconds between alias checks of a serving model (exclusions are checked every request).
RECHECK_SECONDS = 5.0


def _today() -> date:
    return datetime.now(UTC).date()


class GuardedModel:
    """A certified model, loaded, that keeps checking it may still serve.

    Not built directly: see :func:`load_certified`. ``predict`` answers through the
    inference guard; it raises :class:`~sanitizer._errors.Refused` when the model stopped
    being certified since it was loaded, or the guard refused the request.

    Attributes
    ----------
    name, version, uri : str, int, str
    kind : str
        ``patternizr`` or ``recidivism``.
    certificate : Certificate
    input_columns : list of str
        Columns a request may carry.
    """

    def __init__(self, *, ref, certificate, pyfunc, store, as_of, policy):
        self.name = ref.name
        self.version = ref.version
        self.uri = ref.uri
        self.certificate = certificate
        self._pyfunc = pyfunc
        self._model = pyfunc.unwrap_python_model()
        self.kind = self._model.guard.config["kind"]
        self.input_columns = list(self._model.guard.allowed)
        self._store = store
        self._as_of = as_of
        self._policy = policy
        self._index = LineageIndex(self.guard.data.registry.store.engine)
        self._generation = self.guard.data.generation()
        self._checked_at = time.monotonic()
        self._refusal: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GuardedModel({self.uri}, kind={self.kind})"

    @property
    def guard(self):
        """The pyfunc's :class:`~sanitizer.serve._guard.InferenceGuard`."""
        return self._model.guard

    def still_certified(self, generation: tuple[int, int] | None = None) -> str | None:
        """None while the model may serve, else why not (and it stays refused)."""
        with self._lock:
            if self._refusal is not None:
                return self._refusal
            as_of = self._as_of or _today()
            if self.certificate.expired(as_of):
                self._refusal = MSG_EXPIRED.format(
                    uri=self.uri, valid_until=self.certificate.valid_until, as_of=as_of
                )
                return self._refusal
            generation = self.guard.data.generation() if generation is None else generation
            if generation != self._generation:
                sealed = self._index.excluded_since(self.name, self.version, self._policy)
                if sealed:
                    self._refusal = MSG_SEALED.format(
                        uri=self.uri, n=len(sealed), keys=", ".join(sealed[:5])
                    )
                    return self._refusal
                self._generation = generation
            if time.monotonic() - self._checked_at > RECHECK_SECONDS:
                try:
                    reason = _status_problem(self._store, self._store.get(self.name, self.version))
                except Refused as error:  # the version itself is gone
                    reason = str(error)
                self._checked_at = time.monotonic()
                if reason:
                    self._refusal = reason
            return self._refusal

    def predict(self, frame) -> pd.DataFrame:
        """Answer one request (DataFrame, records or dict of columns), guarded and audited.

        Calls the loaded pyfunc's guard directly (MLflow's wrapper adds nothing for a
        model without an input schema), handing it the registry generation just read
        for the certification check, so a request reads it once.
        """
        generation = self.guard.data.generation()
        reason = self.still_certified(generation)
        if reason is not None:
            self.guard.audit("REFUSED", len(frame) if hasattr(frame, "__len__") else 0, 0, reason)
            raise Refused(reason)
        return self.guard.predict(frame, generation)

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
    pem = trusted_public_keys(home.path).get(certificate.key_id)
    if pem is None:
        raise Refused(MSG_UNKNOWN_KEY.format(uri=ref.uri, key_id=certificate.key_id[:16]))
    if not certificate.verify(pem):
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


def _resolve_home(home) -> Home:
    resolved = home if isinstance(home, Home) else Home.resolve(home)
    if resolved.mlflow_uri.startswith("sqlite:") and not (resolved.path / "mlflow.db").exists():
        raise Refused(MSG_NO_HOME.format(path=resolved.path))
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


def _load(store, ref, home: Home, as_of, data: Path, actor: str) -> GuardedModel:
    """Every check of the module docstring, then the pyfunc; Refused at the first failure."""
    import mlflow.pyfunc

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
    sealed = LineageIndex(registry.store.engine).excluded_since(ref.name, ref.version, policy)
    if sealed:
        raise Refused(MSG_SEALED.format(uri=ref.uri, n=len(sealed), keys=", ".join(sealed[:5])))
    tampered = registry.integrity_problems(chain=False)
    if tampered:
        raise Refused(f"{ref.uri}: the registry does not check out: {'; '.join(tampered[:3])}")
    tag_digest = ref.tag("artifact_sha256")
    if tag_digest and tag_digest != certificate.artifact_sha256:
        raise Refused(MSG_DIGEST_TAG.format(uri=ref.uri))
    source = store.model_dir(ref)
    workdir = Path(tempfile.mkdtemp(prefix="sanitizer-serve-"))
    try:
        copy = workdir / "model"
        shutil.copytree(source, copy)
        store.delete_local_copy(source, ref)
        digest = artifact_digest(copy)
        if digest != certificate.artifact_sha256:
            raise Refused(
                MSG_DIGEST.format(
                    uri=ref.uri, got=digest[:16], want=certificate.artifact_sha256[:16]
                )
            )
        overrides = {
            "serving_data": str(data),
            "serving_home": str(home.path),
            "serving_db_url": home.db_url,
            "serving_as_of": "" if as_of is None else as_of.isoformat(),
            "serving_version": str(ref.version),
            "serving_actor": actor,
        }
        pyfunc = mlflow.pyfunc.load_model(str(copy), model_config=overrides)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    current = store.certified(ref.name)
    if current is None or current.version != ref.version:
        where = "nothing" if current is None else f"version {current.version}"
        raise Refused(MSG_MOVED.format(uri=ref.uri, alias=ALIAS, current=where))
    return GuardedModel(
        ref=ref,
        certificate=certificate,
        pyfunc=pyfunc,
        store=store,
        as_of=as_of,
        policy=policy,
    )


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

