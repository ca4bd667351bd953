"""Long videos: a transcript too long for one request is split into parts, each is analysed on
its own (claude.py), and the whole video's analysis is written from the parts' (synthesis.py).
Pure. Also the budgets: how many items a transcript, or a part of one, gets for its length.

Parts end at chapter boundaries when the video has chapters, else at the longest pause near
where equal lengths would cut; each part after the first repeats the end of the one before,
so that the sentence cut at the boundary is whole in one of them. Token counts are estimated
from characters: four ASCII characters a token, one token for every other character;
tokens.py scales that to the tokenizer of the model in use (denser: 5.x counts up to 65% more).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ytvault.analysis.quotes import letters, words
from ytvault.config.sections import Section, budget
from ytvault.models import Chapter, Snippet, Transcript

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / CHARS_PER_TOKEN) + (len(text) - ascii_chars)


# A part after the first also gets the end of the part before it, so that the sentence cut at
# the boundary is whole in one of them: at most this long, and this share of the part's room.
_LEAD_SECONDS = 30.0
_LEAD_SHARE = 0.05
_SENTENCE_END = (".", "!", "?", "\u3002", "\uff01", "\uff1f", "\u0964")


@dataclass(frozen=True)
class Part:
    """One request's share of the transcript: `index` of `count`, its snippets in order, and
    (`lead`) the last snippets of the part before, sent ahead of them."""

    index: int
    count: int
    transcript: Transcript
    end: float  # where the next part starts (the video's end for the last one)
    lead: tuple[Snippet, ...] = ()

    @property
    def start(self) -> float:
        return self.transcript.snippets[0].start

    @property
    def sent(self) -> Transcript:
        """What the request holds: the lead, then the part's own snippets."""
        return _with_snippets(self.transcript, self.lead + self.transcript.snippets)

    @property
    def span(self) -> tuple[float, float]:
        """The seconds the request's transcript covers, lead included."""
        return (self.lead[0].start if self.lead else self.start), self.end


def split_transcript(transcript: Transcript, chapters: Sequence[Chapter], limit: int,
                     duration: float | None = None) -> list[Part]:
    """`transcript` in parts of at most `limit` estimated tokens of transcript text each, the
    lead from the part before included."""
    if limit < 1:
        raise ValueError("the token limit of a part must be positive")
    snippets = _fine([s for s in transcript.snippets if s.text.strip()], limit)
    cost = [estimate_tokens(" ".join(s.text.split())) + 1 for s in snippets]
    lead_room = int(limit * _LEAD_SHARE)
    if sum(cost) <= limit:
        groups = [range(len(snippets))]
    else:
        limit -= lead_room
        pieces: list[range] = []
        for unit in _chapter_units(snippets, chapters):
            if sum(cost[i] for i in unit) <= limit:
                pieces.append(unit)
            else:
                pieces += _split_at_pauses(snippets, cost, unit, limit)
        groups = _group(pieces, cost, limit)
    end = float(duration or 0)
    if snippets:
        end = max(end, snippets[-1].start + snippets[-1].duration)
    parts = []
    for n, group in enumerate(groups, 1):
        chosen = tuple(snippets[i] for i in group)
        part_end = snippets[groups[n].start].start if n < len(groups) else end
        lead = _lead(snippets, cost, group.start, lead_room) if n > 1 else ()
        parts.append(Part(n, len(groups), _with_snippets(transcript, chosen), part_end, lead))
    return parts


def _lead(snippets: Sequence[Snippet], cost: Sequence[int], first: int,
          room: int) -> tuple[Snippet, ...]:
    """The snippets before `first` that finish the sentence it may begin inside: back to the
    last sentence end within `_LEAD_SECONDS` and `room` tokens, else all of those."""
    if snippets[first - 1].text.rstrip().endswith(_SENTENCE_END):
        return ()  # the cut is between two sentences
    begin, size = first, 0
    while (begin > 0 and size + cost[begin - 1] <= room
           and snippets[first].start - snippets[begin - 1].start <= _LEAD_SECONDS):
        begin -= 1
        size += cost[begin]
    for i in range(first - 1, begin - 1, -1):
        if i > begin and snippets[i - 1].text.rstrip().endswith(_SENTENCE_END):
            return tuple(snippets[i:first])
    return tuple(snippets[begin:first])


def _with_snippets(transcript: Transcript, snippets: tuple[Snippet, ...]) -> Transcript:
    return Transcript(transcript.video_id, transcript.language, transcript.language_code,
                      transcript.is_generated, snippets)


