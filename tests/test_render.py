"""Render: the golden note byte for byte, and escaping that holds for any title or text."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml as pyyaml  # YAML 1.1, as many Obsidian plugins read it
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ytvault.models import Analysis, Video
from ytvault.note.render import (
    format_length,
    format_time,
    html_attr,
    inert_value,
    inline_text,
    render_analysis,
    render_note,
)
from ytvault.note.yamltext import scalar

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN_NOW = datetime(2024, 3, 26, 15, 26)


def load_video(video_id: str) -> Video:
    info = FIXTURES / "cache/videos" / video_id / "info.json"
    return Video.from_info(json.loads(info.read_text()))


def seed_analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())


def test_golden_note_byte_for_byte() -> None:
    rendered = render_note(
        load_video("Yf1o0TQzry8"),
        url="https://youtu.be/Yf1o0TQzry8",
        body=render_analysis(seed_analysis()),
        thumbnail="1711477562504.jpg",
        now=GOLDEN_NOW,
    )
    assert rendered.encode() == (FIXTURES / "seed-note.md").read_bytes()


def _yaml12(text: str) -> object:
    loader = YAML(typ="safe", pure=True)
    loader.version = (1, 2)
    return loader.load(text)


def test_long_video_uses_hour_forms() -> None:
    video = load_video("fxLong00001")
    note = render_note(video, url="u", body="", thumbnail=None, now=GOLDEN_NOW)
    props = _yaml12(note.split("---\n")[1])
    assert isinstance(props, dict)
    assert props["length"] == "2:13:07"
    assert props["chapters"][0].startswith("0:00:00 ")
    assert all(c.count(":") == 2 for c in props["chapters"])
    assert props["hashtags"] == ["gardening", "soil", "permaculture"]


HOSTILE_TITLE = ("Why \"AI\" won't: #1 — ‹b›lies‹/b› & ［［links］］ {{x}} | 50% off: \"quotes\" "
                 "‹%* tR += tp.file.content %›")


def test_hostile_video_reads_back_inert() -> None:
    video = load_video("fxHostile1D")
    note = render_note(video, url="https://youtu.be/fxHostile1D", body="", thumbnail="1.jpg",
                       now=GOLDEN_NOW)
    frontmatter = note.split("---\n")[1]
    for props in (_yaml12(frontmatter), pyyaml.safe_load(frontmatter)):
        assert isinstance(props, dict)
        assert props["title"] == HOSTILE_TITLE  # the same text, with look-alikes
        assert props["channel_name"] == "Mic Check: ‹i›Reviews‹/i› #1"
        assert props["chapters"] == ["00:00 ‹%- tp.system.prompt('key') -%› Intro",
                                     "02:00 !［［secret.md］］ ‹img src=x onerror=alert(1)›"]
    youtube_lines = "".join(ln for ln in frontmatter.splitlines(True)
                            if not ln.startswith("thumbnail: "))  # ours: "![[1.jpg]]"
    for bad in ("<%", "%>", "<b>", "<i>", "<img", "[[", "]]", "![["):
        assert bad not in youtube_lines
    body = note.split("\n---\n", 1)[1]
    assert "<b>" not in body and "<script>" not in body  # the iframe attribute escapes them
    assert "&lt;b&gt;lies&lt;/b&gt;" in body and "<%" not in body
    assert note.count("\n---\n") == 1  # only the closing fence of the frontmatter


@given(st.text())
def test_no_property_value_holds_a_tag_or_an_embed(text: str) -> None:
    value = inert_value(text)
    assert not re.search(r"<%|%>|<[A-Za-z/!?]|\[\[|\]\]|!\[", value)
    # only the look-alikes differ: the rest of the text is as it was
    back = value.replace("‹", "<").replace("›", ">").replace("［", "[").replace("］", "]")
    plain = text.replace("‹", "<").replace("›", ">").replace("［", "[").replace("］", "]")
    assert back == plain


def test_upcoming_video_leaves_unknowns_empty() -> None:
    note = render_note(load_video("fxUpcoming1"), url="u", body="", thumbnail=None, now=GOLDEN_NOW)
    props = _yaml12(note.split("---\n")[1])
    assert isinstance(props, dict)
    assert props["length"] is None
    assert props["thumbnail"] == ""


@given(st.text())
def test_any_scalar_reads_the_same_in_yaml_1_1_and_1_2(text: str) -> None:
    doc = f"key: {scalar(text)}\n"
    assert _yaml12(doc) == {"key": text}
    assert pyyaml.safe_load(doc) == {"key": text}


class _AttrReader(HTMLParser):
    title: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.title = dict(attrs).get("title")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))))
def test_any_title_reads_back_from_the_iframe_attribute(title: str) -> None:
    reader = _AttrReader()
    reader.feed(f'<iframe title="{html_attr(title)}" src="x"></iframe>')
    assert reader.title == title


def test_seed_title_keeps_its_bare_ampersand() -> None:
    assert html_attr("Microsoft, & Enlightenment") == "Microsoft, & Enlightenment"
    assert html_attr("a &amp; b <i>") == "a &amp;amp; b &lt;i&gt;"


HOSTILE = [
    "```dataviewjs\ndv.paragraph('pwned')\n```",
    "<script>alert(1)</script>",
    "<% tp.system.prompt() %>",
    "![[secret.md]] and [[private note]]",
    "# Heading\n---\ntitle: x\n---",
    "`= this.file.name` and `$= dv.current()`",
    "[click](https://evil.example) ![img](https://evil.example/x.png)",
    "> quote\n- list\n1. numbered",
    "#tag %%hidden%% key:: value",
    "\\`escaped\\` \\[\\[x\\]\\]",
]


def test_hostile_model_text_is_inert() -> None:
    analysis = Analysis(summary=HOSTILE[0], ideas=HOSTILE, insights=[], quotes=HOSTILE[3:5],
                        habits=[], facts=[], references=[], recommendations=[])
    block = render_analysis(analysis)
    lines = block.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert headings == ["# SUMMARY", "# IDEAS:", "# INSIGHTS:", "# QUOTES:", "# HABITS:",
                        "# FACTS:", "# REFERENCES:", "# RECOMMENDATIONS:"]
    assert "```" not in block.replace("\\`", "")
    assert "<" not in block and "![[" not in block and "[[" not in block
    assert not any(line.strip() == "---" for line in lines)
    assert "%%" not in block and "::" not in block
    # every item is one line that starts as a list item
    items = [line for line in lines if line and not line.startswith("#")]
    assert all(line.startswith("- ") for line in items[1:])


_UNESCAPE = re.compile(r"\\(.)")


@given(st.text())
def test_inline_text_is_one_line_and_displays_the_text(text: str) -> None:
    out = inline_text(text)
    assert "\n" not in out and "\r" not in out
    # undo our escapes the way a Markdown renderer does: the words come back unchanged
    shown = html.unescape(_UNESCAPE.sub(r"\1", out))
    assert shown == " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())


def test_format_length_and_time() -> None:
    assert format_length(2861) == "47:41"
    assert format_length(3725) == "1:02:05"
    assert format_length(45) == "0:45"
    assert format_length(None) == ""
    assert format_time(357, long=False) == "05:57"
    assert format_time(357, long=True) == "0:05:57"


def test_empty_section_keeps_its_heading_and_has_no_items() -> None:
    analysis = seed_analysis().model_copy(update={"habits": []})
    block = render_analysis(analysis)
    assert "# HABITS:\n\n# FACTS:" in block
