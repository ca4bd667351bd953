"""Note file names: a video title as a name every OS and Obsidian accept, a free name in a
folder (Obsidian's `Name 1.md` style), and a rename that never replaces another file.

`new` names the notes it creates here; the pipeline renames `Untitled` stubs with it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# What Windows, macOS or Linux refuse in a name (`<>:"/\|?*`), and what breaks an Obsidian
# link to it (`#^[]|`): replaced by a look-alike where one reads naturally, else dropped.
_REPLACE = {":": "-", "/": "-", "\\": "-", "|": "-", '"': "'", "[": "(", "]": ")"}
_DROP = frozenset("<>*?#^")
# Bidirectional overrides make a name display as something else: never keep them.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
# Windows refuses these as a name's stem, whatever the extension.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)
# Most file systems allow 255 bytes in a name; leave room for ` 99.md` and a hidden temp name.
MAX_STEM_BYTES = 180
_UNTITLED = re.compile(r"Untitled(?: \d+)?\.md")


def safe_stem(title: str, fallback: str) -> str:
    """`title` as a file name without extension, valid on every OS and linkable in Obsidian;
    `fallback` when nothing is left of it."""
    text = unicodedata.normalize("NFC", title).replace(": ", " - ")
    out: list[str] = []
    for ch in text:
        if ch in _REPLACE:
            out.append(_REPLACE[ch])
        elif ch in _DROP or ch in _BIDI:
            continue
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs"):
            out.append(" ")
        else:
            out.append(ch)
    stem = _clip(" ".join("".join(out).split()), MAX_STEM_BYTES)
    # a leading dot hides the note from Obsidian; Windows drops trailing dots and spaces
    stem = stem.lstrip(". ").rstrip(". ")
    if not stem:
        return fallback
    head = stem.split(".", 1)[0].rstrip()
    if head.upper() in _RESERVED:  # `CON.txt` is reserved too: `CON_.txt` is not
        stem = head + "_" + stem[len(head):]
    return stem


def _clip(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore").rstrip()


def is_untitled(name: str) -> bool:
    """Whether `name` is one Obsidian gives a new note: `Untitled.md`, `Untitled 1.md`…"""
    return _UNTITLED.fullmatch(name) is not None


def free_path(folder: Path, stem: str, suffix: str = ".md") -> Path:
    """`folder/stem.md`, or `stem 1.md`, `stem 2.md`… as Obsidian numbers them: the first name
    no file in `folder` has, compared without case (macOS, Windows and Obsidian's own links
    ignore case)."""
    try:
        taken = {name.lower() for name in os.listdir(folder)}
    except OSError:
        taken = set()
    candidate, n = stem + suffix, 0
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} {n}{suffix}"
    return folder / candidate


def move_no_clobber(source: Path, target: Path) -> None:
    """Rename `source` to `target`; FileExistsError, and nothing moved, if `target` exists."""
    if os.name == "nt":
        os.rename(source, target)  # Windows refuses to replace an existing file
        return
    try:
        os.link(source, target)  # fails if target exists: no window to replace it
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (FAT, some network shares)
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.rename(source, target)
        return
    os.unlink(source)
