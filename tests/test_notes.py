"""Notes: byte-exact splitting and the stub rules of SPEC §2."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytvault.errors import NoteSkipped
from ytvault.notes import Kind, classify, split_note

URL = "https://youtu.be/Yf1o0TQzry8"


@pytest.mark.parametrize(
    "body",
    [
        f"{URL}\n",
        f"{URL}",
        f"\n\n  {URL}  \n\n",
        f"<{URL}>\n",
        f"[Ilya on AGI]({URL})\n",
        f"![]({URL})\n",
        "https://www.youtube.com/watch?v=Yf1o0TQzry8&t=42s&list=PL123&si=abc\n",
        "https://m.youtube.com/watch?v=Yf1o0TQzry8\n",
        "https://music.youtube.com/watch?v=Yf1o0TQzry8&feature=share\n",
        "https://www.youtube.com/shorts/Yf1o0TQzry8\n",
        "https://www.youtube.com/live/Yf1o0TQzry8?si=x\n",
        "https://www.youtube.com/embed/Yf1o0TQzry8\n",
        "https://youtu.be/Yf1o0TQzry8?si=Ab_12&t=30\r\n",
    ],
)
def test_body_stub_forms(body: str) -> None:
    stub = classify(body)
    assert stub is not None and stub.kind is Kind.STUB and stub.video_id == "Yf1o0TQzry8"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just words\n",
        f"{URL}\nmy thoughts on this\n",
        f"See {URL}\n",
        f"{URL}\n{URL}\n",
        "https://www.youtube.com/playlist?list=PL1234567890\n",
        "https://www.youtube.com/@somechannel\n",
        "https://www.youtube.com/channel/UC1234567890123456789012\n",
        "https://youtube.com.evil.example/watch?v=Yf1o0TQzry8\n",
        "https://vimeo.com/12345\n",
        f"```\n{URL}\n```\n",
    ],
)
def test_not_stubs(text: str) -> None:
    assert classify(text) is None


def test_frontmatter_is_kept_and_property_stub() -> None:
    stub = classify(f"---\ntags:\n  - inbox\n---\n{URL}\n")
    assert stub is not None and stub.properties == {"tags": ["inbox"]}
    prop = classify(f"---\nyoutube_url: {URL}\ntags: [a]\n---\n")
    assert prop is not None and prop.kind is Kind.STUB and prop.url == URL


def test_finished_note_with_empty_body_is_not_a_stub() -> None:
    text = f"---\ntemplate-type: YouTube\nchannel_name: X\nyoutube_url: {URL}\n---\n"
    assert classify(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"---\ntitle: [unclosed\n---\n{URL}\n", "malformed YAML"),
        (f"---\n- a\n- b\n---\n{URL}\n", "not a mapping"),
        (f"---\ntitle: x\n{URL}\n", "never closed"),
        (f"---\na: 1\na: 2\n---\n{URL}\n", "malformed YAML"),
    ],
)
def test_unsafe_stubs_are_skipped_with_a_reason(text: str, reason: str) -> None:
    # Frontmatter that never closes is found by classify; malformed properties when they are
    # read (pipeline.judge reads them before any work; `status` only counts the stub).
    with pytest.raises(NoteSkipped, match=reason):
        stub = classify(text)
        assert stub is not None and stub.video_id == "Yf1o0TQzry8"
        assert stub.properties is None  # raises NoteSkipped first


def test_yaml_1_2_semantics() -> None:
    stub = classify(f"---\nlength: 47:41\nflag: no\n---\n{URL}\n")
    assert stub is not None
    assert stub.properties == {"length": "47:41", "flag": "no"}


def test_callout_states() -> None:
    waiting = f"{URL}\n\n> [!info] ytvault: waiting for the premiere\n> soon\n"
    failed = f"{URL}\n\n> [!warning] ytvault: cannot fill this note\n> Private video.\n"
    pending = (f"---\nyoutube_url: {URL}\n---\n\n![[1.jpg]]\n"
               "> [!info] ytvault: analysis pending\n> Set the key.\n\n<iframe></iframe>\n")
    assert (s := classify(waiting)) is not None and s.kind is Kind.WAITING
    assert (s := classify(failed)) is not None and s.kind is Kind.FAILED
    assert (s := classify(pending)) is not None and s.kind is Kind.ANALYSIS
    # the person wrote next to the callout: no longer ours to touch
    assert classify(failed + "\nmy own words\n") is None


@given(st.text())
def test_split_is_byte_exact(text: str) -> None:
    try:
        parts = split_note(text)
    except NoteSkipped:
        return
    assert parts.text == text


@given(st.text())
def test_classify_never_crashes(text: str) -> None:
    with contextlib.suppress(NoteSkipped):
        classify(text)


def test_unclosed_frontmatter_is_reported_only_when_it_ends_as_a_stub() -> None:
    import pytest

    # a `---` rule atop prose that mentions YouTube: not ours, not reported on every sync
    assert classify(f"---\n\nNotes on the talk at {URL}, and more.\n") is None
    assert classify("---\nsee youtube.com for the rest\n") is None
    # a stub whose closing fence was forgotten: named, so the person can fix it
    with pytest.raises(NoteSkipped, match="never closed"):
        classify(f"---\ntitle: x\n{URL}\n")
    with pytest.raises(NoteSkipped, match="never closed"):
        classify(f"---\ntags: [a]\n\n<{URL}>\n\n")
