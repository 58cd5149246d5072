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
