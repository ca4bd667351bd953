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
        """Build from a yt-dlp info dict (`sanitize_info(extract_info(url, download=False))`)."""
        title = str(info.get("title") or info.get("fulltitle") or info.get("id") or "")
        description = str(info.get("description") or "")
        return cls(
            id=str(info["id"]),
            title=title,
            channel=str(info.get("channel") or info.get("uploader") or ""),
            subscribers=_int_or_none(info.get("channel_follower_count")),
            duration=_int_or_none(info.get("duration")),
            duration_string=info.get("duration_string") or None,
            publish_date=_yyyymmdd(info.get("upload_date") or info.get("release_date")),
            chapters=tuple(
                Chapter(start=float(c.get("start_time") or 0), title=str(c.get("title") or ""))
                for c in info.get("chapters") or ()
            ),
            description=description,
            hashtags=_hashtags(title, description),
            thumbnails=_thumbnail_urls(info),
            live_status=info.get("live_status"),
            release_timestamp=_int_or_none(info.get("release_timestamp")),
            availability=info.get("availability"),
            info=info,
        )


def metadata_settled(info: dict[str, Any]) -> bool:
    """Whether a video's metadata (a yt-dlp info dict) has stopped changing, so the cache may
    keep it: an upcoming or live video's is still changing, and is fetched again next time."""
    return info.get("live_status") not in ("is_upcoming", "is_live")


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
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
    thumbs = [t for t in info.get("thumbnails") or () if isinstance(t, dict) and t.get("url")]
    by_id = {str(t.get("id")): str(t["url"]) for t in thumbs}
    urls: list[str] = []
    vid = info.get("id")
    for key, name in (("maxres", "maxresdefault"), ("hq", "hqdefault")):
        url = by_id.get(key) or (f"https://i.ytimg.com/vi/{vid}/{name}.jpg" if vid else None)
        if url:
            urls.append(url)
    ranked = sorted(thumbs, key=lambda t: t.get("preference") or 0, reverse=True)
    urls += [str(t["url"]) for t in ranked]
    if info.get("thumbnail"):
        urls.append(str(info["thumbnail"]))
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
            snippets=tuple(
                Snippet(str(s.get("text") or ""), float(s.get("start") or 0),
                        float(s.get("duration") or 0))
                for s in data.get("snippets") or ()
            ),
        )


# The list sections of the default analysis, after its summary.
SECTIONS: tuple[str, ...] = tuple(s.name for s in DEFAULT_SECTIONS if s.kind != "paragraph")

Analysis: type[BaseModel] = analysis_model(DEFAULT_SECTIONS)
