"""The sections of the analysis: what the model is asked for, how much of it, and the schema its
answer must match. Pure; shared by the prompt (prompt.py), the merge of long videos and
render.

The default is the seed note's eight sections; `sections` in config.toml replaces them.
"""

from __future__ import annotations

import re
from functools import cache

from ytvault.config.schema import Invalid, Schema, required, setting

TYPE_CHECKING = False  # no `typing` at run time: the config loads at every start (schema.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Literal

    from pydantic import BaseModel

# Every section reaches its full size at two hours. Sizes follow time, not words: a Japanese
# or Thai transcript has no spaces to count words by, and an hour is an hour in any language.
FULL_SIZE_SECONDS = 7200.0
# Up to this long (a Short) a list gets one item; longer, at least two.
SHORT_SECONDS = 80.0

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# A name is a field of the answer's pydantic model (`analysis_model`), so it must not shadow
# one of BaseModel's attributes: `model_*` by prefix, these by name. Listed rather than looked
# up so that loading the config never imports pydantic; a test keeps the list in step.
RESERVED = frozenset({
    "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
    "schema", "schema_json", "update_forward_refs", "validate",
})


class Section(Schema):
    """One section of the note: `# HEADING` and a paragraph or a bullet list."""

    name: str = required("The field's name in the model's answer; the heading is made from it.")
    instruction: str = required("What the model writes in it.")
    size: int = setting(
        15, "At most this many items (sentences for a paragraph), reached by a "
        "two-hour video; shorter videos get proportionally fewer.", ge=1, le=50)
    kind: Literal["paragraph", "list", "quotes"] = setting(
        "list", "paragraph: one paragraph; list: bullet items; quotes: bullet items "
        "checked against the transcript and linked to their moment.")
    heading: str | None = setting(
        None, "The heading line as written in the note (default: `# NAME:`, "
        "`# NAME` for a paragraph).")

    def __post_init__(self) -> None:
        if not re.fullmatch(NAME_PATTERN, self.name):
            raise Invalid("name", "must be lower case letters, digits and _, starting with a "
                          "letter, at most 40", self.name)
        if self.name.startswith("model_") or self.name in RESERVED:
            raise Invalid("name", f"{self.name!r} is reserved: choose another section name")
        if not self.instruction.strip():
            raise Invalid("instruction", "must not be empty", self.instruction)
        if self.heading is not None and (not self.heading.strip()
                                         or re.search(r"[\r\n]", self.heading)):
            raise Invalid("heading", "must be one line of text", self.heading)

    @property
    def title(self) -> str:
        if self.heading is not None:
            return self.heading
        word = self.name.replace("_", " ").upper()
        return f"# {word}" if self.kind == "paragraph" else f"# {word}:"

    @property
    def unit(self) -> str:
        return "sentences" if self.kind == "paragraph" else "items"


DEFAULT_SECTIONS: tuple[Section, ...] = (
    Section(name="summary", kind="paragraph", size=4,
            instruction="who speaks, to whom, about what, and what they conclude."),
    Section(name="ideas", instruction="the most important ideas, each stated as a claim."),
    Section(name="insights",
            instruction="what follows from the ideas: refined, joined across the video, or "
            "their consequences; not a repeat of an idea."),
    Section(name="quotes", kind="quotes",
            instruction="the most striking sentences, exactly as spoken."),
    Section(name="habits",
            instruction="practices the speakers follow or describe that are worth adopting."),
    Section(name="facts",
            instruction="checkable statements of fact made in the video (numbers, dates, "
            "names, results), each one that could be verified elsewhere; no opinions, no "
            "advice."),
    Section(name="references",
            instruction="books, papers, tools, people, organisations and projects mentioned "
            "by name."),
    Section(name="recommendations",
            instruction="what the video tells its viewer to do, each an imperative that "
            "starts with the verb (\"Measure the soil before changing anything\")."),
)


def check_sections(sections: Sequence[Section]) -> tuple[Section, ...]:
    """The sections as a tuple; raises `Invalid` when they cannot make one answer schema."""
    if not sections:
        raise Invalid("sections", "must list at least one section")
    names = [s.name for s in sections]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise Invalid("sections", f"names must differ: {', '.join(twice)} appears twice")
    return tuple(sections)


def budget(section: Section, seconds: float) -> int:
    """How many items (sentences) this section may have for `seconds` of video.

    A Short gets one, a ten-minute talk two or three, a two-hour lecture the section's size.
    """
    floor = 1 if section.kind == "paragraph" or seconds <= SHORT_SECONDS else min(2, section.size)
    scaled = floor + (section.size - floor) * min(1.0, seconds / FULL_SIZE_SECONDS)
    return max(1, min(section.size, round(scaled)))


@cache
def _answer_base() -> type[BaseModel]:
    from pydantic import BaseModel, ConfigDict, PrivateAttr

    class Answer(BaseModel):
        model_config = ConfigDict(extra="forbid")
        # Where each quote of a long video's analysis came from (the span of its part), so
        # that a phrase said in several parts links to the right one; not part of the schema.
        _quote_spans: dict[str, tuple[float, float]] = PrivateAttr(default_factory=dict)

    return Answer


@cache
def analysis_model(sections: tuple[Section, ...]) -> type[BaseModel]:
    """The pydantic model the answer must match, made from the sections: a paragraph is a
    string, the others lists of strings, each described by its instruction (the sizes are in
    the prompt: they follow the video's length)."""
    from pydantic import Field, create_model  # config imports this module: no pydantic
    # until a model is made

    fields: dict[str, Any] = {
        s.name: (str if s.kind == "paragraph" else list[str], Field(description=s.instruction))
        for s in sections
    }
    model: type[BaseModel] = create_model("Analysis", __base__=_answer_base(), **fields)
    return model


def quote_spans(analysis: BaseModel) -> dict[str, tuple[float, float]]:
    """The span (seconds) of the part each quote of `analysis` came from; empty when the
    analysis was made in one request."""
    spans = getattr(analysis, "_quote_spans", None)
    return dict(spans) if isinstance(spans, dict) else {}


def with_quote_spans(analysis: BaseModel,
                     spans: dict[str, tuple[float, float]]) -> BaseModel:
    """A copy of `analysis` that knows where its quotes came from (`quote_spans`)."""
    copy = analysis.model_copy()
    if isinstance(getattr(copy, "_quote_spans", None), dict):
        setattr(copy, "_quote_spans", dict(spans))  # noqa: B010 (a private attribute)
    return copy


def values(analysis: BaseModel, section: Section) -> list[str]:
    """A section's items (a paragraph is one item), blank ones left out."""
    value = getattr(analysis, section.name, None)
    items = [value] if isinstance(value, str) else list(value or ())
    return [item for item in items if isinstance(item, str) and item.strip()]
