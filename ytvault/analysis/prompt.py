"""The prompt: fixed instructions (system), then the video's metadata and transcript as data.
Pure; claude.py sends what it builds.

The system text is the same for every video (so prompt caching applies to it): ytvault's
instructions, or a Fabric-style pattern in their place, then the rules and the sections. What
changes per video (its metadata, language, budget, which part of it) is in the user message.
A long video's parts are merged by one more request (`merge_prompt`) that sees every part's
candidate items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ytvault.analysis.chunking import Part, part_budgets
from ytvault.analysis.quotes import QuoteCandidate
from ytvault.config.sections import DEFAULT_SECTIONS, Section
from ytvault.models import Transcript, Video
from ytvault.note.render import format_length, format_time

# An opening or closing tag of our data blocks inside the data itself could end the block early.
_BLOCK_TAG = re.compile(r"<(?=\s*/?\s*(?:transcript|video|parts?|candidates)\b)", re.IGNORECASE)
_LOOKALIKE = "\u2039"  # a single angle quote: reads as "<" to the model, closes no block
# A Fabric pattern ends with an INPUT section for text piped after it; ours is the user message.
_PATTERN_INPUT = re.compile(r"\n#*\s*INPUT:?\s*(?:\n\s*INPUT:?\s*)?\Z", re.IGNORECASE)
_KIND_NOTE = {"paragraph": "a paragraph", "list": "a list", "quotes": "a list of quotes"}
# The description is context, not content: its start says what the video is (links and
# sponsor reads follow), and a long one would cost more than it tells.
DESCRIPTION_CHARS = 1000
_MARKER_SLACK = 10.0
# A pattern's own rules on format and counts would fight the schema and the budget.
_PATTERN_PRECEDENCE = (
    "The instructions above are the user's own. Where they differ from the rules below on the "
    "answer's format, the number of items or quotes, the rules below win.")


@dataclass(frozen=True)
class Prompt:
    """`system`; the user message is `context` (the <video> block) then `request`."""

    system: str
    context: str
    request: str

    @property
    def user(self) -> str:
        return f"{self.context}\n\n{self.request}"


def build_prompt(video: Video, transcript: Transcript, *,
                 sections: Sequence[Section] = DEFAULT_SECTIONS, pattern: str | None = None,
                 output_language: str = "transcript") -> tuple[str, str]:
    """(system, user) for the whole transcript in one request."""
    prompt = analysis_prompt(video, transcript, sections=sections, pattern=pattern,
                             output_language=output_language)
    return prompt.system, prompt.user


def quote_candidates(budget: int) -> int:
    """How many quotes to ask for when `budget` are to be kept: a few more, since some may
    fail the check against the transcript."""
    return budget + max(2, math.ceil(budget / 3))


def analysis_prompt(video: Video, transcript: Transcript, *,
                    sections: Sequence[Section] = DEFAULT_SECTIONS, pattern: str | None = None,
                    output_language: str = "transcript", part: Part | None = None) -> Prompt:
    """The prompt for the whole transcript, or for `part` of it."""
    language = language_name(output_language, transcript)
    piece = part.sent if part else transcript
    budgets = part_budgets(sections, piece, part.end - part.start if part else video.duration)
    lines = []
    if part is not None:
        lead = " It begins with the last lines of the part before, so that no sentence is cut."
        lines += [
            f"The transcript is too long for one request: this is part {part.index} of "
            f"{part.count} ({_span(part)}).{lead if part.lead else ''} Each part is analysed "
            "on its own, and the whole video's analysis is then written from every part's.",
            ""]
    lines += [
        "<transcript>",
        marked_transcript(piece, video),
        "</transcript>",
        "",
        # Long data first and the request last is what the model handles best.
        f"Write the analysis of {'this part' if part else 'this video'} in {language}. "
        f"Budget, at most: {_budget_text(sections, budgets)}.",
    ]
    return Prompt(system_prompt(tuple(sections), pattern), video_block(video, transcript),
                  "\n".join(lines))


def merge_prompt(video: Video, transcript: Transcript, sections: Sequence[Section],
                 answers: Sequence[tuple[Part, Mapping[str, Sequence[str]]]],
                 quotes: Sequence[QuoteCandidate] = (), *, pattern: str | None = None,
                 output_language: str = "transcript") -> Prompt:
    """The request that writes the whole video's analysis from its parts': every part's
    candidate items, and the quote candidates found in the transcript, numbered, to be chosen
    by number. The system text is the analysis's own, so the cached prefix serves it too."""
    language = language_name(output_language, transcript)
    budgets = part_budgets(sections, transcript, video.duration)
    lines = ["<candidates>"]
    for part, answer in answers:
        lines.append(f"part {part.index} ({_span(part)}):")
        for section in sections:
            if section.kind == "quotes":
                continue
            items = [_inert(item) for item in answer.get(section.name, ())]
            if section.kind == "paragraph":
                lines.append(f"{section.name}: {' '.join(items)}")
            else:
                lines.append(f"{section.name}:")
                lines += [f"- {item}" for item in items]
    for section in sections:
        if section.kind == "quotes":
            lines.append(f"{section.name} (found in the transcript):")
            lines += [f"- {n} [{_time(q.start, video)}, part {q.part}] {_inert(q.text)}"
                      for n, q in enumerate(quotes, 1) if q.section == section.name]
    lines += [
        "</candidates>",
        "",
        f"The transcript was too long for one request, so each of its {len(answers)} parts "
        "was analysed on its own: above are the candidates each part gave. Write the analysis "
        f"of the whole video from them, in {language}: rank them by importance to the whole "
        "video, keep the best, combine the ones that say the same thing or that join up "
        "across parts (an insight may join points from different parts), and rewrite them "
        "for the whole video. For a quotes section, answer with the numbers of the chosen "
        f"candidates. Budget, at most: {_budget_text(sections, budgets, merge=True)}.",
    ]
    return Prompt(system_prompt(tuple(sections), pattern), video_block(video, transcript),
                  "\n".join(lines))


