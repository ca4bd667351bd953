"""Check the analysis's quotes against the transcript: between analyze and render. Pure.

A model quotes the way a person does: it restores case and punctuation, leaves out "um" and
`[Music]`, writes curly or straight quote marks, joins or splits hyphenated words, may drop an
accent or write "color" for "colour", and runs across caption lines. None of that makes a quote
false, so quotes are compared as their letters and digits only, folded (`tokens`). What does
make it false is never let through: a changed word or number, words left out without an
ellipsis, an ellipsis that joins far-apart sentences or drops a "not" (or another word that
turns the meaning), a paraphrase. Scripts written without spaces (Japanese, Chinese, Thai) are
compared character by character, so such a quote may begin or end inside a caption line.

A found quote links to the moment its first word is spoken: interpolated within its caption
line, and rounded down, so the link never lands after the word.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from pydantic import BaseModel

from ytvault.config.sections import Section, quote_spans, values, with_quote_spans
from ytvault.models import Snippet, Transcript

_ELLIPSIS = re.compile(r"\.\s*\.\s*\.|…|\[\s*(?:\.\s*){2,}\]|\[\s*…\s*\]|\(\s*…\s*\)")
# How far apart (in letters) two pieces of an elided quote may be in the transcript: a clause
# or a short sentence left out, not a splice of sentences said minutes apart.
_ELISION_GAP = 250
# Words an ellipsis may not leave out: without them the quote says something else.
_TURNING = frozenset((
    "not", "no", "never", "nothing", "none", "nobody", "nowhere", "neither", "nor", "cannot",
    "cant", "dont", "doesnt", "didnt", "wont", "isnt", "arent", "wasnt", "werent", "shouldnt",
    "wouldnt", "couldnt", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt", "without", "but",
    "unless", "except", "although", "though", "however", "only", "if", "whether", "hardly",
    "barely", "rarely", "seldom", "nicht", "kein", "keine", "keinen", "keiner", "keines", "keinem",
    "nie", "niemals", "nichts", "niemand", "aber", "sondern", "ausser", "ne", "pas", "jamais",
    "rien", "aucun", "aucune", "non", "mais", "sauf", "sans", "nunca", "nada", "nadie", "ningun",
    "ninguna", "tampoco", "ni", "pero", "sino", "excepto", "sin", "mai", "niente", "nessuno",
    "nessuna", "senza", "nao", "nenhum", "nenhuma", "niet", "geen", "nooit", "maar",
))
# Negations inside words of scripts written without spaces (compared as text, not as tokens).
_TURNING_CHARS = ("ない", "なかっ", "ません", "ず", "不", "没", "沒", "别", "別", "無", "无", "未",
                  "ไม่", "않", "못", "但")
# In those scripts a quote may begin or end inside a line, so it must not begin just after a
# negation that comes before the verb (Chinese, Thai, Korean) or end just before one that comes
# after it (Japanese): "我不喜欢" quoted as "喜欢" says the opposite.
_NEGATION_BEFORE = ("不", "没", "沒", "没有", "沒有", "别", "別", "未", "非", "无", "無",
                    "ไม่", "อย่า", "안", "못")
_NEGATION_AFTER = ("ない", "なかっ", "なく", "ません", "ず", "ぬ")
# Pieces of an elided quote said further apart than this (seconds) are a splice.
_ELISION_SECONDS = 30.0
# Hesitations captions (auto-generated ones most) write and a quote leaves out. Folded forms:
# "äh" is "ah" here. Not "er": it is German for "he".
_FILLERS = frozenset((
    "um", "umm", "ummm", "uh", "uhh", "uhm", "uhmm", "erm", "hmm", "hmmm", "hm", "mm", "mmm",
    "mhm", "ah", "ahh", "ahm", "aeh", "eh", "ehm", "euh", "heu",
))
_CJK_FILLERS = re.compile(r"えーと|ええと|えっと|えー|あのー|あー|うーん|んー|嗯|呃")
# Bracketed sounds and captioners' notes: `[Music]`, `(laughs)`, `[APPLAUSE]`.
_TRANSCRIPT_TAG = re.compile(r"\[[^\[\]]*\]|\((?:\s*[^\s()]+){1,3}\s*\)")
_QUOTE_BRACKET = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)")
_KNOWN_TAGS = frozenset((
    "music", "applause", "laughter", "laughs", "laughing", "inaudible", "crosstalk", "silence",
    "cheering", "chuckles", "musik", "applaus", "lachen", "gelachter", "musique",
    "applaudissements", "rires", "musica", "aplausos", "risas",
)) | {"音楽", "拍手", "笑", "笑い"}
_TIMESTAMP = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?\s*$")
# An attribution the model added after the quote: `— Ilya Sutskever`, `- Host`, `(Speaker 2)`.
_DASHES = "\u2014\u2013\u2015"  # em, en and horizontal bar
_ATTRIBUTION = re.compile(
    rf"\s(?:[{_DASHES}]|--?)\s*([^{_DASHES}]{{1,40}})$|\s\(([^()]{{1,40}})\)$")
_SENTENCE_END = re.compile("[!?,;:\u3002\uff01\uff1f]")
_NAME_PARTICLES = frozenset({"de", "da", "del", "der", "van", "von", "la", "le", "of", "the"})
# British spellings folded to American ones, so that either matches the other. Suffix rules
# apply only to words long enough that the change cannot land on another real word ("four" is
# not "for", "prise" not "prize"); the rest are listed ("-tre" is: as a rule it would make
# French "notre" the verb "noter").
_SPELLING = (
    (re.compile(r"^(\w{4,})is(e|ed|es|ing|ation|ations|er|ers)$"), r"\1iz\2"),
    (re.compile(r"^(\w{3,})our(s|ed|ing|ite|ites|able|ful)?$"), r"\1or\2"),
    (re.compile(r"^(ana|para|cata)lys(e|ed|es|ing)$"), r"\1lyz\2"),
    (re.compile(r"^(cata|dia|ana|mono|pro)logue(s)?$"), r"\1log\2"),
)
_SPELLING_WORDS = {
    "travelled": "traveled", "travelling": "traveling", "traveller": "traveler",
    "cancelled": "canceled", "cancelling": "canceling", "modelling": "modeling",
    "modelled": "modeled", "labelled": "labeled", "labelling": "labeling",
    "fuelled": "fueled", "jewellery": "jewelry", "grey": "gray", "programme": "program",
    "programmes": "programs", "defence": "defense", "offence": "offense",
    "licence": "license", "practise": "practice", "practised": "practiced",
    "aluminium": "aluminum", "tyre": "tire", "tyres": "tires", "cheque": "check",
    "mum": "mom", "maths": "math", "sceptical": "skeptical", "manoeuvre": "maneuver",
    "ageing": "aging", "judgement": "judgment", "enrolment": "enrollment",
    "fulfil": "fulfill", "skilful": "skillful", "towards": "toward", "learnt": "learned",
    "amongst": "among", "whilst": "while", "centre": "center", "centres": "centers",
    "theatre": "theater", "metre": "meter", "metres": "meters", "litre": "liter",
    "litres": "liters", "fibre": "fiber", "kilometre": "kilometer", "kilometres": "kilometers",
}


def _spaceless(ch: str) -> bool:
    """A character of a script written without spaces between words: each is a token."""
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xF900 <= o <= 0xFAFF or 0x0E00 <= o <= 0x0EFF or 0x1000 <= o <= 0x109F
            or 0x1780 <= o <= 0x17FF or 0x20000 <= o <= 0x2FA1F)


# Letters a second of very fast speech (some 300 words a minute); a character of a spaceless
# script counts as two (twelve characters a second is very fast Japanese or Chinese).
_FAST_LETTERS = 25.0


def letters(token: str) -> int:
    """A token's length in letters, a character of a spaceless script counting as two."""
    return 2 * len(token) if _spaceless(token[0]) else len(token)


