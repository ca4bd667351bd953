"""pipeline/fetch.py: each part of a video comes from the cache when it is there, else from
YouTube, and is then stored (SPEC §3); only fetches that go to YouTube wait for the run's
pace, and a stopping run's fetch never starts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, MakeContext

from ytvault.errors import STOPPING, NoteSkipped, NoTranscript, PermanentError
from ytvault.models import Snippet, Transcript, Video
from ytvault.pipeline.context import Context
from ytvault.pipeline.fetch import fetch_thumbnail, fetch_transcript, fetch_video, wait_turn
from ytvault.youtube.pace import FetchPace

pytestmark = pytest.mark.unit

VID = "Yf1o0TQzry8"
RECORDED = FIXTURES / "cache" / "videos"
# what YouTube "sends": a real JPEG (the cache refuses what is not an image), not the cached one
FETCHED = (RECORDED / "fxShort001F" / "thumbnail.jpg").read_bytes()


class RecordedYouTube:
    """A YouTubeSource that answers from the recorded fixtures and logs every call."""

    def __init__(self, *, no_captions: bool = False, no_thumbnail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.no_captions = no_captions
        self.no_thumbnail = no_thumbnail

    def fetch_info(self, video_id: str) -> dict[str, Any]:
        self.calls.append(("info", video_id))
        info: dict[str, Any] = json.loads((RECORDED / video_id / "info.json").read_text())
        return info

    def fetch_transcript(self, video_id: str, languages: Sequence[str],
                         info: dict[str, Any] | None = None) -> Transcript:
        self.calls.append(("transcript", video_id))
        if self.no_captions:
            raise NoTranscript("no transcript (no captions)")
        return Transcript(video_id, "English", "en", False,
                          (Snippet("hello there", 0.0, 1.5),))

    def fetch_thumbnail(self, urls: Sequence[str]) -> bytes:
        self.calls.append(("thumbnail", urls[0] if urls else ""))
        if self.no_thumbnail:
            raise PermanentError("no thumbnail")
        return FETCHED


@pytest.fixture
def empty_cache(cache_dir: Path) -> Path:
    shutil.rmtree(cache_dir / "videos")
    return cache_dir


def context(make_context: MakeContext, youtube: RecordedYouTube,
            pace: FetchPace | None = None) -> Context:
    return make_context(analyzer=None, youtube=youtube, fetch_pace=pace)


def test_what_the_cache_holds_is_not_fetched(make_context: MakeContext) -> None:
    youtube = RecordedYouTube()
    ctx = context(make_context, youtube)
    video = fetch_video(ctx, VID)
    assert video.title.startswith("Ilya Sutskever")
    transcript, reason = fetch_transcript(ctx, video)
    assert transcript.snippets and reason is None
    assert fetch_thumbnail(ctx, video) == (RECORDED / VID / "thumbnail.jpg").read_bytes()
    assert youtube.calls == []


@pytest.mark.usefixtures("empty_cache")
def test_what_the_cache_lacks_is_fetched_and_stored(make_context: MakeContext) -> None:
    youtube = RecordedYouTube()
    ctx = context(make_context, youtube)
    video = fetch_video(ctx, VID)
    transcript, reason = fetch_transcript(ctx, video)
    thumbnail = fetch_thumbnail(ctx, video)
    assert [kind for kind, _ in youtube.calls] == ["info", "transcript", "thumbnail"]
    assert ctx.cache.read_info(VID) == video.info
    assert ctx.cache.read_transcript(VID) == transcript
    assert ctx.cache.read_thumbnail(VID) == thumbnail == FETCHED
    assert reason is None
    youtube.calls.clear()  # a second run reads the cache
    assert fetch_video(ctx, VID) == video
    assert fetch_transcript(ctx, video) == (transcript, None)
    assert fetch_thumbnail(ctx, video) == thumbnail
    assert youtube.calls == []


@pytest.mark.usefixtures("empty_cache")
@pytest.mark.parametrize("live_status", ["is_upcoming", "is_live"])
def test_metadata_still_changing_is_not_cached(make_context: MakeContext,
                                               live_status: str) -> None:
    class Live(RecordedYouTube):
        def fetch_info(self, video_id: str) -> dict[str, Any]:
            return {**super().fetch_info(video_id), "live_status": live_status}

    youtube = Live()
    ctx = context(make_context, youtube)
    assert fetch_video(ctx, VID).live_status == live_status
    assert ctx.cache.read_info(VID) is None
    fetch_video(ctx, VID)
    assert youtube.calls == [("info", VID), ("info", VID)]


@pytest.mark.usefixtures("empty_cache")
def test_no_captions_is_an_empty_transcript_with_the_reason(make_context: MakeContext) -> None:
    youtube = RecordedYouTube(no_captions=True)
    ctx = context(make_context, youtube)
    video = Video.from_info(youtube.fetch_info(VID))
    transcript, reason = fetch_transcript(ctx, video)
    assert transcript == Transcript(VID, "", "", False, ())
    assert isinstance(reason, NoTranscript) and str(reason) == "no transcript (no captions)"
    assert ctx.cache.read_transcript(VID) is None  # asked again next time


@pytest.mark.usefixtures("empty_cache")
def test_no_thumbnail_at_all_is_none(make_context: MakeContext) -> None:
    youtube = RecordedYouTube(no_thumbnail=True)
    ctx = context(make_context, youtube)
    video = Video.from_info(youtube.fetch_info(VID))
    assert fetch_thumbnail(ctx, video) is None
    assert ctx.cache.read_thumbnail(VID) is None


@pytest.mark.usefixtures("empty_cache")
def test_a_stopping_run_fetches_nothing(make_context: MakeContext) -> None:
    youtube = RecordedYouTube()
    pace = FetchPace(1.0)
    pace.halt()
    ctx = context(make_context, youtube, pace)
    with pytest.raises(NoteSkipped) as caught:
        fetch_video(ctx, VID)
    assert str(caught.value) == STOPPING
    video = Video.from_info(RecordedYouTube().fetch_info(VID))
    for fetch in (fetch_transcript, fetch_thumbnail):
        with pytest.raises(NoteSkipped):
            fetch(ctx, video)
    assert youtube.calls == []


def test_the_cache_never_waits_for_the_pace(make_context: MakeContext) -> None:
    pace = FetchPace(1.0)
    pace.halt()  # any wait would fail
    ctx = context(make_context, RecordedYouTube(), pace)
    video = fetch_video(ctx, VID)
    assert fetch_transcript(ctx, video)[0].snippets
    assert fetch_thumbnail(ctx, video)


@pytest.mark.usefixtures("empty_cache")
def test_each_video_waits_its_turn_once(make_context: MakeContext) -> None:
    waits: list[float] = []
    clock = [100.0]
    pace = FetchPace(10.0, sleep=lambda s: waits.append(s), clock=lambda: clock[0],
                     jitter=lambda lo, hi: 1.0)
    ctx = context(make_context, RecordedYouTube(), pace)
    video = fetch_video(ctx, VID)  # the first turn is now
    fetch_transcript(ctx, video)
    fetch_thumbnail(ctx, video)  # the same video's parts share its turn
    assert waits == []
    wait_turn(ctx, "fxGerman01C")  # the next video waits a pause
    assert waits == [10.0]


def test_no_pace_no_wait(make_context: MakeContext) -> None:
    wait_turn(context(make_context, RecordedYouTube()), VID)  # returns at once, raises nothing
