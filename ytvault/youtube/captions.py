"""Caption tracks: which one to use (`choose`, for youtube-transcript-api's list and for the
tracks yt-dlp lists in a video's info dict alike), and a yt-dlp track's body (json3, srv3 or
WebVTT) as snippets. Pure; client.py downloads the track when youtube-transcript-api cannot
fetch the transcript.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ytvault.errors import NoTranscript
from ytvault.models import Snippet, checked_snippet

FORMATS = ("json3", "srv3", "vtt")  # best first: exact timings, then the rest
NO_CAPTIONS = "no captions"


@dataclass(frozen=True)
class Track:
    url: str
    ext: str
    language_code: str
    language: str
    is_generated: bool


class Listed(Protocol):
    """A caption track as either library lists it: youtube-transcript-api's `Transcript`, or
    `Track` (what yt-dlp's info dict holds)."""

    @property
    def language_code(self) -> str: ...

    @property
    def is_generated(self) -> bool: ...


L = TypeVar("L", bound=Listed)


def choose(tracks: Sequence[L], languages: Sequence[str], *, any_language: bool = True) -> L:
    """Manual captions in `languages` order, then generated ones, then (if `any_language`) the
    first track, a manual one if there is one. `en` also matches `en-GB`.

    Raises NoTranscript "no captions" or "language not available: …".
    """
    if not tracks:
        raise NoTranscript(NO_CAPTIONS)
    manual = [t for t in tracks if not t.is_generated]
    generated = [t for t in tracks if t.is_generated]
    for group in (manual, generated):
        for wanted in languages:
            for track in group:
                if _matches(track.language_code, wanted):
                    return track
    if any_language:
        return (manual or generated)[0]
    have = ", ".join(dict.fromkeys(t.language_code for t in (*manual, *generated)))
    raise NoTranscript(f"language not available: captions in {have}; none in "
                       f"{', '.join(languages)}")


def choose_track(info: Mapping[str, Any], languages: Sequence[str], *,
                 any_language: bool = True) -> Track:
    """The track of yt-dlp's info dict to use (`choose`). Machine translations are never
    used."""
    return choose([*_tracks(info.get("subtitles"), generated=False),
                   *_tracks(info.get("automatic_captions"), generated=True)],
                  languages, any_language=any_language)


def _matches(code: str, wanted: str) -> bool:
    code, wanted = code.lower(), wanted.lower()
    return code == wanted or code.startswith(wanted + "-")


def _tracks(listing: Any, *, generated: bool) -> list[Track]:
    if not isinstance(listing, Mapping):
        return []
    out: dict[str, Track] = {}
    for key, formats in listing.items():
        if not isinstance(key, str) or key == "live_chat" or not isinstance(formats, list):
            continue
        by_ext = {f.get("ext"): f for f in formats
                  if isinstance(f, Mapping) and isinstance(f.get("url"), str)}
        best = next((by_ext[ext] for ext in FORMATS if ext in by_ext), None)
        # yt-dlp lists every language YouTube can machine-translate the captions into
        # (`tlang=` in the URL); the original is also listed as `<code>-orig`.
        if best is None or "tlang=" in best["url"]:
            continue
        code = key.removesuffix("-orig")
        name = str(best.get("name") or code).removesuffix(" (Original)")
        if generated and "auto-generated" not in name:
            name += " (auto-generated)"
        out.setdefault(code, Track(best["url"], str(best["ext"]), code, name, generated))
    return list(out.values())


def parse_track(body: bytes, ext: str, *, generated: bool = False) -> list[Snippet]:
    """A track's body as snippets, each with times a transcript can hold. Raises ValueError
    when it is not that format, or not a sane track of it (a time that is negative, runs
    backwards or is not a number), so that the cache never stores what it would refuse."""
    try:
        if ext == "json3":
            parsed = parse_json3(body)
        elif ext == "srv3":
            parsed = parse_srv3(body)
        elif ext == "vtt":
            parsed = parse_vtt(body.decode("utf-8-sig"), rolling=generated)
        else:
            raise ValueError(f"unsupported caption format {ext!r}")
    except (TypeError, AttributeError) as exc:  # a field of the wrong type
        raise ValueError(f"a {ext} caption track of an unexpected shape: {exc}") from None
    return [checked_snippet(s.text, s.start, s.duration) for s in parsed]


def parse_json3(body: bytes) -> list[Snippet]:
    """YouTube's json3: `events` with `tStartMs`, `dDurationMs` and `segs` of `utf8` text; the
    events of generated captions that only break a line hold nothing but a newline."""
    data = json.loads(body)
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise ValueError("json3 without events")
    out = []
    for event in events:
        segs = event.get("segs") if isinstance(event, dict) else None
        if not isinstance(segs, list):
            continue
        text = _clean("".join(str(s.get("utf8") or "") for s in segs if isinstance(s, dict)))
        if text:
            out.append(Snippet(text, int(event.get("tStartMs") or 0) / 1000,
                               int(event.get("dDurationMs") or 0) / 1000))
    return out


def parse_srv3(body: bytes) -> list[Snippet]:
    """YouTube's srv3 XML: `<p t="ms" d="ms">` paragraphs, words in `<s>` for generated ones."""
    import xml.etree.ElementTree as ET  # expat >= 2.4.1 refuses entity-expansion bombs

    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"srv3 that is not XML: {exc}") from None
    out = []
    for p in root.iter("p"):
        text = _clean(html.unescape("".join(p.itertext())))
        if text:
            out.append(Snippet(text, int(p.get("t") or 0) / 1000, int(p.get("d") or 0) / 1000))
    return out


_CUE_TIME = re.compile(
    r"^((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})")
_TAG = re.compile(r"<[^>]*>")


def parse_vtt(text: str, *, rolling: bool = False) -> list[Snippet]:
    """WebVTT cues as snippets. `rolling`: YouTube's generated VTT repeats each line in the next
    cue (and in 10 ms cues between), so lines already shown by the previous cue are left out."""
    if not text.lstrip().startswith("WEBVTT"):
        raise ValueError("not WebVTT")
    out: list[Snippet] = []
    shown: list[str] = []
    # cues are separated by empty lines; YouTube's own cues hold lines of one space
    for block in re.split(r"(?:\r?\n){2,}", text):
        lines = block.strip("\r\n").splitlines()
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line.strip())), None)
        if timing is None:
            continue  # the header, a NOTE or a STYLE block
        match = _CUE_TIME.match(lines[timing].strip())
        assert match is not None
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        cue = [t for t in (_clean(html.unescape(_TAG.sub("", line)))
                           for line in lines[timing + 1:]) if t]
        new = [line for line in cue if line not in shown] if rolling else cue
        shown = cue
        if new:
            out.append(Snippet(" ".join(new), start, round(end - start, 3)))
    return out


def _seconds(stamp: str) -> float:
    total = 0.0
    for field in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(field)
    return round(total, 3)


def _clean(text: str) -> str:
    return " ".join(text.split())
