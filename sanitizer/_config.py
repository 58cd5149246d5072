"""Model and gate configuration: built-in defaults, then a TOML file, then overrides.

Every configurable stage (pattern models, recidivism, fairness gates) loads its settings
the same way, so a reviewer reads one rule: the file under ``models/`` overrides the
defaults key by key, and an explicitly named file that does not exist is an error, since
silently falling back to defaults would train or gate on settings nobody chose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path

__all__ = ["load_toml_config", "merge_config"]


def merge_config(base: Mapping, override: Mapping) -> dict:
    """``base`` with ``override`` laid over it, nested mappings merged key by key."""
    out = deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_config(out[key], value)
        else:
            out[key] = deepcopy(value)
    return out


def load_toml_config(
    defaults: Mapping,
    default_path: Path,
    path: str | Path | None = None,
    overrides: Mapping | None = None,
    what: str = "config",
) -> dict:
    """Load defaults, then a TOML file, then ``overrides``.

    The file is ``path`` when given (it must exist), else ``default_path`` if present.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no {what} at {path}; expected a TOML file")
    elif Path(default_path).is_file():
        path = Path(default_path)
    config = deepcopy(dict(defaults))
    if path is not None:
        with open(path, "rb") as handle:
            config = merge_config(config, tomllib.load(handle))
    return merge_config(config, overrides or {})
