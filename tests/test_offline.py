"""Offline, a run stops after a few network errors in a row: one line, exit 1, the notes not
tried left as they are. YouTube is made unreachable the way a dead network or proxy is: every
request goes through a proxy that refuses connections (yt-dlp and requests both honour
HTTPS_PROXY)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ytfakes import closed_port_url

from ytvault.commands.offline import IN_A_ROW, until_unreachable
from ytvault.errors import YouTubeUnreachable

STUBS = {f"n{i}.md": f"https://youtu.be/offline000{i}\n" for i in range(6)}


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nfetch_pause_seconds = 0\n'
                      "concurrency = 2\n")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ANTHROPIC_", "YTVAULT_")) and "proxy" not in k.lower()}
    return {**clean, "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
            "HOME": str(tmp_path), "HTTPS_PROXY": closed_port_url(),
            "HTTP_PROXY": closed_port_url()}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def check_stopped(result: subprocess.CompletedProcess[str], again: str) -> None:
    assert result.returncode == 1, result.stderr
    failed = [ln for ln in result.stdout.splitlines() if ln.startswith("failed: ")]
    assert len(failed) == IN_A_ROW and all("network error" in ln for ln in failed)
    said = result.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("ytvault: YouTube cannot be reached (3 network")
    assert f"`{again}` again" in said[0] and "Traceback" not in result.stderr


def test_sync_stops_and_leaves_the_rest(vault: Path, env: dict[str, str]) -> None:
    for name, text in STUBS.items():
        (vault / name).write_text(text)
    result = run(env, "sync", str(vault))
    check_stopped(result, "ytvault sync")
    assert {n: (vault / n).read_text() for n in STUBS} == STUBS  # every stub as it was


def test_new_stops_too(vault: Path, env: dict[str, str]) -> None:
    urls = [text.strip() for text in STUBS.values()]
    result = run(env, "new", *urls, "--vault", str(vault))
    check_stopped(result, "ytvault new")
    assert not list(vault.rglob("*.md"))  # no note was created


def test_refresh_all_stops_too(vault: Path, env: dict[str, str], cache_dir: Path) -> None:
    # finished notes, filled from the fixture cache; refresh fetches their metadata anew
    for vid in ("Yf1o0TQzry8", "fxShort001F", "fxGerman01C", "fxLong00001"):
        (vault / f"{vid}.md").write_text(f"https://youtu.be/{vid}\n")
    assert run(env, "sync", str(vault)).returncode == 0
    result = run(env, "refresh", "--all", "--vault", str(vault))
    check_stopped(result, "ytvault refresh --all")


def test_the_row_is_broken_by_another_failure_not_by_a_fill() -> None:
    seen = [("failed", True), ("filled", False), ("failed", True), ("failed", False),
            ("failed", True), ("skipped", False), ("failed", True), ("failed", True),
            ("failed", True), ("never", False)]
    got: list[tuple[str, bool]] = []
    with pytest.raises(YouTubeUnreachable):
        for item in until_unreachable(iter(seen), lambda r: r[1], lambda r: r[0], "x"):
            got.append(item)
    assert got == seen[:8]  # stopped right after the third in a row, the rest never asked


def test_the_run_behind_is_closed() -> None:
    closed: list[bool] = []

    def results() -> Iterator[bool]:
        try:
            while True:
                yield True
        finally:
            closed.append(True)

    with pytest.raises(YouTubeUnreachable):
        list(until_unreachable(results(), bool, lambda _: "failed", "x"))
    assert closed == [True]
