"""A minimal hand-written data set that satisfies the contract, for planting errors."""

from __future__ import annotations

import pytest
from minimal_data import minimal_frames

from sanitizer.tables import write_tables


@pytest.fixture
def frames():
    return minimal_frames()


@pytest.fixture(params=["parquet", "csv"])
def fmt(request):
    return request.param


@pytest.fixture
def write(tmp_path):
    """Write frames into a fresh folder and return it."""

    def _write(frames, fmt="parquet", name="data"):
        directory = tmp_path / name
        write_tables(frames, directory, fmt)
        return directory

    return _write
