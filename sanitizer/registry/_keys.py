"""The home's Ed25519 signing key pair, and the canonical JSON that gets signed.

Why: audit checkpoints, registry snapshots and model certificates are signed so that a
reviewer holding only the public key can tell a genuine artifact from an edited one. The
key pair lives in ``HOME/keys/`` (CONTRACT.md "Common options"):

- ``HOME/keys/signing_key.pem``: the private key (PKCS #8 PEM, unencrypted, mode 0600,
  the directory 0700). It is the single source of truth.
- ``HOME/keys/signing_key.pub.pem``: the public key (SubjectPublicKeyInfo PEM), an export
  for reviewers, rewritten from the private key whenever it is missing.
- ``HOME/keys/trusted/*.pem``: other public keys whose signatures this home accepts
  (other hosts writing to a shared PostgreSQL audit log).

The pair is created on first use. Two processes doing so at once end with one pair: each
writes a complete private key to a temporary file and hard-links it to the final name,
which fails for every process but the first; the losers read the winner's key.

The **key id** is the lowercase hex SHA-256 of the 32 raw public-key bytes, so a reviewer
can match a signature to a key without trusting any file name.

Everything that gets signed is first turned into bytes by :func:`canonical_json`: keys
sorted, no whitespace, UTF-8, no NaN or infinity. A reviewer reproduces the bytes with
``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as
UTF-8.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .._errors import BadInput, Refused

__all__ = [
    "KEYS_DIR",
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "SigningKey",
    "TRUSTED_DIR",
    "canonical_json",
    "export_public_key",
    "home_key",
    "key_id",
    "load_signing_key",
    "public_key_path",
    "trusted_public_keys",
    "verify",
]

KEYS_DIR = "keys"
PRIVATE_KEY_FILE = "signing_key.pem"
PUBLIC_KEY_FILE = "signing_key.pub.pem"
TRUSTED_DIR = "trusted"

MSG_NOT_JSON = "cannot sign {what}: not canonical JSON ({error}); use str, int, bool, None, "
MSG_NOT_JSON += "lists and dicts with str keys"
MSG_BAD_PEM = "{path} is not an Ed25519 {kind} key in PEM form ({error}); restore it from backup"
MSG_OPEN_PERMS = (
    "{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}` and make sure "
    "nobody else has copied the key"
)
MSG_NO_KEY = "no signing key in {path}; run a command that signs (e.g. `audit checkpoint`) first"

# How long a process waits for a concurrently created private key file to become readable.
_CREATE_WAIT_S = 5.0


def canonical_json(obj: Any) -> bytes:
    """Return the canonical JSON bytes of ``obj``: sorted keys, no whitespace, UTF-8.

    Everything signed or hashed by the registry goes through this function, so that the
    same value always gives the same bytes, and a reviewer can recompute them with the
    standard library alone.

    Parameters
    ----------
    obj : object
        A JSON value: ``dict`` with ``str`` keys, ``list``, ``tuple``, ``str``, ``int``,
        ``float`` (finite), ``bool`` or ``None``.

    Returns
    -------
    bytes
        The UTF-8 encoded JSON text.

    Raises
    ------
    BadInput
        ``obj`` holds something JSON cannot represent exactly (a set, bytes, a date,
        NaN, a lone surrogate, ...).
    """
    try:
        text = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise BadInput(MSG_NOT_JSON.format(what=type(obj).__name__, error=exc)) from exc


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _public_pem(public: Ed25519PublicKey) -> str:
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def _load_public_pem(public_key_pem: str | bytes) -> Ed25519PublicKey:
    data = public_key_pem.encode("ascii") if isinstance(public_key_pem, str) else public_key_pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise BadInput(MSG_BAD_PEM.format(path="the public key", kind="public", error=exc)) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(
            MSG_BAD_PEM.format(
                path="the public key", kind="public", error=f"got {type(key).__name__}"
            )
        )
    return key


def key_id(public_key_pem: str | bytes) -> str:
    """Return the key id of a public key: hex SHA-256 of its 32 raw bytes.

    Parameters
    ----------
    public_key_pem : str or bytes
        The Ed25519 public key in PEM form.

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    return hashlib.sha256(_raw_public(_load_public_pem(public_key_pem))).hexdigest()


