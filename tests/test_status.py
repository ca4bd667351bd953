"""`status`'s shortcut: a frontmatter it calls plainly fine without parsing must parse, as a
mapping the merge takes, in the YAML reader the pipeline uses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ytvault.commands.status import plainly_fine
from ytvault.note.merge import check_mergeable
from ytvault.note.yamltext import load_mapping

PIECES = ["tags", "title", "a", "k-1", "x_y", ":", ": ", " ", "  ", "-", "- ", "  - ", "#", " #",
          "&a", "*a", "!", "|", ">", "'", '"', "%", "@", "`", "{", "}", "[", "]", ",", "?",
          "https://youtu.be/x", "inbox", "1", "2024-01-01", "null", "yes", "\t", "é", "\\",
          "\x01", "\x1f", "\x7f", "\x85", "\u2028"]  # what a YAML reader refuses or reads apart


VALUE = st.one_of(
    st.sampled_from(["", "inbox", "to watch", "1", "2024-01-01", "https://youtu.be/x", "é"]),
    st.lists(st.sampled_from(PIECES), max_size=5).map("".join))
# lines shaped like a template's (`key: value`, `key:`, `  - item`), values with YAML's
# indicators anywhere, so most come near the edge of what the shortcut accepts
LINE = st.one_of(
    st.tuples(st.sampled_from(["tags", "title", "a", "k-1", "x_y"]),
              st.sampled_from([":", ": ", ":  "]), VALUE).map("".join),
    st.tuples(st.sampled_from(["-", " -", "  -", "   -"]), st.sampled_from(["", " "]),
              VALUE).map("".join),
    VALUE)


# a template's shape: keys, each with a value or a list of items
BLOCK = st.tuples(
    st.sampled_from(["tags", "title", "a", "k-1", "x_y"]),
    st.one_of(VALUE.map(lambda v: [f": {v}"]),
              st.tuples(st.sampled_from(["- ", "  - "]), st.lists(VALUE, min_size=1, max_size=3))
              .map(lambda t: [":"] + [t[0] + item for item in t[1]])),
).map(lambda b: "\n".join([b[0] + b[1][0], *b[1][1:]]))
FRONTMATTER = st.one_of(st.lists(LINE, max_size=6), st.lists(BLOCK, max_size=4))


@settings(max_examples=1500, deadline=None)
@given(FRONTMATTER)
def test_plainly_fine_frontmatter_parses_and_merges(lines: list[str]) -> None:
    frontmatter = "\n".join(lines)
    if plainly_fine(frontmatter):
        assert isinstance(load_mapping(frontmatter), dict)
        check_mergeable(frontmatter)


def test_what_templates_give_stubs_needs_no_parsing() -> None:
    assert plainly_fine("tags:\n  - inbox\n  - to-watch\nstatus: new")
    assert plainly_fine("youtube_url: https://youtu.be/Yf1o0TQzry8")
    assert not plainly_fine("title: [oops")  # parsed, and found malformed
    assert not plainly_fine("a: 1\na: 2")
