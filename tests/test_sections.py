"""sections.py: the default sections, sizes that follow the video's length, custom schemas."""

from __future__ import annotations

import re

import pydantic
import pytest
from pydantic import ValidationError

from ytvault.config.sections import (
    DEFAULT_SECTIONS,
    NAME_PATTERN,
    RESERVED,
    Section,
    analysis_model,
    budget,
)
from ytvault.config.settings import Config, parse_config
from ytvault.errors import ConfigError
from ytvault.models import SECTIONS, Analysis

pytestmark = pytest.mark.unit


def test_the_defaults_are_the_seed_notes_eight_sections() -> None:
    assert [s.name for s in DEFAULT_SECTIONS] == ["summary", *SECTIONS]
    assert [s.title for s in DEFAULT_SECTIONS] == [
        "# SUMMARY", "# IDEAS:", "# INSIGHTS:", "# QUOTES:", "# HABITS:", "# FACTS:",
        "# REFERENCES:", "# RECOMMENDATIONS:"]
    assert Config().sections == DEFAULT_SECTIONS
    assert analysis_model(DEFAULT_SECTIONS) is Analysis


def test_the_default_schema_says_what_the_prompt_says_and_no_sizes() -> None:
    # the sizes follow the video's length and are in the prompt: a schema that said "2-4
    # sentences" contradicted a Short's "summary 1 sentence"
    schema = analysis_model(DEFAULT_SECTIONS).model_json_schema()

    assert {name: field["description"] for name, field in schema["properties"].items()} == {
        s.name: s.instruction for s in DEFAULT_SECTIONS}
    assert schema["required"] == [s.name for s in DEFAULT_SECTIONS]
    assert schema.get("additionalProperties") is False


@pytest.mark.parametrize(("seconds", "summary", "lists"), [
    (45, 1, 1),  # a 45-second Short
    (600, 1, 3),  # ten minutes
    (2861, 2, 7),  # the seed video, 47:41
    (3600, 2, 8),  # an hour, in any language
    (7200, 4, 15),  # two hours
    (36_000, 4, 15),  # a ten-hour stream: no more than the size
])
def test_sizes_follow_the_videos_length(seconds: int, summary: int, lists: int) -> None:
    by_name = {s.name: budget(s, seconds) for s in DEFAULT_SECTIONS}
    assert by_name.pop("summary") == summary
    assert set(by_name.values()) == {lists}


def test_a_small_section_never_exceeds_its_size() -> None:
    one = Section(name="takeaway", size=1, instruction="the one thing to remember")
    three = Section(name="tips", size=3, instruction="tips")
    assert [budget(one, t) for t in (10, 600, 20_000)] == [1, 1, 1]
    assert [budget(three, t) for t in (10, 600, 20_000)] == [1, 2, 3]


def test_custom_sections_make_their_own_schema() -> None:
    sections = (Section(name="gist", kind="paragraph", instruction="what it is about"),
                Section(name="steps", instruction="the steps, in order"),
                Section(name="lines", kind="quotes", instruction="word for word"))

    model = analysis_model(sections)
    schema = model.model_json_schema()

    assert list(schema["properties"]) == ["gist", "steps", "lines"]
    assert schema["properties"]["gist"]["type"] == "string"
    assert schema["properties"]["steps"]["type"] == "array"
    assert schema["properties"]["steps"]["description"] == "the steps, in order"
    assert schema.get("additionalProperties") is False
    assert analysis_model(sections) is model  # made once
    with pytest.raises(ValidationError):
        model.model_validate({"gist": "x", "steps": [], "lines": [], "extra": 1})


def test_sections_from_toml_shaped_config() -> None:
    config = parse_config({"sections": [
        {"name": "summary", "kind": "paragraph", "size": 3, "instruction": "what it is about"},
        {"name": "open_questions", "instruction": "what it leaves open", "size": 5,
         "heading": "## Open questions"},
    ]})

    assert [s.title for s in config.sections] == ["# SUMMARY", "## Open questions"]
    assert config.sections[1].kind == "list"


@pytest.mark.parametrize(("sections", "problem"), [
    ([], "at least one section"),
    ([{"name": "a", "instruction": "x"}, {"name": "a", "instruction": "y"}], "a appears twice"),
    ([{"name": "Ideas", "instruction": "x"}], "sections.0.name"),
    ([{"name": "model_dump", "instruction": "x"}], "reserved"),
    ([{"name": "ok", "instruction": "x", "heading": "# two\nlines"}], "one line"),
    ([{"name": "ok", "instruction": "x", "size": 0}], "sections.0.size"),
    ([{"name": "ok", "instruction": "x", "kind": "table"}], "sections.0.kind"),
    ([{"name": "ok"}], "sections.0.instruction"),
    ([{"name": "ok", "instruction": ""}], "sections.0.instruction"),
    ([{"name": "ok", "instruction": " \n "}], "sections.0.instruction"),
    ([{"name": "ok", "instruction": "x", "colour": "red"}], "unknown key 'sections.0.colour'"),
    ([{"name": "ok", "instruction": "x"}, {"name": "copy", "instruction": "y"}], "reserved"),
])
def test_bad_sections_are_named(sections: list[dict[str, object]], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config({"sections": sections})


def test_a_section_is_checked_when_it_is_made() -> None:
    with pytest.raises(ConfigError, match=r"^'size': must be at most 50 \(got 51\)$"):
        Section(name="tips", instruction="tips", size=51)
    with pytest.raises(ConfigError, match=r"^'kind': must be one of paragraph, list, quotes"):
        Section(name="tips", instruction="tips", kind="table")  # type: ignore[arg-type]
    assert len({*DEFAULT_SECTIONS, *DEFAULT_SECTIONS}) == 8  # hashable: analysis_model caches


def test_reserved_names_are_the_pydantic_attributes_a_section_would_shadow() -> None:
    """Listed by hand so that loading the config does not import pydantic; kept in step here."""
    shadowed = {name for name in dir(pydantic.BaseModel)
                if re.fullmatch(NAME_PATTERN, name) and not name.startswith("model_")}
    assert shadowed == RESERVED
