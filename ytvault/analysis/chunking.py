"""Long videos: a transcript too long for one request is split into parts, each is analysed on
its own (claude.py), and the parts' answers are merged into one. Pure.

Parts end at chapter boundaries when the video has chapters, else at the longest pause near
where equal lengths would cut. Token counts are estimated from characters: four ASCII
characters a token, one token for every other character. For English that is some 15% low,
so the budgets leave room for the error (`_DEFAULT_SHARE`, analyze's part margin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ytvault.analysis.quotes import words
from ytvault.config.sections import Section, budget
from ytvault.models import Chapter, Snippet, Transcript

CHARS_PER_TOKEN = 4

# Context windows (input and output tokens) by model name prefix, first match first.
CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("claude-instant", 100_000),
    ("claude-2.0", 100_000),
    ("claude-", 200_000),
)
UNKNOWN_CONTEXT_WINDOW = 100_000  # a model name we don't know (a gateway's alias, say)
# The estimate can be ~15% low for English (Claude's tokenizer averages nearer 3.5 characters a
# token) and more for other scripts, so the default budget leaves a quarter of the window free.
_DEFAULT_SHARE = 0.75


def estimate_tokens(text: str) -> int:
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / CHARS_PER_TOKEN) + (len(text) - ascii_chars)


def default_input_budget(model: str, max_output_tokens: int) -> int:
    """The input tokens one request may hold when `input_token_budget` is not set."""
    window = next((size for prefix, size in CONTEXT_WINDOWS if model.startswith(prefix)),
                  UNKNOWN_CONTEXT_WINDOW)
    return int(window * _DEFAULT_SHARE) - max_output_tokens


@dataclass(frozen=True)
class Part:
    """One request's share of the transcript: `index` of `count`, its snippets in order."""

    index: int
    count: int
    transcript: Transcript
    end: float  # where the next part starts (the video's end for the last one)

    @property
    def start(self) -> float:
        return self.transcript.snippets[0].start


def split_transcript(transcript: Transcript, chapters: Sequence[Chapter], limit: int,
                     duration: float | None = None) -> list[Part]:
    """`transcript` in parts of at most `limit` estimated tokens of transcript text each."""
    if limit < 1:
        raise ValueError("the token limit of a part must be positive")
    snippets = _fine([s for s in transcript.snippets if s.text.strip()], limit)
    cost = [estimate_tokens(" ".join(s.text.split())) + 1 for s in snippets]
    if sum(cost) <= limit:
        groups = [range(len(snippets))]
    else:
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
        parts.append(Part(n, len(groups), _with_snippets(transcript, chosen), part_end))
    return parts


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


def part_budgets(sections: Sequence[Section], transcript: Transcript) -> dict[str, int]:
    """Items (sentences) per section for this transcript, or this part of one."""
    count = len(transcript.text.split())
    return {s.name: budget(s, count) for s in sections}


def merge_lists(lists: Sequence[Sequence[str]], cap: int) -> list[str]:
    """The parts' items for one section: near-duplicates dropped, at most `cap`, taken in turn
    from each part (so every part is heard), and kept in the video's order."""
    seen: list[set[str]] = []
    kept: list[list[str]] = []
    for items in lists:
        mine: list[str] = []
        for item in items:
            key = set(words(item))
            if not key or any(_near(key, other) for other in seen):
                continue
            seen.append(key)
            mine.append(item)
        kept.append(mine)
    chosen: set[tuple[int, int]] = set()
    depth = 0
    while len(chosen) < cap and any(depth < len(items) for items in kept):
        for p, items in enumerate(kept):
            if depth < len(items) and len(chosen) < cap:
                chosen.add((p, depth))
        depth += 1
    return [item for p, items in enumerate(kept) for d, item in enumerate(items)
            if (p, d) in chosen]


def _near(a: set[str], b: set[str]) -> bool:
    """Near-duplicates: mostly the same words, or one a longer item's words almost all over."""
    common = len(a & b)
    if common / len(a | b) >= 0.7:
        return True
    shorter = min(len(a), len(b))
    return shorter >= 5 and common / shorter >= 0.9
