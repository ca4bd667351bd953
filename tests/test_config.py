"""Config: the schema, the example file, the error messages and environment overrides."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ytvault.config.settings import (
    Config,
    config_path,
    default_config_path,
    load_config,
    parse_config,
)
from ytvault.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
FIELDS = list(Config.SETTINGS)


@pytest.mark.unit
def test_example_loads_and_mentions_every_field() -> None:
    config = load_config(EXAMPLE)
    assert config.model == Config().model
    text = EXAMPLE.read_text()
    documented = set(re.findall(r"^#? ?(\w+) = ", text, re.M))
    assert documented == set(FIELDS)


@pytest.mark.unit
@pytest.mark.parametrize(("toml", "problem"), [
    ('modle = "x"', "unknown key 'modle': check its spelling against config.example.toml"),
    ("model = 3", "'model': must be text (got 3)"),
    ("concurrency = 0", "'concurrency': must be at least 1 (got 0)"),
    ("concurrency = 65", "'concurrency': must be at most 64 (got 65)"),
    ("request_timeout_seconds = 0", "'request_timeout_seconds': must be more than 0 (got 0)"),
    ("request_timeout_seconds = inf", "'request_timeout_seconds': must be a finite number "
     "(got inf)"),
    ("request_timeout_seconds = 3601",
     "'request_timeout_seconds': must be at most 3600 (got 3601)"),
    ("debounce_seconds = nan", "'debounce_seconds': must be a finite number (got nan)"),
    ("fetch_pause_seconds = -inf", "'fetch_pause_seconds': must be a finite number (got -inf)"),
    ("poll_interval_seconds = 0.1", "'poll_interval_seconds': must be at least 0.5 (got 0.1)"),
    ("input_token_budget = 10", "'input_token_budget': must be at least 2000 (got 10)"),
    ('watch_mode = "fast"', "'watch_mode': must be one of auto, native, polling (got 'fast')"),
    ("concurrency = true", "'concurrency': must be a whole number (got true)"),
    ("concurrency = 2.0", "'concurrency': must be a whole number (got 2.0)"),
    ("debounce_seconds = false", "'debounce_seconds': must be a number (got false)"),
    ('debounce_seconds = "2"', "'debounce_seconds': must be a number (got '2')"),
    ("quote_links = 1", "'quote_links': must be true or false (got 1)"),
    ("vault = 3", "'vault': must be a path, as text (got 3)"),
    ('transcript_languages = "en"', "'transcript_languages': must be a list (got 'en')"),
    ('transcript_languages = ["en", 3]', "'transcript_languages.1': must be text (got 3)"),
    ("transcript_languages = []",
     """'transcript_languages': must list at least one language code, e.g. ["en"] (got [])"""),
    ('transcript_proxy = "ftp://proxy"', "'transcript_proxy': must be a proxy URL: http://, "
     "https:// or socks5://user:pass@host:port (got 'ftp://proxy')"),
    ('output_language = " "', "'output_language': must be `transcript`, or the name or code "
     """of a language, e.g. "English" (got ' ')"""),
    ('sections = ["gist"]', "'sections.0': must be a table (got 'gist')"),
])
def test_a_bad_value_says_which_key_and_what_is_wanted(tmp_path: Path, toml: str,
                                                        problem: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {problem}"


@pytest.mark.unit
def test_language_codes_are_read_without_the_spaces_around_them(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('transcript_languages = [" en", "de-DE "]\n')
    assert load_config(path).transcript_languages == ["en", "de-DE"]


@pytest.mark.unit
def test_a_configured_file_is_found_in_the_vault_unless_its_path_is_full() -> None:
    config = Config()
    assert config.resolve(Path("tpl.md"), Path("/v")) == Path("/v/tpl.md")
    assert config.resolve(Path("/etc/tpl.md"), None) == Path("/etc/tpl.md")
    with pytest.raises(ConfigError, match=r"^prompt_file p\.md is relative and there is no "
                                          r"vault to find it in"):
        config.resolve(Path("p.md"), None, "prompt_file")


@pytest.mark.unit
def test_the_config_path_is_the_option_then_the_variable_then_the_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("YTVAULT_CONFIG", raising=False)
    assert config_path() == default_config_path()
    monkeypatch.setenv("YTVAULT_CONFIG", "~/my.toml")
    assert config_path() == tmp_path / "my.toml"
    assert config_path(Path("given.toml")) == Path("given.toml")


@pytest.mark.unit
def test_every_config_is_checked_however_it_is_made() -> None:
    with pytest.raises(ConfigError, match=r"^'reconcile_minutes': must be a finite number"):
        Config(reconcile_minutes=float("inf"))
    with pytest.raises(ConfigError, match=r"^'concurrency': must be at least 1 \(got 0\)$"):
        Config().replace(concurrency=0)
    with pytest.raises(ConfigError, match=r"^'model': must be text \(got None\)$"):
        Config(model=None)  # type: ignore[arg-type]


@pytest.mark.unit
def test_python_values_are_taken_as_toml_would_give_them() -> None:
    config = Config(vault="/v", request_timeout_seconds=5,  # type: ignore[arg-type]
                    output_language=" English ", transcript_proxy="")
    assert config.vault == Path("/v")
    assert config.request_timeout_seconds == 5.0
    assert isinstance(config.request_timeout_seconds, float)
    assert config.output_language == "English"
    assert config.transcript_proxy is None
    assert config.replace(concurrency=2) == Config(
        vault=Path("/v"), request_timeout_seconds=5.0, output_language="English", concurrency=2)


@pytest.mark.unit
def test_no_keys_mean_the_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "config.toml"
    empty.write_text("# nothing set\n")
    assert load_config(empty) == Config()
    assert Config().transcript_languages is not Config().transcript_languages  # not shared


@pytest.mark.unit
def test_paths_expand_home_and_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YTVAULT_TEST_DIR", str(tmp_path / "data"))
    config = parse_config({"vault": "~/Vault", "cache_dir": "$YTVAULT_TEST_DIR/cache",
                           "state_dir": "${YTVAULT_TEST_DIR}/state",
                           "cookies_file": "~/cookies.txt", "prompt_file": "prompts/mine.md"})
    assert config.vault == tmp_path / "home" / "Vault"
    assert config.cache_dir == tmp_path / "data" / "cache"
    assert config.state_dir == tmp_path / "data" / "state"
    assert config.cookies_file == tmp_path / "home" / "cookies.txt"
    assert config.prompt_file == Path("prompts/mine.md")  # relative: resolved in the vault
    assert Config(note_template=Path("~/t.md")).note_template == tmp_path / "home" / "t.md"


def test_loading_the_config_never_imports_pydantic() -> None:
    """`status` loads the config and must start fast: pydantic's import alone is ~85 ms."""
    code = (
        "import sys\n"
        "from ytvault.config.settings import load_config, parse_config\n"
        "import ytvault.config.sections\n"
        f"load_config(__import__('pathlib').Path({str(EXAMPLE)!r}))\n"
        "parse_config({'sections': [{'name': 'gist', 'instruction': 'what it is about'}]})\n"
        "print(sorted(name for name in sys.modules if name.startswith('pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=EXAMPLE.parent)
    assert out.stdout.strip() == "[]"


@pytest.mark.unit
def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("vault = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.unit
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


@pytest.mark.unit
def test_no_config_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YTVAULT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config() == Config()


@pytest.mark.unit
def test_configuration_doc_covers_every_key() -> None:
    doc = (EXAMPLE.parent / "docs" / "configuration.md").read_text()
    for name in FIELDS:
        assert f"| `{name}` |" in doc


def test_default_model_is_not_deprecated() -> None:
    from anthropic._data import DEPRECATED_MODELS

    assert Config().model not in DEPRECATED_MODELS


def test_an_unchanged_config_file_is_read_from_its_parsed_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ytvault.config import parsed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "config.toml"

    def write(text: str) -> None:
        path.write_text(text)
        old = time.time() - 60  # as a person's config is: written a while ago
        os.utime(path, (old, old))

    write('concurrency = 3\nmodel = "m1"\n')
    assert load_config(path).concurrency == 3
    copy = parsed.copy_path(path)
    assert json.loads(copy.read_text())["table"] == {"concurrency": 3, "model": "m1"}
    if os.name == "posix":  # the copy may hold a proxy's password: this user's alone
        assert copy.stat().st_mode & 0o777 == 0o600
    kept = json.loads(copy.read_text())
    kept["table"]["model"] = "from the copy"  # proves the next load reads the copy
    copy.write_text(json.dumps(kept))
    assert load_config(path).model == "from the copy"
    write('concurrency = 5\nmodel = "m1"\n')  # same size, same old mtime: the ctime differs
    assert load_config(path).concurrency == 5
    copy.write_text("{not json")  # a broken copy is no copy
    assert load_config(path).concurrency == 5
    write('concurrency = 0\n')  # and every check still runs on a table from the copy
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"'concurrency': must be at least 1"):
            load_config(path)
    assert json.loads(copy.read_text())["table"] == {"concurrency": 0}
    path.write_text("model = 'fresh'\n")  # modified just now: parsed, no copy written
    copy.unlink()
    assert load_config(path).model == "fresh" and not copy.exists()


def test_each_config_file_keeps_its_own_parsed_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `--config` file used now and then must not push out the user's own copy (one shared
    copy made both be parsed with tomllib at every start, each in turn)."""
    from ytvault.config import parsed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    old_copy = tmp_path / "cache" / "ytvault" / "config.parsed.json"
    old_copy.parent.mkdir(parents=True)
    old_copy.write_text("{}")  # the single copy earlier versions kept
    paths = [tmp_path / "mine.toml", tmp_path / "other.toml"]
    for n, path in enumerate(paths):
        path.write_text(f"concurrency = {n + 2}\n")
        os.utime(path, (time.time() - 60, time.time() - 60))
    for _ in range(2):
        assert [load_config(p).concurrency for p in paths] == [2, 3]
    copies = [parsed.copy_path(p) for p in paths]
    assert copies[0] != copies[1]
    assert [json.loads(c.read_text())["table"] for c in copies] == [
        {"concurrency": 2}, {"concurrency": 3}]
    for copy in copies:  # read from now on: what each copy holds is what load_config gives
        kept = json.loads(copy.read_text())
        kept["table"]["concurrency"] = 9
        copy.write_text(json.dumps(kept))
    assert [load_config(p).concurrency for p in paths] == [9, 9]
    assert not old_copy.exists()
    # a config file deleted: its copy (which may hold a proxy's password) goes when the next
    # copy is written
    paths[1].unlink()
    third = tmp_path / "third.toml"
    third.write_text("concurrency = 4\n")
    os.utime(third, (time.time() - 60, time.time() - 60))
    assert load_config(third).concurrency == 4
    assert copies[0].exists() and parsed.copy_path(third).exists()
    assert not copies[1].exists()


def test_a_huge_integer_for_a_number_setting_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("request_timeout_seconds = 1" + "0" * 400 + "\n")
    with pytest.raises(ConfigError, match=r"'request_timeout_seconds': must be at most"):
        load_config(path)
