"""Two processes opening a fresh home at once both create its tables: neither fails."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect
from sqlalchemy.exc import OperationalError

from sanitizer.registry._ddl import create_tables


def _metadata() -> MetaData:
    metadata = MetaData()
    Table("things", metadata, Column("id", Integer, primary_key=True))
    return metadata


def test_a_table_created_meanwhile_by_another_process_is_used(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    metadata, engine = _metadata(), create_engine(url)
    original = MetaData.create_all
    calls = []

    def racing(self, bind, checkfirst=True):
        calls.append(checkfirst)
        if len(calls) == 1:  # the other process wins the race, this CREATE then fails
            original(_metadata(), create_engine(url))
            raise OperationalError(
                "CREATE TABLE things", {}, Exception("table things already exists")
            )
        return original(self, bind, checkfirst=checkfirst)

    monkeypatch.setattr(MetaData, "create_all", racing)
    create_tables(metadata, engine)
    assert len(calls) == 2 and inspect(engine).has_table("things")


def test_other_errors_are_not_swallowed(tmp_path, monkeypatch):
    def broken(self, bind, checkfirst=True):
        raise OperationalError("CREATE TABLE things", {}, Exception("disk I/O error"))

    monkeypatch.setattr(MetaData, "create_all", broken)
    with pytest.raises(OperationalError, match="disk I/O"):
        create_tables(_metadata(), create_engine(f"sqlite:///{tmp_path / 'x.db'}"))
