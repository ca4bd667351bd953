"""Note names: any video title becomes a file name every OS and Obsidian accept; free names are
numbered as Obsidian numbers them; a rename never replaces another file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytvault.vault.names import free_path, is_untitled, move_no_clobber, safe_stem

pytestmark = pytest.mark.unit

FORBIDDEN = set('<>:"/\\|?*#^[]')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
            *(f"LPT{i}" for i in range(1, 10))}


@given(st.text(max_size=300))
def test_any_title_gives_a_name_valid_everywhere(title: str) -> None:
    stem = safe_stem(title, "Yf1o0TQzry8")
    assert stem and not FORBIDDEN & set(stem)
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in stem)
    assert not stem.startswith(".") and not stem.endswith((".", " "))
    assert stem.split(".")[0].strip().upper() not in RESERVED
    assert len((stem + " 99.md").encode()) <= 255
    assert "\u202e" not in stem


@pytest.mark.parametrize(("title", "stem"), [
    ("Ilya Sutskever: Building AGI", "Ilya Sutskever - Building AGI"),
    ('Why "AI" won\'t: #1 — <b>lies</b> & [[links]] | 50% off',
     "Why 'AI' won't - 1 — blies-b & ((links)) - 50% off"),
    ("AC/DC live?", "AC-DC live"),
    ("...hidden.", "hidden"),
    ("con", "con_"),
    ("LPT1.txt", "LPT1_.txt"),
    ("CON .txt", "CON_ .txt"),
    ("   ", "Yf1o0TQzry8"),
    ("Ｅｍｏｊｉ 🎉 talk", "Ｅｍｏｊｉ 🎉 talk"),
])
def test_titles_read_naturally(title: str, stem: str) -> None:
    assert safe_stem(title, "Yf1o0TQzry8") == stem


def test_long_titles_are_cut_at_a_character(tmp_path: Path) -> None:
    stem = safe_stem("é" * 200, "x")
    assert len(stem.encode()) <= 180 and set(stem) == {"é"}
    (tmp_path / f"{stem} 99.md").write_text("")  # the OS accepts it


def test_untitled_names() -> None:
    assert is_untitled("Untitled.md") and is_untitled("Untitled 12.md")
    assert not is_untitled("Untitled thoughts.md") and not is_untitled("untitled.md")


def test_free_names_are_numbered_like_obsidian(tmp_path: Path) -> None:
    assert free_path(tmp_path / "missing", "Talk") == tmp_path / "missing" / "Talk.md"
    (tmp_path / "talk.md").write_text("")  # another case: the same name on macOS and Windows
    (tmp_path / "Talk 1.md").write_text("")
    assert free_path(tmp_path, "Talk") == tmp_path / "Talk 2.md"


def test_a_rename_never_replaces_a_file(tmp_path: Path) -> None:
    source, target = tmp_path / "a.md", tmp_path / "b.md"
    source.write_text("mine")
    target.write_text("theirs")
    with pytest.raises(FileExistsError):
        move_no_clobber(source, target)
    assert source.read_text() == "mine" and target.read_text() == "theirs"
    os.unlink(target)
    move_no_clobber(source, target)
    assert not source.exists() and target.read_text() == "mine"
