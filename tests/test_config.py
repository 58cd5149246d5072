"""Configuration loading: defaults, then the TOML file, then overrides, nested key by key."""

from __future__ import annotations

import pytest

from sanitizer._config import load_toml_config

DEFAULTS = {"forest": {"trees": 200, "depth": None}, "gate": {"auc": 0.65}}


def test_file_then_overrides_merge_key_by_key(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text("[forest]\ntrees = 50\n")
    config = load_toml_config(DEFAULTS, tmp_path / "absent.toml", path, {"gate": {"auc": 0.7}})
    assert config == {"forest": {"trees": 50, "depth": None}, "gate": {"auc": 0.7}}
    assert DEFAULTS["forest"]["trees"] == 200  # defaults are never mutated


def test_default_file_is_optional_but_a_named_file_must_exist(tmp_path):
    assert load_toml_config(DEFAULTS, tmp_path / "absent.toml") == DEFAULTS
    with pytest.raises(FileNotFoundError, match="no gates config at"):
        load_toml_config(
            DEFAULTS, tmp_path / "absent.toml", tmp_path / "typo.toml", what="gates config"
        )
