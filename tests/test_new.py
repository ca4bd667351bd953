"""`ytvault new URL…`: notes created in the right folder under the video's title, filled;
playlists paced; videos that already have a note skipped with a link to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_URL, MakeContext
from fakeapi import FakeMessagesAPI
from ytfakes import Raises, Returns, recorded_info, youtube_extractor

from ytvault.commands.new import Created, create_notes, parse_urls
from ytvault.cost import Usage
from ytvault.errors import ConfigError
from ytvault.models import Analysis, Transcript, Video
from ytvault.vault.obsidian import new_note_folder
from ytvault.vault.walk import is_note, iter_notes
from ytvault.youtube.client import YouTubeClient

TITLE = ("Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, Spies, Microsoft, "
         "& Enlightenment")
SHORT = "Fold a fitted sheet in 20 seconds shorts"  # `#` would make a link a heading link


def playlist_extractor(videos: list[str]) -> type:
    """A yt-dlp extractor for youtube.com/playlist?list=… that lists `videos`."""
    from yt_dlp.extractor.common import InfoExtractor

    class RecordedPlaylistIE(InfoExtractor):  # type: ignore[misc]
        IE_NAME = "youtube:tab"
        _VALID_URL = r"https?://www\.youtube\.com/playlist\?list=(?P<id>[\w-]+)"

        def _real_extract(self, url: str) -> dict[str, Any]:
            entries = [self.url_result(f"https://www.youtube.com/watch?v={v}", "Youtube", v)
                       for v in videos]
            result: dict[str, Any] = self.playlist_result(entries, self._match_id(url),
                                                          "A playlist")
            return result

    return RecordedPlaylistIE


def run(ctx: Any, urls: list[str], folder: Path, sleeps: list[float] | None = None
        ) -> list[Created]:
    pauses = sleeps if sleeps is not None else []
    return list(create_notes(ctx, urls, folder, sleep=pauses.append))


def test_a_note_named_after_the_title_in_obsidians_new_note_folder(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    (vault / ".obsidian" / "app.json").write_text(
        '{"newFileLocation": "folder", "newFileFolderPath": "Inbox/YouTube"}')
    folder = new_note_folder(vault, None)
    assert folder == vault / "Inbox" / "YouTube"
    ctx = make_context()
    [made] = run(ctx, [SEED_URL], folder)
    note = folder / f"{TITLE}.md"
    assert made.status == "filled" and made.note == note and made.url == SEED_URL
    assert made.link == ("obsidian://open?vault=vault&file=Inbox%2FYouTube%2F"
                         + TITLE.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                         .replace(",", "%2C").replace("&", "%26") + ".md")
    text = note.read_text()
    assert "youtube_url: https://youtu.be/Yf1o0TQzry8\n" in text and "# SUMMARY" in text
    assert [p.name for p in folder.iterdir()] == [note.name]  # no hidden file left
    entry = ctx.ledger.get(vault, f"Inbox/YouTube/{TITLE}.md")
    assert entry is not None and entry.status == "filled"


def test_the_folder_setting_and_its_limits(vault: Path) -> None:
    (vault / "Inbox").mkdir()
    assert new_note_folder(vault, "inbox/Talks") == vault / "Inbox" / "Talks"  # case reused
    assert new_note_folder(vault, None) == vault  # no Obsidian setting: the root
    assert new_note_folder(vault, "/") == vault
    for bad in ("../elsewhere", ".obsidian", "a/.hidden"):
        with pytest.raises(ConfigError):
            new_note_folder(vault, bad)


def test_urls_that_are_not_videos_or_playlists_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"youtube\.com/channel/x"):
        parse_urls([SEED_URL, "https://youtube.com/channel/x"])
    assert parse_urls(["https://www.youtube.com/watch?v=Yf1o0TQzry8&list=PL1"]) == [
        ("https://www.youtube.com/watch?v=Yf1o0TQzry8&list=PL1", "video", "Yf1o0TQzry8")]


def test_a_playlist_gives_a_note_per_video_paced(vault: Path, cache_dir: Path,
                                                 make_context: MakeContext) -> None:
    for vid in ("fxShort001F", "fxLong00001"):  # not in the cache: fetched from "YouTube"
        (cache_dir / "videos" / vid / "info.json").unlink()
    recordings = {vid: Returns(recorded_info(vid)) for vid in ("fxShort001F", "fxLong00001")}
    youtube = YouTubeClient(extractors=[
        youtube_extractor(recordings),
        playlist_extractor(["fxShort001F", "Yf1o0TQzry8", "fxLong00001", "fxShort001F"])])
    ctx = make_context(analyzer=None, youtube=youtube)
    sleeps: list[float] = []
    reads: list[str] = []
    read_info = ctx.cache.read_info
    ctx.cache.read_info = lambda vid: reads.append(vid) or read_info(vid)  # type: ignore[method-assign]
    made = run(ctx, ["https://www.youtube.com/playlist?list=PLtest", SEED_URL], vault, sleeps)
    assert sorted(m.video_id for m in made) == ["Yf1o0TQzry8", "fxLong00001", "fxShort001F"]
    assert all(m.status == "filled" for m in made)
    assert sorted(p.name for p in vault.glob("*.md")) == sorted(
        [f"{TITLE}.md", f"{SHORT}.md", "Regenerative Gardening — Full Course (10 lectures).md"])
    # one pause between the two videos fetched from YouTube, none for the cached one: the
    # run's FetchPace (the pause less the time the first fetch took)
    pause = ctx.config.fetch_pause_seconds
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 1.5 * pause
    assert ctx.fetch_pace is None  # the run's own, gone with it
    # the cache is asked by the fetch and by the fill, not a third time to decide on a pause
    assert sorted(reads) == sorted(["Yf1o0TQzry8", "fxLong00001", "fxShort001F"] * 2)
    short = (vault / f"{SHORT}.md").read_text()
    assert "youtube_url: https://www.youtube.com/watch?v=fxShort001F\n" in short


def test_videos_that_have_a_note_are_skipped_with_a_link(vault: Path,
                                                         make_context: MakeContext) -> None:
    finished = vault / "Talks" / "Mine.md"
    finished.parent.mkdir()
    finished.write_text("---\nyoutube_url: https://youtu.be/Yf1o0TQzry8\ntemplate-type: YouTube"
                        "\nchannel_name: Dwarkesh Patel\n---\nMy notes.\n")
    stub = vault / "Inbox" / "Untitled.md"
    stub.parent.mkdir()
    stub.write_text("https://youtube.com/shorts/fxShort001F\n")
    (vault / ".trash").mkdir()
    (vault / ".trash" / "Old.md").write_text("https://youtu.be/fxLong00001\n")
    ctx = make_context(analyzer=None)
    made = {m.video_id: m for m in run(ctx, [SEED_URL, "https://youtu.be/fxShort001F",
                                             "https://youtu.be/fxLong00001"], vault)}
    assert made["Yf1o0TQzry8"].status == "skipped" and made["Yf1o0TQzry8"].note == finished
    assert made["Yf1o0TQzry8"].link == "obsidian://open?vault=vault&file=Talks%2FMine.md"
    assert made["fxShort001F"].status == "skipped" and made["fxShort001F"].note == stub
    assert made["fxLong00001"].status == "filled"  # the note in .trash does not count
    assert finished.read_text().endswith("My notes.\n")
    assert stub.read_text() == "https://youtube.com/shorts/fxShort001F\n"


def test_a_video_youtube_refuses_gets_no_note(vault: Path, make_context: MakeContext) -> None:
    private = "Private video. Sign in if you've been granted access to this video"
    youtube = YouTubeClient(extractors=[youtube_extractor({"abcdefghijk": Raises(private)})])
    [made] = run(make_context(analyzer=None, youtube=youtube),
                 ["https://youtu.be/abcdefghijk"], vault)
    assert made.status == "failed" and "private" in made.detail and made.note is None
    assert [p for p in vault.iterdir() if p.name != ".obsidian"] == []


class Watching:
    """An analyzer that looks at the vault as a watcher would, while the note is filled."""

    def __init__(self, vault: Path) -> None:
        self.vault = vault
        self.seen: list[Path] = []
        self.hidden: list[Path] = []

    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        self.seen += list(iter_notes(self.vault))
        self.hidden += [p for p in self.vault.iterdir() if p.name.endswith(".md")]
        return Analysis.model_validate_json(
            (Path(__file__).parent / "fixtures/analysis/Yf1o0TQzry8.json").read_text())


def test_a_note_being_created_is_invisible_to_a_watcher(vault: Path,
                                                        make_context: MakeContext) -> None:
    watching = Watching(vault)
    [made] = run(make_context(analyzer=watching), [SEED_URL], vault)
    assert made.status == "filled"
    assert watching.seen == []  # neither the walk nor the watcher's filter sees it
    [hidden] = watching.hidden
    assert hidden.name.startswith(".") and not is_note(vault, hidden)


def test_cli_new_json_then_skipped(vault: Path, cache_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nnew_note_folder = "Videos"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    env.update(YTVAULT_CONFIG=str(config), YTVAULT_CACHE_DIR=str(cache_dir), HOME=str(tmp_path))
    argv = [sys.executable, "-m", "ytvault", "new", "--vault", str(vault), "--json",
            "https://youtu.be/fxShort001F"]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    [line] = [json.loads(ln) for ln in first.stdout.splitlines()]
    assert line["status"] == "filled" and line["note"] == f"Videos/{SHORT}.md"
    assert line["video_id"] == "fxShort001F" and line["analysis_pending"] is True
    assert (vault / "Videos" / f"{SHORT}.md").is_file()
    again = subprocess.run([*argv[:-2], "https://youtu.be/fxShort001F"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0
    assert again.stdout.startswith(f"skipped: Videos/{SHORT}.md — already in the vault: "
                                   "obsidian://open?vault=vault&file=Videos%2F")
    bad = subprocess.run([*argv[:-1], "https://example.com/x"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "not a YouTube video or playlist URL" in bad.stderr


class Overloaded:
    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        from ytvault.errors import AnalysisTransientError

        raise AnalysisTransientError("the Anthropic API is overloaded")


def test_a_note_that_cannot_be_filled_now_keeps_its_name_and_url(
        vault: Path, make_context: MakeContext) -> None:
    made = {m.video_id: m for m in run(make_context(analyzer=Overloaded()),
                                       [SEED_URL, "https://youtu.be/fxUpcoming1"], vault)}
    failed = made["Yf1o0TQzry8"]
    assert failed.status == "failed" and "overloaded" in failed.detail
    assert failed.note == vault / f"{TITLE}.md"
    assert failed.note.read_text() == SEED_URL + "\n"  # a stub: the next sync fills it
    premiere = made["fxUpcoming1"]
    assert premiere.status == "created" and premiere.note is not None
    assert "ytvault: waiting for the premiere" in premiere.note.read_text()
    assert not [p for p in vault.iterdir() if ".ytvault-new-" in p.name]


def test_the_hidden_note_of_a_run_that_died_is_finished_by_the_next(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # a run killed after it wrote the URL, and one killed after it filled its note
    (vault / f".Yf1o0TQzry8.ytvault-new-{dead.pid}.md").write_text(SEED_URL + "\n")
    made = run(make_context(), [SEED_URL], vault)
    assert [(m.status, m.note) for m in made] == [("filled", vault / f"{TITLE}.md")]
    assert "# SUMMARY" in (vault / f"{TITLE}.md").read_text()
    assert not [p for p in vault.iterdir() if ".ytvault-new-" in p.name]

    filled = (vault / f"{TITLE}.md").read_text()
    (vault / f"{TITLE}.md").unlink()
    (vault / f".Yf1o0TQzry8.ytvault-new-{dead.pid}.md").write_text(filled)
    calls = len(api.message_requests)
    [again] = run(make_context(), [SEED_URL], vault)
    assert again.status == "filled" and "interrupted run" in again.detail
    assert (vault / f"{TITLE}.md").read_text() == filled
    assert len(api.message_requests) == calls  # the analysis it had is kept, not paid again


def test_a_live_run_creating_the_same_note_is_left_alone(
        vault: Path, make_context: MakeContext) -> None:
    mine = vault / f".Yf1o0TQzry8.ytvault-new-{os.getppid()}.md"
    mine.write_text(SEED_URL + "\n")
    [made] = run(make_context(analyzer=None), [SEED_URL], vault)
    assert made.status == "skipped" and "right now" in made.detail
    assert mine.read_text() == SEED_URL + "\n"


def test_a_pace_handed_in_is_the_only_one(vault: Path, cache_dir: Path,
                                          make_context: MakeContext) -> None:
    """A caller's `ctx.fetch_pace` spaces the fetches; `new` adds no pause of its own."""
    from ytvault.youtube.pace import FetchPace

    for vid in ("fxShort001F", "fxLong00001"):
        (cache_dir / "videos" / vid / "info.json").unlink()
    recordings = {vid: Returns(recorded_info(vid)) for vid in ("fxShort001F", "fxLong00001")}
    waits: list[float] = []
    pace = FetchPace(30.0, sleep=waits.append)
    ctx = make_context(analyzer=None, youtube=YouTubeClient(extractors=[
        youtube_extractor(recordings)]), fetch_pace=pace)
    own: list[float] = []
    made = run(ctx, ["https://youtu.be/fxShort001F", "https://youtu.be/fxLong00001"], vault, own)
    assert [m.status for m in made] == ["filled", "filled"]
    assert len(waits) == 1 and not own
    assert ctx.fetch_pace is pace
