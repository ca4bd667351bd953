"""`ytvault refresh`: what changed on YouTube is updated in finished notes; the analysis and
everything the person edited stay byte for byte."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, GOLDEN_NOW, SEED_URL, MakeContext
from ytfakes import Returns, recorded_info, youtube_extractor

from ytvault.commands.refresh import finished_notes, refresh
from ytvault.cost import Usage
from ytvault.models import Analysis, Transcript, Video
from ytvault.note.lines import generated_lines, refresh_text
from ytvault.pipeline.context import Context
from ytvault.pipeline.ledger import Ledger
from ytvault.pipeline.run import process_note
from ytvault.youtube.client import YouTubeClient

TITLE = ("Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, Spies, Microsoft, "
         "& Enlightenment")
LATER = GOLDEN_NOW + timedelta(days=400)


class SeedAnalysis:
    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        return Analysis.model_validate_json((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())


def changed_info(**changes: Any) -> dict[str, Any]:
    info = copy.deepcopy(recorded_info("Yf1o0TQzry8"))
    info.update(changes)
    return info


def youtube(info: dict[str, Any]) -> YouTubeClient:
    return YouTubeClient(extractors=[youtube_extractor({"Yf1o0TQzry8": Returns(info)})])


def filled(vault: Path, make_context: MakeContext) -> Path:
    note = vault / "Talk.md"
    note.write_text(SEED_URL + "\n")
    outcome = process_note(make_context(analyzer=SeedAnalysis()), note)
    assert outcome is not None and outcome.status == "filled"
    return note


def refreshed(ctx: Context, note: Path) -> Any:
    [done] = refresh(ctx, [note], sleep=lambda _: None)
    return done


NEW_CHAPTERS = [{"start_time": 0, "title": "Time to AGI", "end_time": 300},
                {"start_time": 300, "title": "A new chapter", "end_time": 357}]


def test_what_changed_on_youtube_is_updated_and_nothing_else(
        vault: Path, make_context: MakeContext) -> None:
    note = filled(vault, make_context)
    # the person's own additions, made after the fill
    text = note.read_text().replace("tags:\n  - type/youtube\n", "tags:\n  - type/youtube\n"
                                    "  - to-watch\nrating: 5\n")
    text += "\nMy own notes.\n"
    note.write_text(text)
    info = changed_info(title="Ilya Sutskever - AGI", channel_follower_count=52000,
                        chapters=NEW_CHAPTERS + recorded_info("Yf1o0TQzry8")["chapters"][1:])
    ctx = make_context(youtube=youtube(info), clock=lambda: LATER)
    done = refreshed(ctx, note)
    assert done.status == "refreshed"
    assert done.detail == "updated title, subscribers, chapters, player"
    expected = (text.replace(f"title: {TITLE}\n", "title: Ilya Sutskever - AGI\n")
                .replace("subscribers: 47500\n", "subscribers: 52000\n")
                .replace("  - 00:00 Time to AGI\n", "  - 00:00 Time to AGI\n  - 05:00 A new "
                         "chapter\n")
                .replace("updated: 2024-03-26T15:26\n",
                         f"updated: {LATER.strftime('%Y-%m-%dT%H:%M')}\n")
                .replace(f'<iframe title="{TITLE}"', '<iframe title="Ilya Sutskever - AGI"'))
    assert note.read_text() == expected  # the analysis and the person's lines: byte for byte
    # the next refresh compares with this fetch: nothing to do, the file is not rewritten
    stamp = note.stat().st_mtime_ns
    assert refreshed(ctx, note).status == "unchanged"
    assert note.stat().st_mtime_ns == stamp


def test_what_the_person_edited_is_never_touched(vault: Path,
                                                 make_context: MakeContext) -> None:
    note = filled(vault, make_context)
    text = (note.read_text().replace(f"title: {TITLE}\n", "title: Ilya on AGI (my title)\n")
            .replace("updated: 2024-03-26T15:26\n", "updated: 2025-01-02T03:04\n"))
    note.write_text(text)
    ctx = make_context(youtube=youtube(changed_info(title="New title",
                                                    channel_follower_count=60000)),
                       clock=lambda: LATER)
    done = refreshed(ctx, note)
    assert done.status == "refreshed"
    assert done.detail == "updated subscribers, player; kept your title"
    assert note.read_text() == text.replace("subscribers: 47500\n", "subscribers: 60000\n") \
        .replace(f'<iframe title="{TITLE}"', '<iframe title="New title"')


def test_without_a_ledger_the_previous_fetch_tells_what_is_ytvaults(
        vault: Path, make_context: MakeContext, tmp_path: Path) -> None:
    note = filled(vault, make_context)
    ctx = make_context(youtube=youtube(changed_info(channel_follower_count=52000)),
                       clock=lambda: LATER)
    ctx = replace(ctx, ledger=Ledger(tmp_path / "other" / "ledger.sqlite3"))  # a deleted ledger
    done = refreshed(ctx, note)
    assert done.status == "refreshed" and done.detail == "updated subscribers"
    assert "subscribers: 52000\n" in note.read_text()
    assert f"updated: {LATER.strftime('%Y-%m-%dT%H:%M')}\n" in note.read_text()


def test_without_ledger_or_cache_nothing_is_guessed(vault: Path, make_context: MakeContext,
                                                    cache_dir: Path, tmp_path: Path) -> None:
    note = filled(vault, make_context)
    before = note.read_text()
    (cache_dir / "videos/Yf1o0TQzry8/info.json").unlink()
    ctx = make_context(youtube=youtube(changed_info(channel_follower_count=52000)))
    ctx = replace(ctx, ledger=Ledger(None))
    done = refreshed(ctx, note)
    assert done.status == "unchanged" and done.detail == "kept your subscribers"
    assert note.read_text() == before


def test_dry_run_writes_nothing(vault: Path, make_context: MakeContext) -> None:
    note = filled(vault, make_context)
    before = note.read_text()
    ctx = make_context(youtube=youtube(changed_info(channel_follower_count=1)), dry_run=True)
    done = refreshed(ctx, note)
    assert done.detail == "dry run: would update subscribers"
    assert note.read_text() == before


def test_only_finished_video_notes_are_refreshed(vault: Path, make_context: MakeContext) -> None:
    note = filled(vault, make_context)
    stub = vault / "stub.md"
    stub.write_text("https://youtu.be/fxShort001F\n")
    other = vault / "other.md"
    other.write_text("---\ntitle: x\n---\nprose\n")
    (vault / ".trash").mkdir()
    (vault / ".trash" / "old.md").write_bytes(note.read_bytes())
    assert list(finished_notes(vault)) == [note]
    ctx = make_context(youtube=youtube(changed_info()))
    statuses = [d.status for d in refresh(ctx, [stub, other], sleep=lambda _: None)]
    assert statuses == ["skipped", "skipped"]
    assert stub.read_text() == "https://youtu.be/fxShort001F\n"


def test_refreshing_many_notes_is_paced(vault: Path, make_context: MakeContext) -> None:
    """Each video's fetch takes its turn at the run's FetchPace (the pause less the time the
    fetches before took); a pace handed in is used, with no pause of refresh's own."""
    from ytvault.youtube.pace import FetchPace

    ids = ("Yf1o0TQzry8", "fxShort001F", "fxLong00001")
    client = YouTubeClient(extractors=[youtube_extractor(
        {vid: Returns(recorded_info(vid)) for vid in ids})])
    notes = []
    for vid in ids:
        note = vault / f"{vid}.md"
        note.write_text(f"https://youtu.be/{vid}\n")
        assert process_note(make_context(analyzer=None, youtube=client), note) is not None
        notes.append(note)
    ctx = make_context(youtube=client)
    sleeps: list[float] = []
    assert len(list(refresh(ctx, notes, sleep=sleeps.append))) == 3
    pause = ctx.config.fetch_pause_seconds
    # the sleeps are not slept: the third turn is two pauses after the first
    assert len(sleeps) == 2 and all(0 < s <= 1.5 * 2 * pause for s in sleeps)
    assert ctx.fetch_pace is None  # the run's own, gone with it
    waits: list[float] = []
    ctx = replace(ctx, fetch_pace=FetchPace(30.0, sleep=waits.append))
    assert len(list(refresh(ctx, notes, sleep=sleeps.append))) == 3
    assert len(waits) == 2 and len(sleeps) == 2