def verify(public_key_pem: str | bytes, data: bytes, signature_hex: str) -> bool:
    """Check an Ed25519 signature made by :meth:`SigningKey.sign`.

    Parameters
    ----------
    public_key_pem : str or bytes
        The signer's public key in PEM form (from :func:`export_public_key`).
    data : bytes
        The signed bytes (usually :func:`canonical_json` of a record).
    signature_hex : str
        The signature as hex.

    Returns
    -------
    bool
        True when the signature is valid; False for a wrong, truncated or malformed
        signature, since a reviewer's question is only "is this genuine?".

    Raises
    ------
    BadInput
        ``public_key_pem`` is not an Ed25519 public key.
    """
    public = _load_public_pem(public_key_pem)
    if not isinstance(signature_hex, str) or not isinstance(data, bytes | bytearray):
        return False
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        public.verify(signature, bytes(data))
    except InvalidSignature:
        return False
    return True


class SigningKey:
    """A loaded Ed25519 key pair; use :func:`load_signing_key` to get the home's one.

    Parameters
    ----------
    private_key : Ed25519PrivateKey
        The private key.

    Attributes
    ----------
    key_id : str
        Hex SHA-256 of the raw public key.
    public_key_pem : str
        The public key in PEM form, for reviewers.
    """

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        public = private_key.public_key()
        self._public_pem = _public_pem(public)
        self._key_id = hashlib.sha256(_raw_public(public)).hexdigest()

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the 32 raw public-key bytes."""
        return self._key_id

    @property
    def public_key_pem(self) -> str:
        """The public key in SubjectPublicKeyInfo PEM form."""
        return self._public_pem

    def sign(self, data: bytes) -> str:
        """Sign ``data`` and return the 64-byte Ed25519 signature as hex.

        Parameters
        ----------
        data : bytes
            The bytes to sign; pass :func:`canonical_json` of a record, never ad-hoc
            JSON, so that reviewers can recompute them.

        Returns
        -------
        str
            128 lowercase hex characters.
        """
        if not isinstance(data, bytes | bytearray):
            raise BadInput(f"sign() takes bytes, got {type(data).__name__}; use canonical_json")
        return self._private.sign(bytes(data)).hex()

    def verify(self, data: bytes, signature_hex: str) -> bool:
        """Check a signature against this key pair's public key (see :func:`verify`)."""
        return verify(self._public_pem, data, signature_hex)

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self._key_id[:16]}...)"


def _keys_dir(home: str | os.PathLike[str]) -> Path:
    return Path(home) / KEYS_DIR


def public_key_path(home: str | os.PathLike[str]) -> Path:
    """Return where the home's public key PEM is exported (it may not exist yet)."""
    return _keys_dir(home) / PUBLIC_KEY_FILE


def _check_private_perms(path: Path) -> None:
    """Refuse a private key other users can read, as OpenSSH does.

    A signing key others can read signs nothing trustworthy; saying so beats silently
    signing with it. POSIX only: Windows has no mode bits worth checking.
    """
    if sys.platform == "win32":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise Refused(MSG_OPEN_PERMS.format(path=path, mode=mode))


def _read_private(path: Path) -> Ed25519PrivateKey:
    """Read the private key, waiting briefly if another process is still creating it."""
    deadline = time.monotonic() + _CREATE_WAIT_S
    while True:
        data = path.read_bytes()
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            # Only the fallback creation path (no hard links) can expose a half-written
            # file; wait for the writer before calling the key corrupt.
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise BadInput(MSG_BAD_PEM.format(path=path, kind="private", error=exc)) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise BadInput(
                MSG_BAD_PEM.format(path=path, kind="private", error=f"got {type(key).__name__}")
            )
        return key