def _fold(text: str) -> str:
    """Case folded; accents of Latin, Greek and Cyrillic letters dropped (the marks of other
    scripts, Thai tones or Devanagari vowels, are part of the letter and stay)."""
    out: list[str] = []
    strip = False
    for ch in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)):
        if unicodedata.combining(ch):
            if not strip:
                out.append(ch)
            continue
        strip = ch < "\u0530" or "\u1e00" <= ch <= "\u1eff"
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).casefold()


def _spelling(token: str) -> str:
    if token in _SPELLING_WORDS:
        return _SPELLING_WORDS[token]
    for pattern, replacement in _SPELLING:
        if pattern.match(token):
            return pattern.sub(replacement, token)
    return token


def tokens(text: str) -> list[str]:
    """`text` as quotes are compared: folded words of letters and digits, fillers left out, a
    character of a spaceless script a token of its own.

    "Don't" is ["don", "t"] and "dont" ["dont"]: matching ignores the breaks between tokens
    (`_Stream`), so apostrophes and hyphens make no difference.
    """
    out: list[str] = []
    word: list[str] = []

    def close() -> None:
        if word:
            token = _spelling("".join(word))
            if token not in _FILLERS:
                out.append(token)
            word.clear()

    after_letter = False  # a mark belongs to the letter right before it, if there is one
    for ch in _fold(_CJK_FILLERS.sub(" ", text)):
        kind = unicodedata.category(ch)[0]
        if kind == "M":
            if word:
                word.append(ch)
            elif after_letter:
                out[-1] += ch
            continue
        after_letter = kind in "LN"
        if after_letter and _spaceless(ch):
            close()
            out.append(ch)
        elif after_letter:
            word.append(ch)
        else:
            close()
    close()
    return out