def test_dry_run_works_on_the_text_read(vault: Path, make_context: MakeContext,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """--dry-run uses the bytes read once (CRLF kept), and does not read the note again."""
    note = filled(vault, make_context)
    note.write_bytes(note.read_bytes().replace(b"\n", b"\r\n"))
    before = note.read_bytes()
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        assert self != note, "the note was read again"
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    ctx = make_context(youtube=youtube(changed_info(channel_follower_count=1)), dry_run=True)
    done = refreshed(ctx, note)
    assert done.detail == "dry run: would update subscribers"
    assert note.read_bytes() == before


def test_refresh_text_keeps_crlf_and_comments() -> None:
    note = ("---\r\n# my comment\r\ntitle: Old\r\nsubscribers: 1\r\nupdated: 2024-01-01T00:00\r\n"
            "---\r\nbody\r\n")
    previous = {"title": "title: Old\n", "subscribers": "subscribers: 1\n",
                "updated": "updated: 2024-01-01T00:00\n"}
    fresh = {"title": "title: New\n", "subscribers": "subscribers: 2\n"}
    change = refresh_text(note, previous, fresh, "updated: 2025-01-01T00:00\n")
    assert change.text == ("---\r\n# my comment\r\ntitle: New\r\nsubscribers: 2\r\n"
                           "updated: 2025-01-01T00:00\r\n---\r\nbody\r\n")
    assert change.lines["title"] == "title: New\n"
    assert generated_lines(change.text.replace("\r\n", "\n"))["title"] == "title: New\n"


def test_cli_refresh_needs_notes_or_all(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    result = subprocess.run([sys.executable, "-m", "ytvault", "refresh", "--vault",
                             str(tmp_path)], env={**env, "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--all" in result.stderr


def test_cli_refresh_never_builds_the_model_client(tmp_path: Path) -> None:
    """Refresh makes no model call: with a key set, a prompt_file it cannot read is no error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    config = tmp_path / "config.toml"
    config.write_text(f'prompt_file = "{tmp_path / "missing" / "system.md"}"\n'
                      f'state_dir = "{tmp_path / "state"}"\n')
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "ytvault", "--config", str(config), "refresh",
                             "--all", "--vault", str(vault)],
                            env={**env, "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test-1234"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_cli_refresh_all_takes_a_folder_as_the_vault(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "plain.md").write_text("not a video note\n")
    result = subprocess.run([sys.executable, "-m", "ytvault", "refresh", "--all", str(vault)],
                            env={**env, "HOME": str(tmp_path)}, capture_output=True, text=True,
                            timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    note = subprocess.run([sys.executable, "-m", "ytvault", "refresh", "--all",
                           str(vault / "plain.md")], env={**env, "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert note.returncode == 2 and "--all" in note.stderr  # a note and --all: one or the other
