"""Config: the schema, the example file, the error messages and environment overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ytvault.config import Config, load_config
from ytvault.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_loads_and_mentions_every_field() -> None:
    config = load_config(EXAMPLE)
    assert config.model == Config().model
    text = EXAMPLE.read_text()
    documented = set(re.findall(r"^#? ?(\w+) = ", text, re.M))
    assert documented == set(Config.model_fields)


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('modle = "x"\n')
    with pytest.raises(ConfigError, match="unknown key 'modle'"):
        load_config(path)


def test_bad_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("concurrency = 0\n")
    with pytest.raises(ConfigError, match="'concurrency'"):
        load_config(path)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("vault = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'cache_dir = "{tmp_path / "a"}"\napi_key_env = "MY_KEY"\n')
    monkeypatch.setenv("YTVAULT_CONFIG", str(path))
    monkeypatch.setenv("YTVAULT_CACHE_DIR", str(tmp_path / "b"))
    monkeypatch.setenv("MY_KEY", "sk-test")
    config = load_config()
    assert config.resolved_cache_dir == tmp_path / "b"
    assert config.api_key() == "sk-test"
    monkeypatch.delenv("YTVAULT_CACHE_DIR")
    assert config.resolved_cache_dir == tmp_path / "a"


def test_no_config_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YTVAULT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config() == Config()


def test_configuration_doc_covers_every_key() -> None:
    doc = (EXAMPLE.parent / "docs" / "configuration.md").read_text()
    for name in Config.model_fields:
        assert f"| `{name}` |" in doc


def test_default_model_is_not_deprecated() -> None:
    from anthropic._data import DEPRECATED_MODELS

    assert Config().model not in DEPRECATED_MODELS
