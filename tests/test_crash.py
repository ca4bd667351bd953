"""Crash safety: `ytvault sync` killed with SIGKILL at random moments, many times. Every note
is always the old stub or the finished note, never a mix; temp files stay hidden and the next
run removes them; a last run completes everything."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeContext
from fakeapi import FakeMessagesAPI
from ruamel.yaml import YAML

from ytvault.note.parse import split_note
from ytvault.pipeline.run import process_note

VIDEOS = ["Yf1o0TQzry8", "fxShort001F", "fxGerman01C", "fxHostile1D", "fxNoTrans1E"]
NOTES = 20
RUNS = 12


def stub(i: int) -> str:
    return f"---\nmine: {i}\n---\nhttps://youtu.be/{VIDEOS[i % len(VIDEOS)]}\n"


def check_whole(path: Path, i: int) -> bool:
    """The note is the stub it was, or a whole finished note; returns whether it is finished."""
    text = path.read_text()
    if text == stub(i):
        return False
    parts = split_note(text)
    loader = YAML(typ="safe", pure=True)
    props = loader.load(parts.frontmatter or "")
    assert props["mine"] == i and props["template-type"] == "YouTube", text
    assert parts.body.count("</iframe>") == 1 and text.endswith("</iframe>\n\n"), text
    return True


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_sigkill_at_random_moments(vault: Path, cache_dir: Path, tmp_path: Path) -> None:
    for i in range(NOTES):
        (vault / f"n{i:02d}.md").write_text(stub(i))
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nconcurrency = 4\n')
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")},
           "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
           "ANTHROPIC_API_KEY": "sk-test"}
    rng = random.Random(20261126)
    killed_mid_run = 0
    with FakeMessagesAPI(delay=0.05) as api:
        env["ANTHROPIC_BASE_URL"] = api.base_url
        for _ in range(RUNS):
            proc = subprocess.Popen([sys.executable, "-m", "ytvault", "sync", str(vault)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.2, 1.6))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed_mid_run += 1
            proc.communicate()
            finished = sum(check_whole(vault / f"n{i:02d}.md", i) for i in range(NOTES))
            if finished == NOTES:
                break
            # un-finished notes get a fresh start: turn finished ones back into stubs, so
            # every run has writes to interrupt
            for i in range(NOTES):
                if rng.random() < 0.5:
                    (vault / f"n{i:02d}.md").write_text(stub(i))
            for jpg in vault.glob("*.jpg"):
                jpg.unlink()
        assert killed_mid_run >= 3  # the test did interrupt runs
        # temp files of killed runs are hidden from Obsidian (dot-files)…
        assert all(p.name.startswith(".") for p in vault.iterdir() if p.suffix == ".tmp")
        final = subprocess.run([sys.executable, "-m", "ytvault", "sync", str(vault)], env=env,
                               capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert all(check_whole(vault / f"n{i:02d}.md", i) for i in range(NOTES))
    # …and the next run removed them
    assert [p.name for p in vault.iterdir() if ".ytvault-" in p.name] == []


@pytest.mark.parametrize("failing", [".jpg", ".md"])
def test_a_failed_write_leaves_the_attachment_folder_as_it_was(
        vault: Path, make_context: MakeContext, monkeypatch: pytest.MonkeyPatch,
        failing: str) -> None:
    import ytvault.pipeline.write

    (vault / ".obsidian").mkdir(exist_ok=True)
    (vault / ".obsidian/app.json").write_text('{"attachmentFolderPath": "media/thumbs"}')
    note = vault / "n.md"
    note.write_text("https://youtu.be/Yf1o0TQzry8\n")
    real_write = ytvault.pipeline.write.atomic_write
    real_replace = ytvault.pipeline.write.replace_checked

    def disk_full(path: Path, data: bytes, *args: Any, **kw: Any) -> None:
        if path.suffix == failing:
            raise OSError(28, "No space left on device")
        real_write(path, data, *args, **kw)

    def note_disk_full(path: Path, data: bytes, *args: Any) -> Any:
        if path.suffix == failing:  # the note's write (a thumbnail is new: atomic_write)
            raise OSError(28, "No space left on device")
        return real_replace(path, data, *args)

    monkeypatch.setattr(ytvault.pipeline.write, "atomic_write", disk_full)
    monkeypatch.setattr(ytvault.pipeline.write, "replace_checked", note_disk_full)
    outcome = process_note(make_context(analyzer=None), note)
    assert outcome is not None and outcome.status == "failed"
    assert "No space left" in outcome.detail
    assert note.read_text() == "https://youtu.be/Yf1o0TQzry8\n"
    assert not (vault / "media").exists()  # no empty thumbnail, no folders made for it


def test_a_dead_writers_temp_file_in_the_config_folder_is_removed(
        vault: Path, make_context: MakeContext) -> None:
    """`types.json` is written like a note: a crash leaves its temp file in `.obsidian/`."""
    import subprocess
    import sys

    from ytvault.pipeline.run import sync
    from ytvault.vault.atomic import temp_path

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    crashed = temp_path(vault / ".obsidian" / "types.json", pid=dead.pid)
    crashed.write_text('{"types": {')
    live = temp_path(vault / ".obsidian" / "types.json")  # ours: a write in progress
    live.write_text("{}")
    list(sync(make_context(analyzer=None)))
    assert not crashed.exists() and live.exists()


KILLED_BEFORE_THE_NOTE = """
import os, signal, sys
from pathlib import Path
from ytvault.config.settings import Config
from ytvault.pipeline.context import Context
from ytvault.pipeline.ledger import Ledger
from ytvault.pipeline.run import process_note
from ytvault.vault import atomic
from ytvault.youtube.cache import Cache
from ytvault.youtube.client import YouTubeClient

vault, cache, state = map(Path, sys.argv[1:4])
def killed(a, b):  # SIGKILL: the thumbnail is written, the note is not
    os.kill(os.getpid(), signal.SIGKILL)
atomic.exchange = killed
config = Config(cache_dir=cache, state_dir=state)
ctx = Context(config=config, vault=vault, cache=Cache(cache),
              ledger=Ledger(state / "ledger.sqlite3"), youtube=YouTubeClient(), analyzer=None)
process_note(ctx, vault / "n.md")
"""


def test_a_thumbnail_whose_note_was_never_written_is_removed_by_the_next_run(
        vault: Path, make_context: MakeContext, cache_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from ytvault.pipeline.run import sync

    (vault / "media").mkdir()
    (vault / "media" / "1700000000000.jpg").write_bytes(b"the person's own picture")
    note = vault / "n.md"
    note.write_text("https://youtu.be/Yf1o0TQzry8\n")
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_NOTE, str(vault),
                             str(cache_dir), str(tmp_path / "state")])
    assert killed.returncode == -9
    orphans = list(vault.glob("*.jpg"))
    assert len(orphans) == 1 and note.read_text() == "https://youtu.be/Yf1o0TQzry8\n"
    outcomes = list(sync(make_context(analyzer=None)))  # the same ledger (state dir)
    assert [o.status for o in outcomes] == ["filled"]
    thumbnails = list(vault.glob("*.jpg"))
    assert len(thumbnails) == 1 and thumbnails[0].name in note.read_text()
    assert not orphans[0].exists()  # the thumbnail of the killed run: gone
    assert (vault / "media" / "1700000000000.jpg").exists()  # not ours: never touched
    assert [p for p in vault.rglob("*") if ".ytvault-" in p.name] == []