def words(text: str) -> list[str]:
    """The tokens of `text` (the merge of long videos compares items by them)."""
    return tokens(text)


def _tag_key(text: str) -> str:
    return " ".join(tokens(text))


class _Stream:
    """The transcript as one string of tokens, with where each token starts and where each
    lies in its caption line (for the moment a quote starts)."""

    def __init__(self, snippets: Sequence[Snippet]) -> None:
        self.snippets = list(snippets)
        self.tags: set[str] = set()
        self.tokens: list[str] = []
        self.starts: list[int] = []  # stream offset of each token
        self.owner: list[int] = []  # snippet of each token
        self.within: list[int] = []  # letters before the token in its snippet (`_letters`)
        self.letters: list[int] = []  # letters of each snippet
        length = 0
        for n, snippet in enumerate(self.snippets):
            self.tags |= {_tag_key(m.group()[1:-1]) for m in _TRANSCRIPT_TAG.finditer(snippet.text)}
            before = 0
            for token in tokens(_TRANSCRIPT_TAG.sub(" ", snippet.text)):
                self.tokens.append(token)
                self.starts.append(length)
                self.owner.append(n)
                self.within.append(before)
                length += len(token)
                before += letters(token)
            self.letters.append(before)
        self.text = "".join(self.tokens)
        self._index = {at: i for i, at in enumerate(self.starts)}
        self._ends = {at + len(t) for at, t in zip(self.starts, self.tokens, strict=True)}

    def find(self, needle: str, start: int = 0, before: int | None = None) -> int:
        """Where `needle` starts on token boundaries at or after `start` (and, if given, at or
        before `before`); -1 if nowhere."""
        at = self.text.find(needle, start)
        while at >= 0 and (before is None or at <= before):
            if at in self._index and at + len(needle) in self._ends:
                return at
            at = self.text.find(needle, at + 1)
        return -1

    def token_at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def time_at(self, offset: int) -> float:
        """When the token at `offset` is spoken, at the latest: its caption line's start plus
        its share of the line, the line's time taken as ending where the next line starts
        (auto-generated lines overlap) and 10% short of it (a line is shown a little longer
        than it is spoken); and never later than the words before it in the line take at the
        fastest speech (`_FAST_LETTERS`), for a line shown long after it was said."""
        i = self.token_at(offset)
        n = self.owner[i]
        snippet = self.snippets[n]
        shown = snippet.duration
        if n + 1 < len(self.snippets):
            shown = min(shown, max(0.0, self.snippets[n + 1].start - snippet.start))
        share = self.within[i] / self.letters[n] if self.letters[n] else 0.0
        return snippet.start + min(0.9 * shown * share, self.within[i] / _FAST_LETTERS)

    def cut_at_negation(self, start: int, end: int) -> bool:
        """Whether the quote from `start` to `end` (stream offsets) begins just after, or ends
        just before, a negation that is part of the same word in a spaceless script."""
        before = self.text[max(0, start - 6):start]
        after = self.text[end:end + 6]
        return (any(before.endswith(mark) for mark in _NEGATION_BEFORE)
                or any(after.startswith(mark) for mark in _NEGATION_AFTER))

    def turns_meaning(self, first: int, last: int) -> bool:
        """Whether the tokens from `first` up to `last` (exclusive), left out by an ellipsis,
        hold a word that turns the meaning; a "n't" split at the ellipsis counts."""
        left = self.tokens[first:last]
        if any(t in _TURNING for t in left):
            return True
        if left and left[0] == "t" and first > 0 and self.tokens[first - 1].endswith("n"):
            return True
        if any(b == "t" and a.endswith("n") for a, b in pairwise(left)):
            return True
        joined = "".join(left)
        return any(mark in joined for mark in _TURNING_CHARS)


@dataclass(frozen=True)
class Found:
    """Where a quote is in the transcript: the stream offset it starts at, and its moment."""

    offset: int
    start: float


