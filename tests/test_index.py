"""The index of notes by video id: what it counts as a video's note, and how it stays true."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytvault.vault.index import VideoIndex, describe

pytestmark = pytest.mark.unit

FINISHED = ("---\ntags: [x]\nyoutube_url: \"https://youtu.be/Yf1o0TQzry8?si=1\"\n"
            "template-type: YouTube\nchannel_name: c\n---\nbody\n")


def note(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_what_holds_a_video(tmp_path: Path) -> None:
    assert describe(note(tmp_path / "a.md", FINISHED)) == ("Yf1o0TQzry8", True)
    assert describe(note(tmp_path / "b.md", "https://youtu.be/fxShort001F\n")) == (
        "fxShort001F", False)
    assert describe(note(tmp_path / "c.md", "---\nyoutube_url: https://youtu.be/fxLong00001\n"
                         "---\n")) == ("fxLong00001", False)
    assert describe(note(tmp_path / "d.md", "Prose about https://youtu.be/fxLong00001.\n")) is None
    assert describe(note(tmp_path / "e.md", "---\nyoutube_url: [oops\n")) is None
    assert describe(tmp_path / "missing.md") is None


def test_answers_are_checked_and_the_index_is_rebuilt_when_old(tmp_path: Path) -> None:
    now = [0.0]
    index = VideoIndex(tmp_path, max_age=60, clock=lambda: now[0])
    first = note(tmp_path / "Talks" / "First.md", FINISHED)
    note(tmp_path / ".trash" / "Old.md", FINISHED)
    assert index.notes("Yf1o0TQzry8") == [first]
    first.write_text("changed my mind\n")  # no longer the video's note: checked on use
    assert index.notes("Yf1o0TQzry8") == []
    later = note(tmp_path / "Later.md", FINISHED)
    assert index.notes("Yf1o0TQzry8") == []  # not seen until the index is rebuilt…
    index.add("Yf1o0TQzry8", later)  # …or told
    assert index.notes("Yf1o0TQzry8", finished=True) == [later]
    assert index.notes("Yf1o0TQzry8", exclude=later) == []
    other = note(tmp_path / "Other.md", FINISHED)
    now[0] = 61.0
    assert index.notes("Yf1o0TQzry8") == [later, other]
