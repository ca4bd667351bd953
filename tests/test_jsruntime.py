"""Without deno, yt-dlp is told to use node or bun (its `--js-runtimes`, `js_runtimes` in its
Python API); with deno, yt-dlp's default stands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ytvault.youtube import jsruntime


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    jsruntime.fallback_runtime.cache_clear()
    yield folder
    jsruntime.fallback_runtime.cache_clear()


def program(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_nothing_installed_leaves_yt_dlp_as_it_is(bin_dir: Path) -> None:
    assert jsruntime.ytdlp_params() == {}


def test_node_without_deno_is_enabled(bin_dir: Path) -> None:
    node = program(bin_dir, "node")
    program(bin_dir, "bun")
    assert jsruntime.ytdlp_params() == {"js_runtimes": {"node": {"path": str(node)}}}


def test_deno_is_yt_dlps_own_default(bin_dir: Path) -> None:
    program(bin_dir, "deno")
    program(bin_dir, "node")
    assert jsruntime.ytdlp_params() == {}


def test_yt_dlp_accepts_the_setting(bin_dir: Path) -> None:
    from yt_dlp import YoutubeDL

    bun = program(bin_dir, "bun")
    with YoutubeDL({"quiet": True, **jsruntime.ytdlp_params()}) as ydl:
        assert ydl.params["js_runtimes"] == {"bun": {"path": str(bun)}}
        assert list(ydl._js_runtimes) == ["bun"]  # the runtime yt-dlp will try
