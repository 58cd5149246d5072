"""Fixtures for the registry tests: database engines.

``sqlite_engine`` is a fresh SQLite file per test. ``pg_engine`` is a fresh schema in the
PostgreSQL database named by env ``SANITIZER_TEST_PG_URL`` (e.g.
``postgresql+psycopg://postgres:postgres@localhost:5432/sanitizer_test``); it skips with
the reason when the variable is unset or the server unreachable, and fails instead when
``SANITIZER_REQUIRE_SERVICES=1`` (CONTRACT.md, "Set-up").
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

PG_URL_ENV = "SANITIZER_TEST_PG_URL"


def _skip_or_fail(reason: str) -> None:
    # Same rule as tests/conftest.py's skip_or_fail; repeated so this file imports alone.
    if os.environ.get("SANITIZER_REQUIRE_SERVICES") == "1":
        pytest.fail(f"SANITIZER_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pg_engine_for(url: str, schema: str) -> sa.Engine:
    """Return an engine whose connections work inside ``schema`` (also used by children)."""
    return sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL URL for tests, checked reachable once a session."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        _skip_or_fail(f"{PG_URL_ENV} is not set, so the PostgreSQL tests cannot run")
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        _skip_or_fail(f"PostgreSQL at {engine.url!r} is unreachable: {exc.__class__.__name__}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_schema(pg_url):
    """A fresh, empty schema in the test database, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url, pg_schema):
    """An engine on a fresh PostgreSQL schema (tables created by the test)."""
    engine = pg_engine_for(pg_url, pg_schema)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    """An engine on a fresh SQLite file."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    yield engine
    engine.dispose()
