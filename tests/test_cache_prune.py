"""`ytvault cache prune` as a person runs it: what notes still need stays, what was fetched
recently stays, --dry-run removes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_env

DAY = 86_400


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    return cli_env(tmp_path, cache_dir)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def age(folder: Path, days: float) -> None:
    then = time.time() - days * DAY
    for path in folder.iterdir():
        os.utime(path, (then, then))


def test_prune_keeps_what_notes_need(vault: Path, env: dict[str, str], cache_dir: Path
                                     ) -> None:
    videos = cache_dir / "videos"
    # filled without a key: its analysis is pending, so its transcript is still needed
    (vault / "pending.md").write_text("https://youtu.be/fxShort001F\n")
    (vault / "done.md").write_text("https://youtu.be/fxNoTrans1E\n")  # no transcript: done
    assert run(env, "sync", str(vault)).returncode == 0
    (vault / "stub.md").write_text("https://youtu.be/fxGerman01C\n")  # not filled yet
    for folder in videos.iterdir():
        age(folder, 100)
    age(videos / "fxHostile1D", 10)  # fetched ten days ago
    before = sorted(p.name for p in videos.iterdir())

    dry = run(env, "cache", "prune", "--dry-run", "--vault", str(vault))
    assert dry.returncode == 0, dry.stderr
    assert sorted(p.name for p in videos.iterdir()) == before  # nothing removed
    # every cached video but those notes need (fxShort001F, fxGerman01C) and the one fetched
    # since (fxHostile1D)
    gone = set(before) - {"fxShort001F", "fxGerman01C", "fxHostile1D"}
    assert {"Yf1o0TQzry8", "fxLong00001", "fxNoTrans1E", "fxUpcoming1"} <= gone
    said = [line.split()[2] for line in dry.stdout.splitlines()[:-1]]
    assert dry.stdout.startswith("would remove: ") and set(said) == gone
    summary = dry.stdout.splitlines()[-1]
    assert f"{len(before)} videos" in summary and f"would remove {len(gone)}" in summary
    assert "kept 2 that notes still need and 1 fetched since" in summary

    real = run(env, "cache", "prune", "--vault", str(vault))
    assert real.returncode == 0, real.stderr
    assert {p.name for p in videos.iterdir()} == set(before) - gone
    assert f"removed {len(gone)}" in real.stdout.splitlines()[-1]

    everything = run(env, "cache", "prune", "--older-than", "0", "--vault", str(vault))
    assert everything.returncode == 0
    assert {p.name for p in videos.iterdir()} == {"fxShort001F", "fxGerman01C"}  # needed
    # the stub is filled from the cache it kept, offline
    assert run(env, "process", str(vault / "stub.md")).stdout.startswith("filled: stub.md")


def test_prune_refuses_what_is_not_a_vault_and_bad_days(tmp_path: Path, env: dict[str, str]
                                                        ) -> None:
    nowhere = run(env, "cache", "prune", "--vault", str(tmp_path))
    assert nowhere.returncode == 2 and "not an Obsidian vault" in nowhere.stderr
    negative = run(env, "cache", "prune", "--older-than", "-1", "--vault", str(tmp_path))
    assert negative.returncode == 2 and "--older-than" in negative.stderr
