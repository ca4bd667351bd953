"""Render a note from a video, its analysis and a clock: pure functions on strings.

Everything that came from YouTube or the model is escaped on the way in: YAML scalars read the
same to YAML 1.1 and 1.2 readers, property values hold no Templater or HTML tag, embed or
wikilink, the iframe's title attribute reads as the exact title, and body text is inert
Markdown (no code, HTML, embeds, links, tags or headings of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib import resources

from pydantic import BaseModel

from ytvault.config import sections as sections_
from ytvault.config.sections import DEFAULT_SECTIONS, Section
from ytvault.models import Video
from ytvault.note.yamltext import scalar

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_AMBIGUOUS_AMP = re.compile(r"&(?=[A-Za-z0-9#])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Characters that start Markdown/Obsidian constructs anywhere in a line: code spans and fences,
# links, embeds, wikilinks, footnotes, tags, comments; backslash first so escapes can't combine.
_MD_SPECIAL = re.compile(r"([\\`\[\]#]|%%|::)")
# Constructs that only count at the start of a line (lists, quotes, headings, tables, rules).
_LINE_START = re.compile(r"^(?:[-+*=|>~_]|\d+[.)])")

# A property value shows as plain text, but Templater runs `<% %>` anywhere in a new note, and
# Dataview renders values as Markdown (HTML, embeds). Backslashes and entities would show as
# they are in the properties view, so YouTube's text gets look-alikes that read the same.
_HTML_TAG = re.compile(r"<(/?[A-Za-z!?][^<>]*)>|<(?=[A-Za-z/!?])")
_LINKISH = re.compile(r"!?\[\[|\]\]|!\[")
_LT, _GT, _LB, _RB = "\u2039", "\u203a", "\uff3b", "\uff3d"  # single angle quotes, full-width [ ]

PLAYER = (
    '<iframe title="{title}" src="https://www.youtube.com/embed/{id}?feature=oembed" '
    'height="113" width="200" style="aspect-ratio: 1.76991 / 1; width: 100%; height: 100%;" '
    'allowfullscreen="" allow="fullscreen"></iframe>'
)


@cache
def default_template() -> str:
    return (resources.files("ytvault") / "templates" / "note.md").read_text(encoding="utf-8")


def render_note(
    video: Video,
    *,
    url: str,
    body: str,
    thumbnail: str | None,
    now: datetime,
    template: str | None = None,
    body_embed: str | None = None,
    chapter_links: bool = False,
) -> str:
    """The whole note. `body` is the analysis block (or a callout) that goes above the player;
    `thumbnail` is the thumbnail's path as a wikilink holds it (its file name in the default
    vault), None when there is none; `body_embed` replaces the wikilink embed in the body when
    the vault writes Markdown links (the property keeps the wikilink, which Obsidian tracks);
    `chapter_links` adds the chapters, linked to their moments, above the player."""
    embed = f"![[{thumbnail}]]" if thumbnail else ""
    values = {
        "title": scalar(inert_value(video.title)),
        "channel": scalar(inert_value(video.channel)) if video.channel else "",
        "subscribers": "" if video.subscribers is None else str(video.subscribers),
        "length": format_length(video.duration),
        "publish_date": video.publish_date.isoformat() if video.publish_date else "",
        "chapters": yaml_list(
            f"{format_time(c.start, long=(video.duration or 0) >= 3600)} {inert_value(c.title)}"
            for c in video.chapters
        ),
        "hashtags": yaml_list(video.hashtags),
        "thumbnail": scalar(embed) if embed else '""',
        "note_created": now.strftime("%Y-%m-%d, %H:%M"),
        "youtube_url": scalar(url),
        "created": now.strftime("%Y-%m-%dT%H:%M"),
        "thumbnail_embed": (body_embed or embed) + "\n" if embed else "",
        "analysis": body,
        "chapter_links": render_chapters(video) if chapter_links else "",
        "player": PLAYER.format(title=html_attr(video.title), id=video.id),
    }
    text = template or default_template()
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render_analysis(
    analysis: BaseModel,
    *,
    sections: Sequence[Section] = DEFAULT_SECTIONS,
    quote_times: Mapping[str, float | None] | None = None,
    video_id: str = "",
) -> str:
    """Each section's heading, then its paragraph or its list, then a blank line; an empty
    section is its heading alone (the default: `# SUMMARY` and the seven lists of the seed).

    `quote_times` (quotes.CheckedQuotes.links): a quote with a time links to that moment of
    `video_id`; one with None is marked as not found in the transcript; others stay plain.
    """
    times = quote_times or {}
    out = []
    for section in sections:
        items = sections_.values(analysis, section)
        if section.kind == "paragraph":
            text = inline_text(" ".join(items))
            out.append(f"{section.title}\n\n{text}\n\n" if text else f"{section.title}\n\n")
            continue
        quotes = section.kind == "quotes"
        lines = "".join(
            f"- {_quote(item, times, video_id) if quotes else inline_text(item)}\n"
            for item in items)
        out.append(f"{section.title}\n\n{lines}\n" if lines else f"{section.title}\n\n")
    return "".join(out)


def render_chapters(video: Video) -> str:
    """`# CHAPTERS:` and one line per chapter: its start, linked to that moment, and its title."""
    if not video.chapters:
        return ""
    lines = "".join(f"- {moment_link(video.id, c.start)} {inline_text(c.title)}\n"
                    for c in video.chapters)
    return f"# CHAPTERS:\n\n{lines}\n"


def moment_link(video_id: str, seconds: float) -> str:
    """`[12:34](https://youtu.be/ID?t=754)`: the time as YouTube shows it, linked to it."""
    at = max(0, int(seconds))
    return f"[{format_length(at)}](https://youtu.be/{video_id}?t={at})"


def render_callout(kind: str, state: str, message: str) -> str:
    """One of ytvault's own callouts; `message` is ours (trusted Markdown), one paragraph."""
    return f"> [!{kind}] ytvault: {state}\n> {message}\n\n"