def _pieces(quote: str, stream: _Stream) -> list[str]:
    def bracket(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        key = _tag_key(inner)
        if not key or key in stream.tags or key in _KNOWN_TAGS or _TIMESTAMP.match(inner):
            return " "
        return f" {inner} "  # an editor's insertion: its words must be spoken too

    cleaned = _QUOTE_BRACKET.sub(bracket, _ELLIPSIS.sub(" \u2026 ", quote))
    pieces = ["".join(tokens(piece)) for piece in cleaned.split("\u2026")]
    return [piece for piece in pieces if piece]


def locate(quote: str, stream: _Stream,
           near: tuple[float, float] | None = None) -> Found | None:
    """Where `quote` begins in the transcript, or None if it is not there. Said more than
    once: the first time it is said within `near` (a part's span), else the first time."""
    pieces = _pieces(quote, stream)
    if not pieces:
        return None
    first: Found | None = None
    at = stream.find(pieces[0])
    while at >= 0:
        if _rest_follows(pieces, stream, at):
            found = Found(at, stream.time_at(at))
            if near is None:
                return found
            first = first or found
            if near[0] <= stream.snippets[stream.owner[stream.token_at(at)]].start <= near[1]:
                return found
        at = stream.find(pieces[0], at + 1)
    return first


def _rest_follows(pieces: Sequence[str], stream: _Stream, at: int) -> bool:
    """Whether the pieces after the first follow it in order, each close to the one before,
    leaving out nothing that turns the meaning, and the whole is not cut at a negation."""
    end = at + len(pieces[0])
    for piece in pieces[1:]:
        found = stream.find(piece, end, end + _ELISION_GAP)
        if found < 0:
            return False
        if (stream.turns_meaning(stream.token_at(end), stream.token_at(found))
                or stream.time_at(found) - stream.time_at(end - 1) > _ELISION_SECONDS):
            return False
        end = found + len(piece)
    return not stream.cut_at_negation(at, end)


def without_attribution(quote: str) -> str:
    """`quote` without a speaker's name the model put after it (`"…" — Ilya Sutskever`): up
    to five words, each capitalised (or of a script without case), after a dash or in
    brackets at the very end."""
    match = _ATTRIBUTION.search(quote.rstrip())
    if match is None:
        return quote
    name = (match.group(1) or match.group(2) or "").strip()
    names = name.split()
    if not names or len(names) > 5 or _SENTENCE_END.search(name):
        return quote
    if not all(_name_word(w) for w in names):
        return quote
    return quote[:match.start()].strip()


def _name_word(word: str) -> bool:
    """A word of a name: capitalised, of a script without case, a particle, or a number."""
    first = word[0]
    if first.isdigit():
        return len(word) <= 2  # "Speaker 2"
    return first.isupper() or not first.islower() or word in _NAME_PARTICLES


@dataclass(frozen=True)
class QuoteCandidate:
    """A quote one part of a long video gave, found in that part's transcript: `text` as it
    is to be shown, where it starts, and the part's number and span (for its link)."""

    section: str
    text: str
    start: float
    part: int
    span: tuple[float, float]
    rank: int = 0  # its place among its part's quotes, as the model gave them (best first)


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


def transcript_stream(transcript: Transcript) -> _Stream:
    return _Stream([s for s in transcript.snippets if s.text.strip()])


def find_quote(quote: str, stream: _Stream,
               near: tuple[float, float] | None = None) -> tuple[str, Found | None]:
    """(the quote as it is to be shown, where it is): tried as written, then without an
    attribution after it."""
    found = locate(quote, stream, near)
    if found is None:
        bare = without_attribution(quote)
        if bare != quote and (found := locate(bare, stream, near)) is not None:
            return bare, found
    return quote, found


def check_quotes(analysis: BaseModel, transcript: Transcript, sections: Sequence[Section], *,
                 keep_missing: bool = False,
                 limits: Mapping[str, int] | None = None) -> CheckedQuotes:
    """Check every quotes section of `analysis` against `transcript`.

    `limits`: the most quotes a section keeps (the model is asked for a few more than that,
    so that the ones that fail the check leave the budget full): the found ones first, in the
    model's order, then, when they are to be marked, the missing ones.
    """
    stream = transcript_stream(transcript)
    spans = quote_spans(analysis)
    times: dict[str, float | None] = {}
    update: dict[str, list[str]] = {}
    found = missing = 0
    for section in sections:
        if section.kind != "quotes":
            continue
        cap = (limits or {}).get(section.name, math.inf)
        checked: list[tuple[str, Found | None]] = []
        for quote in values(analysis, section):
            shown, where = find_quote(quote, stream, spans.get(quote))
            checked.append((shown, where))
        found += sum(where is not None for _, where in checked)
        missing += sum(where is None for _, where in checked)
        # the found ones first, then the missing ones to be marked, shown in the model's order
        room = cap
        chosen: set[int] = set()
        for wanted in (True, False) if keep_missing else (True,):
            for n, (shown, where) in enumerate(checked):
                if room > 0 and (where is not None) is wanted and shown not in times:
                    times[shown] = where.start if where else None
                    chosen.add(n)
                    room -= 1
        kept = [(shown, where) for n, (shown, where) in enumerate(checked) if n in chosen]
        update[section.name] = [quote for quote, _ in kept]
    result = analysis.model_copy(update=update)
    return CheckedQuotes(with_quote_spans(result, {}), times, found, missing)
