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

# Every section reaches its full size at about two hours of speech (150 words a minute).
FULL_SIZE_WORDS = 17_550
# Below this many words (a Short) a list gets one item; above it, at least two.
SHORT_WORDS = 200

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
            instruction="one paragraph: who speaks, and about what."),
    Section(name="ideas", instruction="the most important ideas."),
    Section(name="insights",
            instruction="deeper insights: the ideas refined, combined, or what follows from "
            "them."),
    Section(name="quotes", kind="quotes",
            instruction="the most striking sentences, copied exactly, word for word, from the "
            "transcript, without quote marks around them."),
    Section(name="habits", instruction="habits or practices of the speakers worth adopting."),
    Section(name="facts", instruction="verifiable facts stated in the video."),
    Section(name="references",
            instruction="books, papers, tools, people and projects mentioned."),
    Section(name="recommendations", instruction="the most actionable recommendations."),
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


def budget(section: Section, words: int) -> int:
    """How many items (sentences) this section may have for a transcript of `words` words.

    A Short gets one, a ten-minute talk two or three, a two-hour lecture the section's size.
    """
    floor = 1 if section.kind == "paragraph" or words < SHORT_WORDS else min(2, section.size)
    scaled = floor + (section.size - floor) * min(1.0, words / FULL_SIZE_WORDS)
    return max(1, min(section.size, round(scaled)))


@cache
def analysis_model(sections: tuple[Section, ...]) -> type[BaseModel]:
    """The pydantic model the answer must match, made from the sections: a paragraph is a
    string, the others lists of strings, each described by its instruction (the sizes are in
    the prompt: they follow the video's length)."""
    from pydantic import ConfigDict, Field, create_model  # config imports this module: no
    # pydantic until a model is made

    fields: dict[str, Any] = {
        s.name: (str if s.kind == "paragraph" else list[str], Field(description=s.instruction))
        for s in sections
    }
    model: type[BaseModel] = create_model(
        "Analysis", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def values(analysis: BaseModel, section: Section) -> list[str]:
    """A section's items (a paragraph is one item), blank ones left out."""
    value = getattr(analysis, section.name, None)
    items = [value] if isinstance(value, str) else list(value or ())
    return [item for item in items if isinstance(item, str) and item.strip()]
