"""Creating the registry database's tables when several processes open it at once.

``MetaData.create_all(checkfirst=True)`` looks for each table, then creates the missing
ones: two commands opening a fresh home together (two retrains, a server and a command)
can both find a table missing, and the second CREATE fails with "already exists"
(SQLite) or a duplicate ``pg_type`` row (PostgreSQL). That is another process having
done the work, so looking again is the answer.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, MetaData
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

__all__ = ["create_tables"]

#: Words of the errors a concurrent CREATE of the same table or index raises.
_RACE_MARKERS = ("already exists", "duplicate key")
_ATTEMPTS = 5


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create ``metadata``'s missing tables and indexes; idempotent, concurrency-safe."""
    for attempt in range(_ATTEMPTS):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except (OperationalError, ProgrammingError, IntegrityError) as error:
            text = str(error).lower()
            if attempt == _ATTEMPTS - 1 or not any(m in text for m in _RACE_MARKERS):
                raise
            time.sleep(0.05 * (attempt + 1))