def video_block(video: Video, transcript: Transcript) -> str:
    """The <video> block: the same for every part of one video."""
    language = transcript.language or transcript.language_code or "unknown"
    # youtube-transcript-api names generated tracks "English (auto-generated)" already.
    generated = transcript.is_generated and "auto" not in language.lower()
    lines = [
        "<video>",
        f"title: {_inert(video.title)}",
        f"channel: {_inert(video.channel)}",
        f"published: {video.publish_date.isoformat() if video.publish_date else 'unknown'}",
        f"length: {format_length(video.duration) if video.duration else 'unknown'}",
        f"transcript: {_inert(language)}{' (auto-generated)' if generated else ''}",
    ]
    if video.chapters:
        lines.append("chapters:")
        lines += [f"- {format_length(int(c.start))} {_inert(c.title)}" for c in video.chapters]
    description = _inert(video.description)
    if description:
        if len(description) > DESCRIPTION_CHARS:
            description = description[:DESCRIPTION_CHARS - 1].rstrip() + "\u2026"
        lines.append(f"description: {description}")
    lines.append("</video>")
    return "\n".join(lines)


def marked_transcript(transcript: Transcript, video: Video) -> str:
    """The transcript's text, with a `[mm:ss] Title` line where each chapter starts: before
    the first line spoken from its start on (a part cut inside a chapter has no marker for
    it: the <video> block lists every chapter)."""
    spoken = [s for s in transcript.snippets if s.text.strip()]
    if not spoken:
        return ""
    # Chapter starts and caption lines rarely meet exactly: a chapter that begins a few
    # seconds before the first line is this text's.
    chapters = [c for c in sorted(video.chapters, key=lambda c: c.start)
                if c.start >= spoken[0].start - _MARKER_SLACK]
    out: list[str] = []
    line: list[str] = []
    at = 0
    for snippet in spoken:
        while at < len(chapters) and chapters[at].start <= snippet.start:
            if line:
                out.append(" ".join(line))
                line = []
            out.append(f"[{_time(chapters[at].start, video)}] {_inert(chapters[at].title)}")
            at += 1
        line.append(" ".join(snippet.text.split()))
    out.append(" ".join(line))
    return _BLOCK_TAG.sub(_LOOKALIKE, "\n".join(out))


def _time(seconds: float, video: Video) -> str:
    return format_time(seconds, long=(video.duration or 0) >= 3600)


def language_name(setting: str, transcript: Transcript) -> str:
    """The language to write in: the configured one, or the transcript's own."""
    if setting.strip().lower() != "transcript":
        return _inert(setting)
    name = re.sub(r"\s*\([^)]*\)\s*$", "", transcript.language).strip()
    return _inert(name or transcript.language_code) or "the language of the transcript"


@cache
def system_prompt(sections: tuple[Section, ...], pattern: str | None = None) -> str:
    identity = _PATTERN_INPUT.sub("", pattern.strip()) if pattern else _template("prompt.md")
    listing = "\n".join(f"- {s.name} ({_KIND_NOTE[s.kind]}): {' '.join(s.instruction.split())}"
                        for s in sections)
    rules = _template("rules.md").replace("{{sections}}", listing)
    precedence = f"{_PATTERN_PRECEDENCE}\n\n" if pattern else ""
    return f"{identity.strip()}\n\n{precedence}{rules}"


@cache
def _template(name: str) -> str:
    return (files("ytvault") / "templates" / name).read_text(encoding="utf-8").strip()


def _budget_text(sections: Sequence[Section], budgets: Mapping[str, int], *,
                 merge: bool = False) -> str:
    def one(section: Section) -> str:
        n = budgets[section.name]
        if section.kind == "paragraph":
            return f"{section.name} {n} {'sentence' if n == 1 else 'sentences'}"
        unit = "item" if n == 1 else "items"
        if section.kind == "quotes" and not merge:
            return f"{section.name} {n} {unit}, from up to {quote_candidates(n)} candidates"
        return f"{section.name} {n} {unit}"

    return "; ".join(one(s) for s in sections)


def _span(part: Part) -> str:
    """`12:00 to 24:30`: where a part is in the video, written as the note writes a length."""
    return f"{format_length(int(part.start))} to {format_length(int(part.end))}"


def _inert(text: str) -> str:
    return _BLOCK_TAG.sub(_LOOKALIKE, " ".join(text.split()))
