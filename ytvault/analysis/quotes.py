"""Check the analysis's quotes against the transcript: between analyze and render. Pure.

A quote counts as found when its words appear in the transcript in order, compared without
case, punctuation, spacing or caption line breaks (so a quote may run across several
snippets); a quote that elides with `...` or `…` is found when its pieces are, in order and
close together. A found quote gets the start of the snippet it begins in, for its link.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from ytvault.config.sections import Section, values
from ytvault.models import Snippet, Transcript

_WORD = re.compile(r"[^\W_]+")
_ELLIPSIS = re.compile(r"\.\.\.|…|\[\s*\.\.\.\s*\]")
# How far apart (in letters) two pieces of an elided quote may be in the transcript.
_ELISION_GAP = 400


def words(text: str) -> list[str]:
    """`text` as the words quotes are compared by: case-folded letters and digits only.

    "Don't" is ["don", "t"] and "dont" ["dont"]; matching ignores the word breaks (see
    `_Stream`), so apostrophes (straight or curly) and hyphens make no difference.
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


class _Stream:
    """The transcript as one string of letters, with where each word and snippet begins."""

    def __init__(self, snippets: Sequence[Snippet]) -> None:
        parts: list[str] = []
        self.word_starts: set[int] = set()
        self.word_ends: set[int] = set()
        self.snippet_offsets: list[int] = []
        self.snippets = list(snippets)
        length = 0
        for snippet in self.snippets:
            self.snippet_offsets.append(length)
            for word in words(snippet.text):
                self.word_starts.add(length)
                parts.append(word)
                length += len(word)
                self.word_ends.add(length)
        self.text = "".join(parts)

    def find(self, needle: str, start: int = 0, before: int | None = None) -> int:
        """Where `needle` starts on word boundaries at or after `start` (and, if given, at or
        before `before`); -1 if nowhere."""
        at = self.text.find(needle, start)
        while at >= 0 and (before is None or at <= before):
            if at in self.word_starts and at + len(needle) in self.word_ends:
                return at
            at = self.text.find(needle, at + 1)
        return -1

    def time_at(self, offset: int) -> float:
        return self.snippets[bisect_right(self.snippet_offsets, offset) - 1].start


def locate(quote: str, stream: _Stream) -> float | None:
    """The start (seconds) of the snippet where `quote` begins, or None if it is not there."""
    pieces = ["".join(words(piece)) for piece in _ELLIPSIS.split(quote)]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return None
    at = stream.find(pieces[0])
    while at >= 0:
        end = at + len(pieces[0])
        for piece in pieces[1:]:
            found = stream.find(piece, end, end + _ELISION_GAP)
            if found < 0:
                break
            end = found + len(piece)
        else:
            return stream.time_at(at)
        at = stream.find(pieces[0], at + 1)
    return None


@dataclass(frozen=True)
class CheckedQuotes:
    """The analysis with its quotes checked: missing ones dropped unless they are to be marked.

    `times` maps every quote the analysis still holds to where it starts (None: not found).
    """

    analysis: BaseModel
    times: dict[str, float | None] = field(default_factory=dict)
    found: int = 0
    missing: int = 0

    def links(self, *, link_found: bool) -> dict[str, float | None]:
        """What render needs: the start of each found quote (when they are to be linked) and
        None for each missing quote that was kept (to be marked)."""
        return {q: t for q, t in self.times.items() if t is None or link_found}


def check_quotes(analysis: BaseModel, transcript: Transcript, sections: Sequence[Section], *,
                 keep_missing: bool = False) -> CheckedQuotes:
    """Check every quotes section of `analysis` against `transcript`."""
    stream = _Stream([s for s in transcript.snippets if s.text.strip()])
    times: dict[str, float | None] = {}
    update: dict[str, list[str]] = {}
    found = missing = 0
    for section in sections:
        if section.kind != "quotes":
            continue
        kept: list[str] = []
        for quote in values(analysis, section):
            start = locate(quote, stream)
            if start is None:
                missing += 1
                if not keep_missing:
                    continue
            else:
                found += 1
            times[quote] = start
            kept.append(quote)
        update[section.name] = kept
    return CheckedQuotes(analysis.model_copy(update=update), times, found, missing)
