"""The data that flows through the pipeline: a video's metadata, its transcript, its analysis.

`Video` and `Transcript` are read from the cache's JSON shapes (SPEC §3): a yt-dlp info dict
and youtube-transcript-api's fetched transcript. `Analysis` is what the model must return for
the default sections (sections.py makes it, as it makes the model of any other sections).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel

from ytvault.config.sections import DEFAULT_SECTIONS, analysis_model

# YouTube links a hashtag when `#` starts a word that holds at least one letter (`#1` is not one).
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@dataclass(frozen=True)
class Video:
    id: str
    title: str
    channel: str
    subscribers: int | None
    duration: int | None
    duration_string: str | None
    publish_date: date | None
    chapters: tuple[Chapter, ...]
    description: str
    hashtags: tuple[str, ...]
    thumbnails: tuple[str, ...]  # best first
    live_status: str | None
    release_timestamp: int | None
    availability: str | None
    info: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def is_upcoming(self) -> bool:
        return self.live_status == "is_upcoming"

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> Video:
        """Build from a yt-dlp info dict (`sanitize_info(extract_info(url, download=False))`).

        Raises MalformedInfo when a field is not of the type yt-dlp writes: a cache entry is
        data, not trusted code, and a damaged one must not end in a crash.
        """
        if not isinstance(info, dict):
            raise MalformedInfo("not a JSON object")
        vid = info.get("id")
        if not isinstance(vid, str) or not vid:
            raise MalformedInfo("id: not a string")
        title = _text(info, "title") or _text(info, "fulltitle") or vid
        description = _text(info, "description")
        return cls(
            id=vid,
            title=title,
            channel=_text(info, "channel") or _text(info, "uploader"),
            subscribers=_int_or_none(info.get("channel_follower_count")),
            duration=_int_or_none(info.get("duration")),
            duration_string=_text(info, "duration_string") or None,
            publish_date=_yyyymmdd(info.get("upload_date") or info.get("release_date")),
            chapters=_chapters(info.get("chapters")),
            description=description,
            hashtags=_hashtags(title, description),
            thumbnails=_thumbnail_urls(info),
            live_status=_text(info, "live_status") or None,
            release_timestamp=_int_or_none(info.get("release_timestamp")),
            availability=_text(info, "availability") or None,
            info=info,
        )


class MalformedInfo(ValueError):
    """An info dict with a field of the wrong type (a damaged or forged cache entry)."""


def _text(info: dict[str, Any], key: str) -> str:
    value = info.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedInfo(f"{key}: {type(value).__name__}, not text")
    return value


def _chapters(value: Any) -> tuple[Chapter, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedInfo(f"chapters: {type(value).__name__}, not a list")
    chapters = []
    for chapter in value:
        if not isinstance(chapter, dict):
            raise MalformedInfo("chapters: an item that is not an object")
        start = chapter.get("start_time") or 0
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not (
                0 <= start < 1e9):  # NaN and infinities fail this too
            raise MalformedInfo(f"chapters: start_time {str(start)[:40]!r} is not a time")
        chapters.append(Chapter(start=float(start), title=_text(chapter, "title")))
    return tuple(chapters)


def metadata_settled(info: dict[str, Any]) -> bool:
    """Whether a video's metadata (a yt-dlp info dict) has stopped changing, so the cache may
    keep it: an upcoming or live video's is still changing, and is fetched again next time."""
    return info.get("live_status") not in ("is_upcoming", "is_live")


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError, OverflowError):  # NaN, infinity
        return None


def _yyyymmdd(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _hashtags(*texts: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for text in texts:
        for tag in _HASHTAG.findall(text):
            seen.setdefault(tag, None)
    return tuple(seen)


def _thumbnail_urls(info: dict[str, Any]) -> tuple[str, ...]:
    """maxres first, then hq, then whatever else yt-dlp ranked highest."""
    listed = info.get("thumbnails")
    thumbs = [t for t in listed if isinstance(t, dict) and isinstance(t.get("url"), str)] \
        if isinstance(listed, list) else []
    by_id = {str(t.get("id")): str(t["url"]) for t in thumbs}
    urls: list[str] = []
    vid = info.get("id")
    for key, name in (("maxres", "maxresdefault"), ("hq", "hqdefault")):
        url = by_id.get(key) or (f"https://i.ytimg.com/vi/{vid}/{name}.jpg" if vid else None)
        if url:
            urls.append(url)
    ranked = sorted(thumbs, key=lambda t: _int_or_none(t.get("preference")) or 0, reverse=True)
    urls += [str(t["url"]) for t in ranked]
    if isinstance(info.get("thumbnail"), str) and info["thumbnail"]:
        urls.append(info["thumbnail"])
    return tuple(dict.fromkeys(urls))


@dataclass(frozen=True)
class Snippet:
    text: str
    start: float
    duration: float


@dataclass(frozen=True)
class Transcript:
    video_id: str
    language: str
    language_code: str
    is_generated: bool
    snippets: tuple[Snippet, ...]

    @property
    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.snippets)

    @property
    def text(self) -> str:
        return " ".join(" ".join(s.text.split()) for s in self.snippets if s.text.strip())

    def to_json(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "language": self.language,
            "language_code": self.language_code,
            "is_generated": self.is_generated,
            "snippets": [
                {"text": s.text, "start": s.start, "duration": s.duration} for s in self.snippets
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            video_id=str(data.get("video_id") or ""),
            language=str(data.get("language") or ""),
            language_code=str(data.get("language_code") or ""),
            is_generated=bool(data.get("is_generated")),
            snippets=tuple(map(_snippet, data.get("snippets") or ())),
        )


def _snippet(data: Any) -> Snippet:
    """A transcript.json snippet; ValueError when it is not one (a damaged cache entry)."""
    if not isinstance(data, dict) or not isinstance(data.get("text") or "", str):
        raise ValueError("a snippet that is not an object with a text")
    return checked_snippet(data.get("text") or "", float(data.get("start") or 0),
                           float(data.get("duration") or 0))


def checked_snippet(text: str, start: float, duration: float) -> Snippet:
    """A snippet whose times a transcript can hold; ValueError otherwise (a caption track or
    cache entry that is damaged: what is fetched is checked as what the cache gives back)."""
    if not (0 <= start < 1e9 and 0 <= duration < 1e9):  # NaN and infinities fail this too
        raise ValueError(f"a snippet at {start!r} s lasting {duration!r} s")
    return Snippet(text, start, duration)


# The list sections of the default analysis, after its summary.
SECTIONS: tuple[str, ...] = tuple(s.name for s in DEFAULT_SECTIONS if s.kind != "paragraph")

Analysis: type[BaseModel] = analysis_model(DEFAULT_SECTIONS)