def _write_private_exclusively(path: Path, pem: bytes) -> bool:
    """Create ``path`` holding ``pem`` unless it exists; return whether this call made it.

    The key is written completely (mode 0600, fsynced) to a temporary file in the same
    directory and then hard-linked to the final name: ``link`` fails if the name exists,
    so exactly one process wins and no reader ever sees a partial file. On file systems
    without hard links an ``O_EXCL`` create is used instead (readers then retry briefly).
    """
    fd, tmp = tempfile.mkstemp(prefix=".signing_key.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file with mode 0600, so the key is never readable by others.
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError:
            pass  # no hard links here: fall back to an exclusive create
        try:
            fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd2, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return True
    finally:
        os.unlink(tmp)


def _write_public(path: Path, pem: str) -> None:
    """Write the public key export atomically (same content from every writer)."""
    fd, tmp = tempfile.mkstemp(prefix=".signing_key.pub.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(pem)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_signing_key(home: str | os.PathLike[str], *, create: bool = True) -> SigningKey:
    """Return the home's signing key pair, creating it on first use.

    Parameters
    ----------
    home : path
        The sanitizer home (``--home``); keys live in ``HOME/keys/``.
    create : bool, default True
        Create the pair when it does not exist. Read-only callers (``audit verify``)
        pass False so that checking a home never changes it.

    Returns
    -------
    SigningKey
        The loaded pair.

    Raises
    ------
    Refused
        The private key file is readable by other users.
    BadInput
        The key file is not an Ed25519 private key, or ``create`` is False and there is
        no key.
    """
    directory = _keys_dir(home)
    private_path = directory / PRIVATE_KEY_FILE
    if not private_path.exists():
        if not create:
            raise BadInput(MSG_NO_KEY.format(path=directory))
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private_exclusively(private_path, pem)
    _check_private_perms(private_path)
    key = SigningKey(_read_private(private_path))
    public_path = directory / PUBLIC_KEY_FILE
    if create and (
        not public_path.exists() or public_path.read_text(encoding="ascii") != key.public_key_pem
    ):
        _write_public(public_path, key.public_key_pem)
    return key


def home_key(home: str | os.PathLike[str]) -> SigningKey | None:
    """The home's own key pair, or None when it has none that can be read.

    What certificates are checked against (``verify`` and ``load_certified``): only this
    home signs the models it serves. Never creates a key: checking must not change the home.
    """
    try:
        return load_signing_key(home, create=False)
    except (OSError, ValueError, BadInput, Refused):
        return None


def trusted_public_keys(home: str | os.PathLike[str]) -> dict[str, str]:
    """Return the public keys whose signatures this home accepts, by key id.

    These are the home's own key (read from its private key, never created here) and
    every ``*.pem`` in ``HOME/keys/trusted/``: a shared PostgreSQL audit log is signed by
    each writing host's key, and a reviewer drops the hosts' exported public keys there.

    Parameters
    ----------
    home : path
        The sanitizer home.

    Returns
    -------
    dict of str to str
        Key id to public key PEM; empty when the home has no keys.
    """
    found: dict[str, str] = {}
    directory = _keys_dir(home)
    if (directory / PRIVATE_KEY_FILE).exists():
        own = load_signing_key(home, create=False)
        found[own.key_id] = own.public_key_pem
    trusted = directory / TRUSTED_DIR
    if trusted.is_dir():
        for path in sorted(trusted.glob("*.pem")):
            pem = path.read_text(encoding="ascii")
            try:
                found[key_id(pem)] = pem
            except BadInput as exc:
                raise BadInput(f"{path}: {exc}") from exc
    return found


def export_public_key(home: str | os.PathLike[str]) -> str:
    """Return the home's public key PEM for reviewers, creating the pair if needed.

    Parameters
    ----------
    home : path
        The sanitizer home.

    Returns
    -------
    str
        The public key in SubjectPublicKeyInfo PEM form.
    """
    return load_signing_key(home).public_key_pem
