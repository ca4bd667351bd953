"""Shared fixtures: a temp vault, a writable copy of the fixture cache, the fake Messages API,
and a pipeline Context wired to them. Only the network is replaced; the libraries are real."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/fakeapi.py, tests/ytfakes.py

from fakeapi import FakeMessagesAPI

from ytvault.config.settings import Config
from ytvault.pipeline.context import Analyzer, Context, RunOptions
from ytvault.pipeline.ledger import Ledger
from ytvault.vault import walk as vault_module
from ytvault.youtube.cache import Cache
from ytvault.youtube.client import YouTubeClient

FIXTURES = Path(__file__).parent / "fixtures"
SEED_URL = "https://youtu.be/Yf1o0TQzry8"
# The golden clock: 2024-03-26 15:26 local time in a UTC-3 zone is epoch ms 1711477562504.
GOLDEN_NOW = datetime.fromtimestamp(1711477562.504, timezone(timedelta(hours=-3)))


@pytest.fixture(autouse=True)
def _user_cache_dir(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The user cache dir (where the config's parsed copy goes) in the tests' temp folder, for
    this process and the subprocesses it starts: tests never write to the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    return root


@pytest.fixture(params=["by descriptor", "by path"])
def listing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Folders listed both ways: through a descriptor (POSIX) and by path (Windows, and
    wherever os.scandir takes no descriptor). For the tests that walk a vault:
    `@pytest.mark.usefixtures("listing")`."""
    if request.param == "by path":
        monkeypatch.setattr(vault_module, "_BY_FD", False)
    elif not vault_module._BY_FD:
        pytest.skip("os.scandir takes no descriptor here")
    return str(request.param)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    target = tmp_path / "cache"
    shutil.copytree(FIXTURES / "cache", target)
    for path in target.rglob("*"):  # CI's shared/ copy is read-only; ours must not be
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    with FakeMessagesAPI() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


MakeContext = Callable[..., Context]


def props(note: Path) -> dict[str, Any]:
    """A note's properties as Obsidian reads them (YAML 1.2)."""
    from ruamel.yaml import YAML

    from ytvault.note.parse import split_note

    loader = YAML(typ="safe", pure=True)
    loader.version = (1, 2)
    data = loader.load(split_note(note.read_text()).frontmatter or "")
    assert isinstance(data, dict)
    return data


@pytest.fixture
def make_context(vault: Path, cache_dir: Path, tmp_path: Path) -> MakeContext:
    """`make_context(analyzer="claude"|None|obj, youtube=..., **fields)`: Context fields, and
    RunOptions fields (dry_run=True, say) for its options."""

    def make(analyzer: Any = "claude", youtube: Any = None, **fields: Any) -> Context:
        config = fields.pop("config", None) or Config(
            cache_dir=cache_dir, state_dir=tmp_path / "state", api_max_retries=4
        )
        chosen: Analyzer | None
        if analyzer == "claude":
            from ytvault.analysis.claude import ClaudeAnalyzer

            chosen = ClaudeAnalyzer(config, "sk-test-key")
        else:
            chosen = analyzer
        fields.setdefault("clock", lambda: GOLDEN_NOW)
        options = {k: fields.pop(k) for k in list(fields) if k in RunOptions.__dataclass_fields__}
        return Context(
            config=config,
            vault=vault,
            cache=Cache(cache_dir),
            ledger=Ledger(tmp_path / "state" / "ledger.sqlite3"),
            youtube=youtube or YouTubeClient(),
            analyzer=chosen,
            options=RunOptions(**options),
            **fields,
        )

    return make


def cli_env(home: Path, cache_dir: Path, settings: str = "", **extra: str) -> dict[str, str]:
    """The environment of a `ytvault` subprocess: a config file in `home` with the state there
    and `settings` (TOML lines), the fixture cache, none of the caller's ANTHROPIC_/YTVAULT_
    variables, and `extra` variables."""
    config = home / "config.toml"
    config.write_text(f'state_dir = "{home / "state"}"\n{settings}')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    return {**clean, "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
            "HOME": str(home), **extra}
