"""Merge: the person's bytes survive, generated content lands once, in the right place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytvault.note.merge import attach_callout, merge_analysis, merge_frontmatter, merge_note
from ytvault.note.parse import classify, split_note

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
