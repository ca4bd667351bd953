"""Every YouTube URL form → video id: the first step after reading a note.

One table (`_ROUTES`) says which host and path carry a video id and where; nothing else
decides. Hosts match exactly, so look-alikes (`youtube.com.evil.example`) never pass.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlsplit

_ID = re.compile(r"[A-Za-z0-9_-]{11}")

_YOUTUBE = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_NOCOOKIE = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_SHORT = frozenset({"youtu.be"})
_HOSTS = _YOUTUBE | _NOCOOKIE | _SHORT


class _Route(NamedTuple):
    hosts: frozenset[str]
    prefix: str  # the path up to the id, or the whole path when the id is in the query
    source: Literal["path", "query"]


_ROUTES: tuple[_Route, ...] = (
    _Route(_YOUTUBE, "/watch", "query"),  # ?v=ID, among any other parameters
    _Route(_YOUTUBE, "/shorts/", "path"),
    _Route(_YOUTUBE, "/live/", "path"),
    _Route(_YOUTUBE, "/embed/", "path"),
    _Route(_YOUTUBE, "/v/", "path"),
    _Route(_NOCOOKIE, "/embed/", "path"),
    _Route(_SHORT, "/", "path"),
)

# Embed paths whose last segment happens to be 11 id-shaped characters but names a
# playlist or a channel's stream, not a video.
_NOT_IDS = frozenset({"videoseries", "live_stream"})

# Tokenizer for find_urls only: a known host name at a word boundary (not inside
# `evilyoutube.com`, not after `user@`), then everything up to whitespace or a bracket.
_CANDIDATE = re.compile(
    r"(?<![\w.@-])(?:https?://|//)?(?:[a-z0-9-]+\.)*"
    r"(?:youtube\.com|youtu\.be|youtube-nocookie\.com)(?![\w.-])[^\s<>()\[\]{}\"'`|]*",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?*~"  # sentence and emphasis marks; never `_` or `-`, ids end in them


def is_video_id(text: str) -> bool:
    """Whether `text` is shaped like a video id: 11 letters, digits, `_` or `-`."""
    return _ID.fullmatch(text) is not None


def video_id(url: str) -> str | None:
    """The 11-character id, or None when `url` is not a single-video YouTube URL."""
    parts = _split(url)
    if parts is None:
        return None
    host, path = parts.hostname, parts.path
    for route in _ROUTES:
        if host not in route.hosts:
            continue
        if route.source == "query":
            if path.rstrip("/") == route.prefix:
                return _first_v(parts.query)
        elif path.startswith(route.prefix):
            rest = path[len(route.prefix) :]
            candidate = rest[:-1] if rest.endswith("/") else rest
            if is_video_id(candidate) and candidate not in _NOT_IDS:
                return candidate
    return None


def find_urls(text: str) -> list[str]:
    """Every URL in `text` on a YouTube host (any path, video or not), in order, as written."""
    found: list[str] = []
    for match in _CANDIDATE.finditer(text):
        candidate = match.group().rstrip(_TRAILING)
        parts = _split(candidate)
        if parts is not None and parts.hostname in _HOSTS:
            found.append(candidate)
    return found


def _split(url: str) -> SplitResult | None:
    """urlsplit with a default scheme, refusing what could hide the real host."""
    url = url.strip()
    if "://" not in url and not url.startswith("//"):
        url = "https://" + url  # pasted without a scheme: `youtube.com/watch?v=…`
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # bad port, bracketed garbage, NFKC-unsafe netloc
        return None
    if parts.scheme not in ("http", "https", ""):
        return None
    # `youtube.com@evil.example` is a link to evil.example; refuse every userinfo.
    if "@" in parts.netloc:
        return None
    if port not in (None, 80, 443) or parts.hostname is None:
        return None
    return parts


def _first_v(query: str) -> str | None:
    # `&amp;` survives when a URL is copied out of HTML.
    for key, value in parse_qsl(query.replace("&amp;", "&")):
        if key == "v":
            return value if is_video_id(value) else None
    return None


_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{2,64}")


def is_playlist_id(text: str) -> bool:
    """Whether `text` is shaped like a playlist id (`PL…`, `UU…`, `OLAK5uy_…`)."""
    return _PLAYLIST_ID.fullmatch(text) is not None


def playlist_id(url: str) -> str | None:
    """The id of a playlist page URL (`youtube.com/playlist?list=…`), else None.

    A video URL that also names a playlist (`watch?v=…&list=…`) is the video, as for stubs.
    """
    parts = _split(url)
    if parts is None or parts.hostname not in _YOUTUBE or parts.path.rstrip("/") != "/playlist":
        return None
    for key, value in parse_qsl(parts.query.replace("&amp;", "&")):
        if key == "list":
            return value if is_playlist_id(value) else None
    return None
