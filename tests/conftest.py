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
