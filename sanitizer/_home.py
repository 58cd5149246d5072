"""Where state lives: the home folder and the URLs that override its embedded defaults.

CONTRACT.md fixes the layout so reviewers know where to look: ``HOME/registry.db``,
``HOME/audit-checkpoints.jsonl``, ``HOME/mlflow.db``, ``HOME/mlartifacts/``,
``HOME/keys/`` and ``HOME/reports/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Home", "DEFAULT_HOME"]

DEFAULT_HOME = Path(".sanitizer")


@dataclass(frozen=True)
class Home:
    """The stateful folder of one deployment, and its database and MLflow addresses."""

    path: Path
    db_url: str
    mlflow_uri: str

    @classmethod
    def resolve(cls, path: Path | str | None = None, db_url: str | None = None) -> Home:
        """Apply CONTRACT.md's precedence: option, then environment, then default."""
        home = Path(path or os.environ.get("SANITIZER_HOME") or DEFAULT_HOME).absolute()
        db = db_url or os.environ.get("SANITIZER_DB_URL") or f"sqlite:///{home / 'registry.db'}"
        mlflow = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow.db'}"
        return cls(home, db, mlflow)

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def snapshots_dir(self) -> Path:
        return self.path / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.path / "reports"

    @property
    def artifacts_dir(self) -> Path:
        return self.path / "mlartifacts"

    @property
    def checkpoints_file(self) -> Path:
        return self.path / "audit-checkpoints.jsonl"

    def ensure(self) -> Home:
        """Create the folder (not its contents: each component creates its own)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self
