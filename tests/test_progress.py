"""Output: a rich progress bar on a terminal, plain lines when piped, --json, -q; and rich is
imported only when a bar is shown."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED_URL

from ytvault.commands.cli import main
from ytvault.commands.progress import Line, Reporter

LINES = [Line("filled", "a.md", "A talk", {"video_id": "Yf1o0TQzry8"}),
         Line("skipped", "b.md", "waiting for the premiere"),
         Line("failed", "c.md", "network error; will retry")]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def report(mode: str, stream: io.StringIO) -> str:
    with Reporter(mode, stream=stream) as out:  # type: ignore[arg-type]
        out.expect(3)
        for line in LINES:
            out.line(line)
    return stream.getvalue()


@pytest.mark.unit
def test_plain_lines_when_piped() -> None:
    assert report("auto", io.StringIO()) == (
        "filled: a.md — A talk\nskipped: b.md — waiting for the premiere\n"
        "failed: c.md — network error; will retry\n")


@pytest.mark.unit
def test_json_lines_for_scripts() -> None:
    rows = [json.loads(ln) for ln in report("json", io.StringIO()).splitlines()]
    assert rows[0] == {"status": "filled", "note": "a.md", "detail": "A talk",
                       "video_id": "Yf1o0TQzry8"}
    assert [r["status"] for r in rows] == ["filled", "skipped", "failed"]


@pytest.mark.unit
def test_quiet_prints_only_failures() -> None:
    assert report("quiet", io.StringIO()) == "failed: c.md — network error; will retry\n"


@pytest.mark.unit
def test_a_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = report("auto", Terminal())
    for line in LINES:
        assert line.text in out
    assert "1 failed, 1 filled, 1 skipped" in out
    assert "\x1b[" in out  # the terminal's control sequences: the bar was drawn


def test_rich_is_not_imported_for_help_status_or_piped_sync(tmp_path: Path, cache_dir: Path
                                                           ) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "a.md").write_text(SEED_URL + "\n")  # filled from the cache, analysis pending
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    code = (
        "import sys\nfrom ytvault.commands.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"main(['status', {str(vault)!r}])\ncode = main(['sync', {str(vault)!r}])\n"
        "print(code, 'rich' in sys.modules, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_STATE_HOME=str(tmp_path / "s"), XDG_CACHE_HOME=str(tmp_path / "k"),
               YTVAULT_CONFIG=str(config), YTVAULT_CACHE_DIR=str(cache_dir))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "filled: a.md" in result.stdout  # the piped sync did report, in plain lines
    assert "\x1b[" not in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "0 False"


def test_sync_json_and_quiet(vault: Path, cache_dir: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    for name in list(os.environ):
        if name.startswith("ANTHROPIC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("YTVAULT_CONFIG", str(config))
    monkeypatch.setenv("YTVAULT_CACHE_DIR", str(cache_dir))
    (vault / "a.md").write_text(SEED_URL + "\n")
    (vault / "b.md").write_text("https://youtu.be/notcached01\n")  # fails: not in the cache
    assert main(["sync", str(vault), "--dry-run", "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["sync", str(vault), "--json"]) == 1
    rows = {r["note"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["a.md"]["status"] == "filled" and rows["a.md"]["analysis_pending"] is True
    assert rows["b.md"]["status"] == "failed" and rows["b.md"]["video_id"] == "notcached01"
