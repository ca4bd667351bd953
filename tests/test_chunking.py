"""chunking.py: token estimates, the split of long transcripts, the budgets of their parts."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ytvault.analysis.chunking import (
    estimate_tokens,
    split_transcript,
)
from ytvault.models import Chapter, Snippet, Transcript, Video

pytestmark = pytest.mark.unit

VIDEOS = Path(__file__).parent / "fixtures" / "cache" / "videos"


def load(video_id: str) -> tuple[Video, Transcript]:
    info = json.loads((VIDEOS / video_id / "info.json").read_text())
    return Video.from_info(info), Transcript.from_json(
        json.loads((VIDEOS / video_id / "transcript.json").read_text()))


def cost(transcript: Transcript) -> int:
    """What a part's transcript costs, as split_transcript counts it."""
    return sum(estimate_tokens(" ".join(s.text.split())) + 1 for s in transcript.snippets)


def test_estimate_is_four_ascii_characters_a_token_and_one_for_any_other() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 10) == 10
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("für") == 1 + 1  # "fr" rounds up to one token, "ü" is one
    assert estimate_tokens("日本語") == 3


def test_a_transcript_that_fits_is_one_part() -> None:
    video, transcript = load("Yf1o0TQzry8")

    [part] = split_transcript(transcript, video.chapters, 10_000, video.duration)

    assert (part.index, part.count, part.start, part.end) == (1, 1, 0.0, 2861.0)
    assert part.transcript.snippets == transcript.snippets


def test_long_lecture_is_cut_at_chapter_boundaries_into_equal_parts() -> None:
    video, transcript = load("fxLong00001")  # ten chapters of ~2,000 tokens each
    chapter_starts = {c.start for c in video.chapters}

    parts = split_transcript(transcript, video.chapters, 4800, video.duration)

    assert len(parts) == 5
    assert [p.index for p in parts] == [1, 2, 3, 4, 5] and {p.count for p in parts} == {5}
    assert all(cost(p.sent) <= 4800 for p in parts)  # the lead from the part before included
    assert [p.start for p in parts] == [0.0, 1596.0, 3192.0, 4788.0, 6384.0]
    assert {p.start for p in parts} <= chapter_starts
    assert [p.end for p in parts] == [1596.0, 3192.0, 4788.0, 6384.0, 7987.0]
    # every snippet once, in order
    assert tuple(s for p in parts for s in p.transcript.snippets) == transcript.snippets


def test_without_chapters_the_cut_is_the_longest_pause_near_the_middle() -> None:
    speech = [Snippet(f"sentence number {i} of the talk", i * 3.0, 2.9) for i in range(100)]
    # a long silence a little after the middle, and a longer one far from it
    speech[56] = Snippet(speech[56].text, speech[56].start + 4.0, 2.9)
    speech[95] = Snippet(speech[95].text, speech[95].start + 30.0, 2.9)
    transcript = Transcript("x", "English", "en", False, tuple(speech))
    total = cost(transcript)

    first, second = split_transcript(transcript, (), int(total * 0.7))

    assert first.transcript.snippets == tuple(speech[:56])
    assert second.start == speech[56].start == first.end


def test_chapters_longer_than_a_part_are_cut_at_pauses() -> None:
    video, transcript = load("fxLong00001")
    one_chapter = (Chapter(0.0, "All of it"),)

    parts = split_transcript(transcript, one_chapter, 3150, video.duration)

    assert all(cost(p.sent) <= 3150 for p in parts)
    sizes = [cost(p.transcript) for p in parts]
    assert max(sizes) - min(sizes) < 0.45 * max(sizes)  # near equal, not one big and a crumb
    assert tuple(s for p in parts for s in p.transcript.snippets) == transcript.snippets


def test_parts_overlap_by_the_sentence_cut_at_their_boundary() -> None:
    speech = [Snippet(text, i * 3.0, 2.9) for i, text in enumerate(
        ["We start with the soil.", "Compost feeds it, and the roots", "grow deeper every year",
         "when nothing disturbs them.", "Then comes water."] * 30)]
    transcript = Transcript("x", "English", "en", False, tuple(speech))

    parts = split_transcript(transcript, (), cost(transcript) // 3)

    assert len(parts) >= 3 and parts[0].lead == ()
    for before, part in pairwise(parts):
        own = before.transcript.snippets
        if own[-1].text.endswith("."):
            assert part.lead == ()  # cut between two sentences: nothing to repeat
        else:  # the lead is the cut sentence's beginning: from the last sentence end on
            assert part.lead == own[-len(part.lead):]
            assert own[-len(part.lead) - 1].text.endswith(".")
            assert not any(s.text.endswith(".") for s in part.lead)
        assert part.span == ((part.lead or part.transcript.snippets)[0].start, part.end)
    assert any(p.lead for p in parts)
    # the lead is sent, the part's own snippets are still every snippet once
    assert tuple(s for p in parts for s in p.transcript.snippets) == transcript.snippets


def test_one_giant_snippet_is_still_split() -> None:
    blob = Snippet(" ".join(f"word{i}" for i in range(4000)), 0.0, 1200.0)
    transcript = Transcript("x", "", "", False, (blob,))

    parts = split_transcript(transcript, (), 2000)

    assert len(parts) > 1 and all(cost(p.transcript) <= 2000 for p in parts)
    assert " ".join(p.transcript.text for p in parts) == blob.text
    assert [p.start for p in parts] == sorted(p.start for p in parts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=0, max_size=200), st.floats(0, 20)),
                min_size=1, max_size=80),
       st.lists(st.floats(0, 2000), max_size=6), st.integers(40, 600))
def test_every_part_fits_and_nothing_is_lost(texts: list[tuple[str, float]],
                                             chapter_starts: list[float], limit: int) -> None:
    snippets, at = [], 0.0
    for text, pause in texts:
        snippets.append(Snippet(text, at, 1.0))
        at += 1.0 + pause
    transcript = Transcript("x", "", "", False, tuple(snippets))

    parts = split_transcript(transcript, [Chapter(s, "c") for s in chapter_starts], limit)

    assert all(cost(p.sent) <= limit for p in parts)
    # every character, in order (a word longer than a part is cut, so compare without spaces)
    assert "".join("".join(p.transcript.text.split()) for p in parts) == "".join(
        transcript.text.split())
    assert [p.index for p in parts] == list(range(1, len(parts) + 1))
