"""The prompt: fixed instructions (system), then the video's metadata and transcript as data.
Pure; claude.py sends what it builds.

The system text is the same for every video (so prompt caching applies to it): ytvault's
instructions, or a Fabric-style pattern in their place, then the rules and the sections. What
changes per video (its language, its budget, which part of it) is in the user message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ytvault.analysis.chunking import Part, part_budgets
from ytvault.config.sections import DEFAULT_SECTIONS, Section
from ytvault.models import Transcript, Video
from ytvault.note.render import format_length

# An opening or closing tag of our data blocks inside the data itself could end the block early.
_BLOCK_TAG = re.compile(r"<(?=\s*/?\s*(?:transcript|video|parts?)\b)", re.IGNORECASE)
_LOOKALIKE = "\u2039"  # a single angle quote: reads as "<" to the model, closes no block
# A Fabric pattern ends with an INPUT section for text piped after it; ours is the user message.
_PATTERN_INPUT = re.compile(r"\n#*\s*INPUT:?\s*(?:\n\s*INPUT:?\s*)?\Z", re.IGNORECASE)
_KIND_NOTE = {"paragraph": "a paragraph", "list": "a list", "quotes": "a list of quotes"}


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


def analysis_prompt(video: Video, transcript: Transcript, *,
                    sections: Sequence[Section] = DEFAULT_SECTIONS, pattern: str | None = None,
                    output_language: str = "transcript", part: Part | None = None) -> Prompt:
    """The prompt for the whole transcript, or for `part` of it."""
    language = language_name(output_language, transcript)
    piece = part.transcript if part else transcript
    budgets = part_budgets(sections, piece)
    what, whose = ("this part", "this part") if part else ("this video", "the video")
    lines = []
    if part is not None:
        lines.append(
            f"The transcript is too long for one request: this is part {part.index} of "
            f"{part.count} ({_span(part)}); the other parts are analysed on their own and "
            "merged.")
        lines.append("")
    lines += [
        "<transcript>",
        _BLOCK_TAG.sub(_LOOKALIKE, piece.text),
        "</transcript>",
        "",
        # Long data first and the request last is what the model handles best.
        f"Write the analysis of {what} in {language}. Budget, at most: "
        f"{_budget_text(sections, budgets)}. Fewer, or none, when {whose} has less to say.",
    ]
    return Prompt(system_prompt(tuple(sections), pattern), video_block(video, transcript),
                  "\n".join(lines))


def merge_prompt(video: Video, transcript: Transcript, sections: Sequence[Section],
                 answers: Sequence[tuple[Part, Mapping[str, str]]], *,
                 pattern: str | None = None, output_language: str = "transcript",
                 all_sections: Sequence[Section] = DEFAULT_SECTIONS) -> Prompt:
    """The prompt that turns the parts' paragraphs (`sections`, e.g. the summary) into the whole
    video's. The system text is the analysis's own, so the cached prefix serves this call too."""
    language = language_name(output_language, transcript)
    budgets = part_budgets(sections, transcript)
    lines = ["<parts>"]
    for part, answer in answers:
        lines.append(f"part {part.index} ({_span(part)}):")
        lines += [f"- {s.name}: {_inert(answer.get(s.name, ''))}" for s in sections]
    lines += [
        "</parts>",
        "",
        f"The transcript was too long for one request, so each of its {len(answers)} parts was "
        f"analysed on its own; above is what each part's {_names(sections)} said. Write the "
        f"{_names(sections)} of the whole video from them, in {language}, filling only "
        f"{'that field' if len(sections) == 1 else 'those fields'}. Budget, at most: "
        f"{_budget_text(sections, budgets)}.",
    ]
    return Prompt(system_prompt(tuple(all_sections), pattern), video_block(video, transcript),
                  "\n".join(lines))


def video_block(video: Video, transcript: Transcript) -> str:
    """The <video> block: the same for every part of one video."""
    words = len(transcript.text.split())
    language = transcript.language or transcript.language_code or "unknown"
    # youtube-transcript-api names generated tracks "English (auto-generated)" already.
    generated = transcript.is_generated and "auto" not in language.lower()
    lines = [
        "<video>",
        f"id: {video.id}",
        f"title: {_inert(video.title)}",
        f"channel: {_inert(video.channel)}",
        f"length: {format_length(video.duration) if video.duration else 'unknown'}",
        f"transcript: {_inert(language)}{' (auto-generated)' if generated else ''}, {words} words",
    ]
    if video.chapters:
        lines.append("chapters:")
        lines += [f"- {format_length(int(c.start))} {_inert(c.title)}" for c in video.chapters]
    lines.append("</video>")
    return "\n".join(lines)


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
    return f"{identity.strip()}\n\n{rules}"


@cache
def _template(name: str) -> str:
    return (files("ytvault") / "templates" / name).read_text(encoding="utf-8").strip()


def _budget_text(sections: Sequence[Section], budgets: Mapping[str, int]) -> str:
    def one(section: Section) -> str:
        n = budgets[section.name]
        unit = ("sentence" if n == 1 else "sentences") if section.kind == "paragraph" else (
            "item" if n == 1 else "items")
        return f"{section.name} {n} {unit}"

    return "; ".join(one(s) for s in sections)


def _names(sections: Sequence[Section]) -> str:
    return ", ".join(s.name for s in sections)


def _span(part: Part) -> str:
    """`12:00 to 24:30`: where a part is in the video, written as the note writes a length."""
    return f"{format_length(int(part.start))} to {format_length(int(part.end))}"


def _inert(text: str) -> str:
    return _BLOCK_TAG.sub(_LOOKALIKE, " ".join(text.split()))

