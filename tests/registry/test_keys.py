"""The home's signing key pair and canonical JSON."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import sys

import pytest
from cryptography.hazmat.primitives import serialization

from sanitizer._errors import BadInput, Refused
from sanitizer.registry._keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    canonical_json,
    export_public_key,
    key_id,
    load_signing_key,
    trusted_public_keys,
    verify,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def test_key_pair_is_created_once_with_private_permissions(tmp_path):
    key = load_signing_key(tmp_path)
    private = tmp_path / "keys" / PRIVATE_KEY_FILE
    public = tmp_path / "keys" / PUBLIC_KEY_FILE
    assert private.exists() and public.exists()
    if sys.platform != "win32":
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_signing_key(tmp_path).key_id == key.key_id
    assert public.read_text() == key.public_key_pem == export_public_key(tmp_path)
    assert list((tmp_path / "keys").glob("*.tmp")) == []


def test_sign_and_verify_round_trip(tmp_path):
    key = load_signing_key(tmp_path)
    data = canonical_json({"b": 1, "a": [1, 2]})
    signature = key.sign(data)
    assert len(signature) == 128
    assert verify(key.public_key_pem, data, signature)
    assert key.verify(data, signature)
    assert not verify(key.public_key_pem, data + b" ", signature)
    assert not verify(key.public_key_pem, data, "00" * 64)
    assert not verify(key.public_key_pem, data, "not hex")
    assert not verify(key.public_key_pem, data, signature[:-2])


def test_key_id_is_sha256_of_the_raw_public_key(tmp_path):
    key = load_signing_key(tmp_path)
    public = serialization.load_pem_public_key(key.public_key_pem.encode())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key.key_id == hashlib.sha256(raw).hexdigest() == key_id(key.public_key_pem)


def test_a_bad_public_key_is_bad_input():
    with pytest.raises(BadInput):
        verify("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n", b"x", "00")


def test_read_only_load_does_not_create(tmp_path):
    with pytest.raises(BadInput, match="no signing key"):
        load_signing_key(tmp_path, create=False)
    assert not (tmp_path / "keys").exists()
    assert trusted_public_keys(tmp_path) == {}


def test_trusted_keys_include_own_and_the_trusted_folder(tmp_path):
    own = load_signing_key(tmp_path / "a")
    other = load_signing_key(tmp_path / "b")
    trusted_dir = tmp_path / "a" / "keys" / "trusted"
    trusted_dir.mkdir()
    (trusted_dir / "b.pem").write_text(other.public_key_pem)
    assert set(trusted_public_keys(tmp_path / "a")) == {own.key_id, other.key_id}


@posix_only
def test_a_private_key_readable_by_others_is_refused(tmp_path):
    load_signing_key(tmp_path)
    os.chmod(tmp_path / "keys" / PRIVATE_KEY_FILE, 0o644)
    with pytest.raises(Refused, match="chmod 600"):
        load_signing_key(tmp_path)


def _load_key_id(home: str, queue) -> None:
    queue.put(load_signing_key(home).key_id)


def test_processes_creating_the_key_at_once_end_with_one_pair(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_load_key_id, args=(str(tmp_path), queue)) for _ in range(3)]
    for p in procs:
        p.start()
    ids = {queue.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(timeout=60)
    assert len(ids) == 1
    assert ids == {load_signing_key(tmp_path).key_id}


def test_canonical_json_is_sorted_compact_utf8():
    value = {"b": [1, "é"], "a": {"y": None, "x": True}}
    assert canonical_json(value) == '{"a":{"x":true,"y":null},"b":[1,"é"]}'.encode()
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


@pytest.mark.parametrize("bad", [{1, 2}, b"x", float("nan"), {"x": object()}, "\ud800"])
def test_canonical_json_refuses_what_json_cannot_say_exactly(bad):
    with pytest.raises(BadInput):
        canonical_json(bad)