def _quote(text: str, times: Mapping[str, float | None], video_id: str) -> str:
    quoted = '"' + inline_text(text.strip().strip("\"“”").strip()) + '"'
    if text not in times:
        return quoted
    start = times[text]
    if start is None:
        return f"{quoted} (not found in the transcript)"
    return f"{quoted} ({moment_link(video_id, start)})" if video_id else quoted


def inline_text(text: str) -> str:
    """Untrusted text as one inert Markdown paragraph that displays as the text itself."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    flat = _AMBIGUOUS_AMP.sub("&amp;", flat).replace("<", "&lt;").replace(">", "&gt;")
    flat = _MD_SPECIAL.sub(lambda m: "".join("\\" + ch for ch in m.group(1)), flat)
    return "\\" + flat if _LINE_START.match(flat) else flat


def inert_value(text: str) -> str:
    """Untrusted text for a property: the `<` of Templater and HTML tags becomes a single
    angle quote (and a tag's `>` too), the brackets of embeds and wikilinks full-width ones:
    nothing runs, renders or links, and it reads as the text did."""
    text = text.replace("<%", _LT + "%").replace("%>", "%" + _GT)  # in turn: `<%>` has both
    text = _HTML_TAG.sub(lambda m: _LT if m.group(1) is None else _LT + m.group(1) + _GT, text)
    return _LINKISH.sub(lambda m: m.group().replace("[", _LB).replace("]", _RB), text)


def html_attr(text: str) -> str:
    """`text` for a double-quoted HTML attribute: a browser reads back exactly `text`.

    A bare `&` followed by a space stays (HTML allows it, and the seed note keeps it); one that
    could start a character reference is escaped, as are quotes and angle brackets.
    """
    text = _AMBIGUOUS_AMP.sub("&amp;", _CONTROL.sub(" ", text))
    return text.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def yaml_list(items: Iterable[object]) -> str:
    """A block list after `key:` (" " when empty, as the seed writes `hashtags: `)."""
    lines = "".join(f"\n  - {scalar(str(item))}" for item in items)
    return lines or " "


def format_length(seconds: int | None) -> str:
    """`47:41`, `1:02:05`; `0:45` for a Short. Empty when unknown (an upcoming premiere)."""
    if seconds is None:
        return ""
    if seconds >= 3600:
        return format_time(seconds, long=True)
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def format_time(seconds: float, *, long: bool) -> str:
    """A chapter's start: `05:57`, or `0:05:57` in a video of an hour or more."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if long else f"{minutes:02d}:{secs:02d}"
