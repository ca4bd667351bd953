"""Merge: the person's bytes survive, generated content lands once, in the right place."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ytvault.note.merge import (
    attach_callout,
    keep_both,
    merge_analysis,
    merge_frontmatter,
    merge_note,
)
from ytvault.note.parse import classify, split_note
from ytvault.note.yamltext import block_style, load_mapping

pytestmark = pytest.mark.unit

URL = "https://youtu.be/Yf1o0TQzry8"
RENDERED = (
    "---\ntags:\n  - type/youtube\naliases: \ntitle: T\nchannel_name: C\nyoutube_url: "
    f"{URL}\n---\n\n![[1.jpg]]\n# SUMMARY\n\nS\n\n<iframe></iframe>\n\n"
)


def merged(text: str) -> str:
    stub = classify(text)
    assert stub is not None
    out = merge_note(text, RENDERED, stub)
    assert out is not None
    return out


def test_plain_stub_becomes_the_rendered_note() -> None:
    assert merged(f"{URL}\n") == RENDERED


def test_persons_properties_win_and_lists_merge() -> None:
    text = f"---\n# my template\ntags:\n  - inbox\ntitle: My title\nrating: 5\n---\n{URL}\n"
    out = merged(text)
    fm = split_note(out).frontmatter or ""
    assert "# my template\ntags:\n  - inbox\n  - type/youtube\n" in fm
    assert "title: My title\n" in fm and "title: T" not in fm
    assert fm.endswith("rating: 5\n")  # the person's own keys follow the template's
    for line in text.splitlines():
        if line != URL:
            assert line in out.splitlines()


def test_flow_list_and_empty_values() -> None:
    out = merged(f"---\ntags: [inbox, later]\ntitle:\n---\n{URL}\n")
    fm = split_note(out).frontmatter or ""
    assert "tags: [inbox, later, type/youtube]\n" in fm
    assert "title: T\n" in fm


def test_text_around_the_url_line_stays() -> None:
    text = f"Before\n{URL}\nAfter\n"
    stub = classify(f"{URL}\n")
    assert stub is not None
    out = merge_note(text, RENDERED, stub)
    assert out is not None
    body = split_note(out).body
    assert body.startswith("Before\n\n![[1.jpg]]") and body.endswith("</iframe>\n\nAfter\n")


def test_url_removed_meanwhile_means_no_write() -> None:
    stub = classify(f"{URL}\n")
    assert stub is not None
    assert merge_note("I changed my mind\n", RENDERED, stub) is None


def test_crlf_and_bom_are_kept() -> None:
    text = f"\ufeff---\r\ntags:\r\n  - inbox\r\n---\r\n{URL}\r\n"
    out = merged(text)
    assert out.startswith("\ufeff---\r\n")
    assert "\n" not in out.replace("\r\n", "")


def test_analysis_replaces_only_the_pending_callout() -> None:
    note = ("---\nyoutube_url: x\n---\n\n![[1.jpg]]\nMy line\n"
            "> [!info] ytvault: analysis pending\n> Set the key.\n\n<iframe></iframe>\n\n")
    out = merge_analysis(note, "# SUMMARY\n\nS\n\n")
    assert out == ("---\nyoutube_url: x\n---\n\n![[1.jpg]]\nMy line\n# SUMMARY\n\nS\n\n"
                   "<iframe></iframe>\n\n")
    assert merge_analysis(out, "# SUMMARY\n\nS\n\n") is None  # nothing pending any more


def test_callout_is_attached_once() -> None:
    stub = classify(f"{URL}\n")
    assert stub is not None
    callout = "> [!warning] ytvault: cannot fill this note\n> Private video.\n\n"
    once = attach_callout(f"{URL}\n", stub, callout)
    assert once == f"{URL}\n\n{callout}"
    assert attach_callout(once, stub, callout) == once


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                max_size=30)


@given(before=st.lists(_line, max_size=4), after=st.lists(_line, max_size=4))
def test_every_person_line_survives(before: list[str], after: list[str]) -> None:
    stub = classify(f"{URL}\n")
    assert stub is not None
    text = "".join(f"{line}\n" for line in [*before, URL, *after])
    out = merge_note(text, RENDERED, stub)
    if out is None:
        # Allowed only when the URL line is not in the body: random `---` lines before and
        # after it made it part of the frontmatter. A URL line in the body must be replaced.
        assert URL not in split_note(text).body.split("\n")
        return
    out_lines = out.split("\n")
    for line in before + after:
        assert line in out_lines
    assert out.count("# SUMMARY") == RENDERED.count("# SUMMARY") + sum(
        line.count("# SUMMARY") for line in before + after)


def test_merge_frontmatter_without_person_properties_is_generated() -> None:
    assert merge_frontmatter(None, "a: 1\n") == "a: 1\n"
    assert merge_frontmatter("", "a: 1\n") == "a: 1\n"


def test_a_frontmatter_url_stub_takes_a_callout_and_is_filled_over_it_later() -> None:
    from ytvault.note.parse import Kind

    text = f"---\ntags: [inbox]\nyoutube_url: {URL}\n---\n"
    stub = classify(text)
    assert stub is not None
    callout = "> [!info] ytvault: waiting for the premiere\n> Soon.\n\n"
    waiting = attach_callout(text, stub, callout)
    assert waiting == text + callout
    assert attach_callout(waiting, stub, callout) == waiting
    again = classify(waiting)
    assert again is not None and again.kind is Kind.WAITING and again.video_id == stub.video_id
    filled = merge_note(waiting, RENDERED, again)
    assert filled is not None and filled == merge_note(text, RENDERED, stub)
    other = "---\nyoutube_url: https://youtu.be/aaaaaaaaaaa\n---\n"
    assert attach_callout(other, stub, callout) is None  # another video's note: not ours


# --- their notes, their words --------------------------------------------------------------

def fm_of(text: str) -> dict[str, object]:
    return load_mapping(split_note(text).frontmatter or "")


@pytest.mark.parametrize(
    ("person", "tags"),
    [
        ("tags: to-watch\n", ["to-watch", "type/youtube"]),
        ("tags: \"to-watch\"\n", ["to-watch", "type/youtube"]),
        ("tags: book, business\n", ["book", "business", "type/youtube"]),
        ("tags: a b,c\n", ["a", "b", "c", "type/youtube"]),
        ("tags: type/youtube\n", "type/youtube"),  # already there: left as written
    ],
)
def test_a_text_tags_value_becomes_a_list_that_keeps_it(person: str, tags: object) -> None:
    """Obsidian reads a text `tags` as one tag, or several between commas and spaces."""
    out = merged(f"---\n{person}---\n{URL}\n")
    assert fm_of(out)["tags"] == tags


def test_comments_around_a_text_tags_value_stay() -> None:
    out = merged(f"---\n# from my template\ntags: later  # sort on Sunday\n---\n{URL}\n")
    fm = split_note(out).frontmatter or ""
    assert fm.startswith("# from my template\ntags:  # sort on Sunday\n  - later\n"
                         "  - type/youtube\n")


_tag = st.from_regex(r"[A-Za-z0-9_/#-]{1,12}", fullmatch=True).filter(
    lambda t: t != "type/youtube")


@given(st.lists(_tag, min_size=1, max_size=5),
       st.lists(st.sampled_from([", ", ",", " ", "  ", " , "]), min_size=4, max_size=4))
def test_any_text_tags_value_keeps_every_tag(tags: list[str], seps: list[str]) -> None:
    value = "".join(t + (seps[i % 4] if i < len(tags) - 1 else "") for i, t in enumerate(tags))
    person = f"tags: {json.dumps(value)}\n"  # quoted: `#a` would start a comment
    out = merged(f"---\n{person}---\n{URL}\n")
    assert fm_of(out)["tags"] == [*tags, "type/youtube"]


JSON_STUB = ('---\n{\n  "tags": "journal",\n  "publish": false,\n  "rating": 4.5,\n'
             '  "people": ["Ana", "Bo"],\n  "source": {"site": "yt", "seen": null}\n}\n---\n'
             f"{URL}\n")


def test_json_properties_are_written_as_yaml_and_filled() -> None:
    """Obsidian reads a JSON object between the fences and saves it as YAML: so does the fill."""
    out = merged(JSON_STUB)
    props = fm_of(out)
    assert props["tags"] == ["journal", "type/youtube"]
    assert (props["publish"], props["rating"], props["people"]) == (False, 4.5, ["Ana", "Bo"])
    assert props["source"] == {"site": "yt", "seen": None}
    assert props["title"] == "T" and props["youtube_url"] == URL
    assert "{" not in (split_note(out).frontmatter or "")  # nothing lost: no copy kept
    assert split_note(out).body == split_note(RENDERED).body


def test_what_the_yaml_would_lose_is_kept_as_it_was() -> None:
    """A YAML flow mapping may hold comments, which no property keeps: the original stays, as
    comment lines, under the converted properties."""
    flow = "{tags: [a],  # why I saved it\n x: 1}\n"
    out = merged(f"---\n{flow}---\n{URL}\n")
    fm = split_note(out).frontmatter or ""
    assert fm_of(out)["tags"] == ["a", "type/youtube"] and fm_of(out)["x"] == 1
    assert fm.endswith("# ytvault wrote the properties above from these, as they were:\n"
                       "# {tags: [a],  # why I saved it\n#  x: 1}\n")


# Characters a YAML reader accepts as written (Obsidian's refuses raw control characters too).
_char = st.characters(blacklist_categories=("Cc", "Cs", "Cn"), blacklist_characters="\ufeff")
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(),
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.text(_char, max_size=12))
_json = st.recursive(_json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.text(_char, max_size=6), inner, max_size=3)), max_leaves=8)


@settings(deadline=None)  # ruamel's first load of a run is slow
@given(st.dictionaries(st.text(_char, min_size=1, max_size=8), _json, min_size=1, max_size=5),
       st.booleans(), st.sampled_from([None, 2]))
def test_any_json_properties_read_back_the_same_as_yaml(
        data: dict[str, object], ascii_only: bool, indent: int | None) -> None:
    text = json.dumps(data, ensure_ascii=ascii_only, indent=indent) + "\n"
    out = block_style(text)
    assert "# ytvault wrote" not in out  # JSON holds nothing YAML cannot
    reader = YAML(typ="safe", pure=True)
    reader.version = (1, 2)
    back = reader.load(out) or {}
    assert json.dumps(back, sort_keys=False) == json.dumps(data, sort_keys=False)
    assert not re.search(r"^[{\[]", out, re.M)  # one property a line, as Obsidian saves them


def test_a_markdown_links_text_stays_as_the_first_line() -> None:
    out = merged(f"[a talk by **Ilya**]({URL})\n")
    assert split_note(out).body == "a talk by **Ilya**\n" + split_note(RENDERED).body
    assert merged(f"![]({URL})\n") == RENDERED  # no words: nothing added
    assert merged(f"[{URL}]({URL})\n") == RENDERED  # words that only repeat the address
    crlf = merged(f"---\r\ntags: [x]\r\n---\r\n[later](<{URL}>)\r\n")
    assert split_note(crlf).body.startswith("later\r\n\r\n![[1.jpg]]\r\n")


@pytest.mark.parametrize(("first", "second", "kept"), [
    ("a\u2028b\nc\n", "a\u2028b\nc\nd\n", "a\u2028b\nc\nd\n"),  # not a line break to Obsidian
    ("x\x0cy\n", "x\x0cy\n", "x\x0cy\n"),
    ("a\nb", "a\nb\nc\n", "a\nb\nc\n"),  # a last line without its ending, then more
    ("a\r\nb\r\n", "a\r\nx\r\nb\r\n", "a\r\nx\r\nb\r\n"),
    ("a\nb\n", "a\nc\n", "a\nb\nc\n"),  # both saves' lines
])
def test_keep_both_keeps_the_persons_bytes(first: str, second: str, kept: str) -> None:
    assert keep_both(first, second) == kept
