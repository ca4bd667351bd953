"""Fetch, through the cache: each part of a video (metadata, transcript, thumbnail) is read
from the cache when there, else fetched from YouTube and stored (SPEC §3). Fetches that go to
YouTube wait for their turn when the run paces them (`Context.fetch_pace`, youtube/pace.py)."""

from __future__ import annotations

from ytvault.errors import STOPPING, NoteSkipped, PermanentError
from ytvault.models import Transcript, Video, metadata_settled
from ytvault.pipeline.context import Context


def wait_turn(ctx: Context, video_id: str) -> None:
    """Wait for this video's turn at YouTube when the run paces its fetches; raises NoteSkipped
    when the run stops first."""
    if ctx.fetch_pace is not None and not ctx.fetch_pace.wait(video_id):
        raise NoteSkipped(STOPPING)


def fetch_video(ctx: Context, video_id: str) -> Video:
    info = ctx.cache.read_info(video_id)
    if info is None:
        wait_turn(ctx, video_id)
        info = ctx.youtube.fetch_info(video_id)
        if metadata_settled(info):
            ctx.cache.write_info(video_id, info)
    return Video.from_info(info)


def fetch_transcript(ctx: Context, video: Video) -> tuple[Transcript, PermanentError | None]:
    """The transcript (empty when there is none) and, when YouTube said why, its answer:
    NoTranscript (no captions to use), or another PermanentError (access refused: an age
    restriction, a sign-in)."""
    transcript = ctx.cache.read_transcript(video.id)
    if transcript is None:
        wait_turn(ctx, video.id)
        try:
            transcript = ctx.youtube.fetch_transcript(video.id, ctx.config.transcript_languages,
                                                      video.info)
        except PermanentError as exc:  # as far as YouTube says, for good
            return Transcript(video.id, "", "", False, ()), exc
        ctx.cache.write_transcript(video.id, transcript)
    return transcript, None


def fetch_thumbnail(ctx: Context, video: Video) -> bytes | None:
    data = ctx.cache.read_thumbnail(video.id)
    if data is None:
        wait_turn(ctx, video.id)
        try:
            data = ctx.youtube.fetch_thumbnail(video.thumbnails)
        except PermanentError:
            return None  # no thumbnail at all: the note is still worth writing
        ctx.cache.write_thumbnail(video.id, data)
    return data