def _fine(snippets: list[Snippet], limit: int) -> list[Snippet]:
    """Snippets cut into pieces of at most a sixteenth of `limit`, so every cut stays possible
    (one cached snippet may hold a whole transcript); a piece's start is interpolated."""
    most = max(8, limit // 16)
    out: list[Snippet] = []
    for snippet in snippets:
        text = " ".join(snippet.text.split())
        if estimate_tokens(text) <= most:
            out.append(snippet)
            continue
        tokens = [t[i:i + most] for t in text.split(" ") for i in range(0, len(t), most)]
        pieces: list[list[str]] = [[]]
        size = 0
        for token in tokens:
            cost = estimate_tokens(token) + 1
            if pieces[-1] and size + cost > most:
                pieces.append([])
                size = 0
            pieces[-1].append(token)
            size += cost
        step = snippet.duration / len(pieces)
        out += [Snippet(" ".join(p), snippet.start + i * step, step) for i, p in enumerate(pieces)]
    return out


def _chapter_units(snippets: Sequence[Snippet], chapters: Sequence[Chapter]) -> list[range]:
    """Runs of snippets, one per chapter (a snippet belongs to the chapter it starts in)."""
    starts = sorted({c.start for c in chapters if c.start > 0})
    units: list[range] = []
    begin = 0
    for boundary in starts:
        end = begin
        while end < len(snippets) and snippets[end].start < boundary:
            end += 1
        if end > begin:
            units.append(range(begin, end))
            begin = end
    if begin < len(snippets):
        units.append(range(begin, len(snippets)))
    return units


def _gap(snippets: Sequence[Snippet], i: int) -> float:
    """The silence before snippet `i`."""
    before = snippets[i - 1]
    return snippets[i].start - (before.start + before.duration)


def _split_at_pauses(snippets: Sequence[Snippet], cost: Sequence[int], unit: range,
                     limit: int) -> list[range]:
    """`unit` cut into near-equal runs of at most `limit`, each cut at the longest pause
    within a window around the equal-length point."""
    out: list[range] = []
    begin = unit.start
    while sum(cost[i] for i in range(begin, unit.stop)) > limit:
        rest = sum(cost[i] for i in range(begin, unit.stop))
        target = rest / math.ceil(rest / limit)
        low, high = 0.8 * target, min(float(limit), 1.2 * target)
        size, best, best_gap = 0, None, -math.inf
        for i in range(begin, unit.stop):
            if size + cost[i] > high:
                break
            size += cost[i]
            if size >= low and i + 1 < unit.stop and _gap(snippets, i + 1) > best_gap:
                best, best_gap = i + 1, _gap(snippets, i + 1)
        if best is None:  # the window holds no cut: cut where the limit is reached
            best = begin + 1
            size = cost[begin]
            while best < unit.stop and size + cost[best] <= limit:
                size += cost[best]
                best += 1
        out.append(range(begin, best))
        begin = best
    out.append(range(begin, unit.stop))
    return out


def _group(pieces: Sequence[range], cost: Sequence[int], limit: int) -> list[range]:
    """Consecutive pieces joined into parts of at most `limit`, as equal as the cuts allow."""
    sizes = [sum(cost[i] for i in piece) for piece in pieces]
    groups: list[range] = []
    remaining = sum(sizes)
    current: list[int] = []
    current_size = 0
    target = remaining / math.ceil(remaining / limit)
    for k, size in enumerate(sizes):
        grown = current_size + size
        # close the part when this piece would overflow it, or take it further past the
        # target than leaving it out falls short
        short = target - current_size
        if current and (grown > limit or (grown > target and grown - target > short)):
            groups.append(range(pieces[current[0]].start, pieces[current[-1]].stop))
            remaining -= current_size
            target = remaining / math.ceil(remaining / limit)
            current, current_size = [], 0
        current.append(k)
        current_size += size
    if current:
        groups.append(range(pieces[current[0]].start, pieces[current[-1]].stop))
    return groups


# Speech without timings is timed by its letters: 150 words a minute of some 4.5 letters each;
# a character of a spaceless script counts as two (quotes.tokens), some 330 a minute.
_LETTERS_A_SECOND = 11.0


def speech_seconds(transcript: Transcript, duration: float | None = None) -> float:
    """How long `transcript` runs: `duration` when known (the video's, or a part's), else
    its snippets' span, else (no timings) its length read aloud."""
    if duration:
        return float(duration)
    spoken = [s for s in transcript.snippets if s.text.strip()]
    if spoken:
        span = spoken[-1].start + spoken[-1].duration - spoken[0].start
        if span > 0:
            return span
    return sum(map(letters, words(transcript.text))) / _LETTERS_A_SECOND


def part_budgets(sections: Sequence[Section], transcript: Transcript,
                 duration: float | None = None) -> dict[str, int]:
    """Items (sentences) per section for this transcript, or this part of one, lasting
    `duration` seconds (see `speech_seconds`)."""
    seconds = speech_seconds(transcript, duration)
    return {s.name: budget(s, seconds) for s in sections}
