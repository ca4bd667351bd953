"""Every YouTube URL form → video id: the first step after reading a note.

One table (`_ROUTES`) says which host and path carry a video id and where; nothing else
decides. Hosts match exactly, so look-alikes (`youtube.com.evil.example`) never pass.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlsplit

from ytvault.records import NamedTuple

TYPE_CHECKING = False  # no `typing` at run time: `status` reads stubs with this
if TYPE_CHECKING:
    from typing import Literal

    Pasted = Literal["video", "playlist", "bad id"]

# What an id is made of (a set, not a regex: every start that reads a stub checks ids)
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

_YOUTUBE = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_NOCOOKIE = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_SHORT = frozenset({"youtu.be"})
_CONSENT = frozenset({"consent.youtube.com"})
_HOSTS = _YOUTUBE | _NOCOOKIE | _SHORT | _CONSENT


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


class _Redirect(NamedTuple):
    hosts: frozenset[str]
    paths: frozenset[str]
    param: str  # the query parameter that holds the address passed on to


# Pages that only pass the visitor on: the EU cookie-consent page (`continue=` holds the whole
# address, percent-encoded) and old share links (`attribution_link?u=` holds a path on
# youtube.com). The address they carry is read with `_ROUTES`, one level deep, so it too must
# be on a YouTube host, and a redirect inside a redirect is refused.
_REDIRECTS: tuple[_Redirect, ...] = (
    _Redirect(_CONSENT, frozenset({"/m", "/ml"}), "continue"),
    _Redirect(_YOUTUBE, frozenset({"/attribution_link"}), "u"),
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
    return len(text) == 11 and all(c in _ID_CHARS for c in text)


def video_id(url: str) -> str | None:
    """The 11-character id, or None when `url` is not a single-video YouTube URL."""
    parts = _target(url)
    candidate = None if parts is None else _candidate(parts)
    return candidate if candidate is not None and is_video_id(candidate) else None


def pasted(url: str) -> tuple[Pasted, str] | None:
    """What a YouTube address names, with its id: a video, a playlist, or a `bad id` (where a
    video's id belongs stands something else: a truncated copy, say). None for any other
    address (a channel, a search, another site)."""
    parts = _target(url)
    if parts is None:
        return None
    candidate = _candidate(parts)
    if candidate is not None and is_video_id(candidate):
        return "video", candidate
    plist = _playlist(parts)
    if plist is not None:
        return "playlist", plist
    if candidate:
        return "bad id", candidate
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


def _target(url: str) -> SplitResult | None:
    """The address `url` leads to: itself, or what a consent page or share link passes on to."""
    parts = _split(url)
    if parts is None:
        return None
    for redirect in _REDIRECTS:
        if parts.hostname in redirect.hosts and parts.path.rstrip("/") in redirect.paths:
            inner = _param(parts.query, redirect.param)
            if inner is None:
                return None
            if inner.startswith("/") and not inner.startswith("//"):
                inner = "https://www.youtube.com" + inner  # a path on youtube.com
            target = _split(inner)
            if target is None or target.hostname in _CONSENT or any(
                    target.hostname in r.hosts and target.path.rstrip("/") in r.paths
                    for r in _REDIRECTS):
                return None
            return target
    return parts


def _candidate(parts: SplitResult) -> str | None:
    """What stands where a route puts a video's id, id-shaped or not; None when no route
    matches or the place is empty."""
    host, path = parts.hostname, parts.path
    for route in _ROUTES:
        if host not in route.hosts:
            continue
        if route.source == "query":
            if path.rstrip("/") == route.prefix:
                return _param(parts.query, "v") or None
        elif path.startswith(route.prefix):
            rest = path[len(route.prefix) :]
            candidate = rest[:-1] if rest.endswith("/") else rest
            return candidate if candidate and candidate not in _NOT_IDS else None
    return None


def _param(query: str, key: str) -> str | None:
    """The first value of `key` (decoded), None when absent."""
    # `&amp;` survives when a URL is copied out of HTML.
    for name, value in parse_qsl(query.replace("&amp;", "&"), keep_blank_values=True):
        if name == key:
            return value
    return None


def is_playlist_id(text: str) -> bool:
    """Whether `text` is shaped like a playlist id (`PL…`, `UU…`, `OLAK5uy_…`)."""
    return 2 <= len(text) <= 64 and all(c in _ID_CHARS for c in text)


def playlist_id(url: str) -> str | None:
    """The id of a playlist's address (`youtube.com/playlist?list=…`, or `watch?list=…`
    without a video), else None.

    A video URL that also names a playlist (`watch?v=…&list=…`) is the video, as for stubs.
    """
    parts = _target(url)
    return None if parts is None else _playlist(parts)


def _playlist(parts: SplitResult) -> str | None:
    if parts.hostname not in _YOUTUBE:
        return None
    path = parts.path.rstrip("/")
    if path == "/watch" and _param(parts.query, "v") is not None:
        return None
    if path not in ("/playlist", "/watch"):
        return None
    value = _param(parts.query, "list")
    return value if value is not None and is_playlist_id(value) else None
