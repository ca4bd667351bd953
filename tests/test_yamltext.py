"""note/yamltext.py: frontmatter read as Obsidian reads it (YAML 1.2), scalars that YAML 1.1
and 1.2 readers read back as the same string, and frontmatter cut into top-level blocks that
hold the person's lines byte for byte."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ytvault.note.yamltext import (
    FrontmatterError,
    block_style,
    lines_of,
    load_mapping,
    needs_quotes,
    quote,
    scalar,
    split_blocks,
)

pytestmark = pytest.mark.unit


def yaml11(text: str) -> Any:
    return yaml.safe_load(text)


@pytest.mark.parametrize("text", [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "=", "<<",
    "47:41", "1:02:05", "2024-03-26", "0x1F", "0o17", "0b101", "1e3", "012", "-5", "+1",
    ".inf", "-.Inf", ".nan", "1_000",
])
def test_words_and_numbers_a_reader_would_type_are_quoted(text: str) -> None:
    assert needs_quotes(text)
    assert scalar(text) == quote(text)
    assert yaml11(f"k: {scalar(text)}") == {"k": text}
    assert load_mapping(f"k: {scalar(text)}") == {"k": text}


@pytest.mark.parametrize("text", [
    "", " lead", "trail ", "- item", "? key", "# not a comment", "&anchor", "*alias", "!tag",
    "|", ">", "'single'", '"double"', "%directive", "@at", "`tick`", "[list]", "{map}",
    "key: value", "a #comment", "ends with:", "tab\there", "line\nbreak", "nel\x85", "bom\ufeff",
])
def test_text_yaml_would_read_otherwise_is_quoted(text: str) -> None:
    assert needs_quotes(text)
    assert yaml11(f"k: {scalar(text)}") == {"k": text}
    assert load_mapping(f"k: {scalar(text)}") == {"k": text}


@pytest.mark.parametrize("text", [
    "Ilya Sutskever (OpenAI Chief Scientist) - Building AGI", "Dwarkesh Patel", "a:b",
    "C# tips", "100% real", "émoji 🎉", "https://youtu.be/Yf1o0TQzry8",
])
def test_plain_text_stays_plain(text: str) -> None:
    assert not needs_quotes(text)
    assert scalar(text) == text


def test_quote_escapes_what_would_break_the_line() -> None:
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert quote("a\tb\nc\rd\0") == '"a\\tb\\nc\\rd\\0"'
    assert quote("\x07\x85\u2028") == '"\\x07\\x85\\u2028"'


@given(st.text(max_size=40))
def test_every_scalar_reads_back_the_same_to_yaml_1_1_and_1_2(text: str) -> None:
    line = f"k: {scalar(text)}\n"
    assert load_mapping(line) == {"k": text}
    assert yaml11(line) == {"k": text}


def test_lines_split_at_newlines_only() -> None:
    text = "a\x1cb\x85c\u2028d\r\nsecond\nlast"
    assert lines_of(text) == ["a\x1cb\x85c\u2028d\r\n", "second\n", "last"]
    assert "".join(lines_of(text)) == text
    assert lines_of("") == []


def test_frontmatter_reads_as_obsidian_reads_it() -> None:
    data = load_mapping("length: 47:41\nanswer: no\nsure: on\nn: 012\n")
    assert data == {"length": "47:41", "answer": "no", "sure": "on", "n": 12}


def test_empty_frontmatter_is_an_empty_mapping() -> None:
    assert load_mapping("") == {}
    assert load_mapping("  \n") == {}
    assert load_mapping("# only a comment\n") == {}


@pytest.mark.parametrize(("text", "why"), [
    ("a: [unclosed\n", "malformed YAML frontmatter"),
    ("key: value\n  bad indent: x\n", "malformed YAML frontmatter"),
    ("- a list\n- not a mapping\n", "frontmatter is not a mapping of properties"),
    ("just text\n", "frontmatter is not a mapping of properties"),
])
def test_bad_frontmatter_is_one_clear_error(text: str, why: str) -> None:
    with pytest.raises(FrontmatterError) as caught:
        load_mapping(text)
    assert str(caught.value).startswith(why)
    assert "\n" not in str(caught.value)


def test_each_thread_reads_with_its_own_loader() -> None:
    """ruamel's loader is not thread-safe: threads reading at once still read right."""
    results: list[dict[str, Any]] = []
    texts = [f"n: {i}\nlist:\n" + "".join(f"  - {j}\n" for j in range(200)) for i in range(8)]

    def read(text: str) -> None:
        results.append(load_mapping(text))

    threads = [threading.Thread(target=read, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["n"] for r in results) == list(range(8))
    assert all(r["list"] == list(range(200)) for r in results)


FRONTMATTER = """\
# the person's comment about tags
tags:
  - type/youtube
  - mine   # inline comment
title: "Ilya: building AGI"

aliases: []
nested:
  a: 1
  b:
    - x
# trailing comment
"""


def test_blocks_hold_the_lines_byte_for_byte() -> None:
    blocks = split_blocks(FRONTMATTER)
    assert "".join(b.text for b in blocks) == FRONTMATTER
    assert [b.key for b in blocks] == ["tags", "title", "aliases", "nested", None]
    assert blocks[0].text.startswith("# the person's comment")  # a comment goes with its key
    assert blocks[0].value == ["type/youtube", "mine"]
    assert blocks[1].value == "Ilya: building AGI"
    assert blocks[3].value == {"a": 1, "b": ["x"]}
    assert blocks[4].text == "# trailing comment\n"


def test_blocks_keep_crlf_lines() -> None:
    text = "a: 1\r\nb:\r\n  - x\r\n"
    blocks = split_blocks(text)
    assert [b.text for b in blocks] == ["a: 1\r\n", "b:\r\n  - x\r\n"]


@pytest.mark.parametrize("text", [
    "a: &shared\n  x: 1\nb: *shared\n",  # an anchor used by another key
    "{a: 1, b: 2}\n",  # a flow mapping: one line, two keys
    "? a\n: 1\n",  # an explicit key
])
def test_a_layout_that_cannot_be_cut_safely_is_refused(text: str) -> None:
    load_mapping(text)  # valid YAML…
    with pytest.raises(FrontmatterError):
        split_blocks(text)  # …but no cut into blocks reproduces it


def test_blocks_of_malformed_yaml_are_refused() -> None:
    with pytest.raises(FrontmatterError, match="malformed"):
        split_blocks("a: [1\nb: 2\n")


def test_the_copy_of_a_flow_mapping_stays_comments_at_a_lone_carriage_return() -> None:
    """YAML ends a line at a lone \\r: every line of the person's copy must be a comment, or
    the properties no longer read and the note can never be filled."""
    out = block_style("{a: 1, # c\r b: 2}\n", "\n")
    assert load_mapping(out) == {"a": 1, "b": 2}
    assert "# {a: 1, # c\n#  b: 2}\n" in out
