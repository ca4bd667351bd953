"""quotes.py: quotes found in the transcript get their moment; the others are dropped or kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytvault.analysis.quotes import check_quotes, words
from ytvault.config.sections import DEFAULT_SECTIONS, Section, analysis_model
from ytvault.models import Analysis, Snippet, Transcript

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"


def transcript_of(video_id: str) -> Transcript:
    path = FIXTURES / "cache" / "videos" / video_id / "transcript.json"
    return Transcript.from_json(json.loads(path.read_text()))


def seed_analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())


def with_quotes(*quotes: str) -> Analysis:
    return seed_analysis().model_copy(update={"quotes": list(quotes)})


SNIPPETS = Transcript("x", "English", "en", False, (
    Snippet("Welcome back. Today: the", 0.0, 2.0),
    Snippet("SOIL food-web, and why it", 2.5, 3.0),
    Snippet("matters — don’t skip it!", 6.0, 2.0),
    Snippet("", 8.5, 1.0),
    Snippet("Compost feeds the soil. Compost", 61.2, 2.0),
    Snippet("feeds the soil again.", 63.9, 2.0),
))


def times(analysis: Analysis, transcript: Transcript = SNIPPETS,
          **kwargs: bool) -> dict[str, float | None]:
    return check_quotes(analysis, transcript, DEFAULT_SECTIONS, **kwargs).times


def test_the_seed_quotes_are_all_found_at_their_moments() -> None:
    checked = check_quotes(seed_analysis(), transcript_of("Yf1o0TQzry8"), DEFAULT_SECTIONS)

    assert (checked.found, checked.missing) == (4, 0)
    assert [int(t or -1) for t in checked.times.values()] == [378, 675, 929, 2487]
    assert checked.analysis == seed_analysis()  # nothing dropped, nothing changed


@pytest.mark.parametrize(("quote", "start"), [
    ("the soil food web, and why it matters", 0.0),  # across three snippets, case, hyphen
    ("Why it matters: don't skip it.", 2.5),  # other punctuation, a straight apostrophe
    ('"soil food-web"', 2.5),  # the model's own quote marks
    ("matters, dont skip it", 6.0),  # an apostrophe left out
    ("Compost feeds the soil again", 61.2),  # the second time it is said, not the first
    ("Welcome back … why it matters", 0.0),  # elided, in order
    ("Today, the soil ... skip it!", 0.0),
])
def test_quotes_are_found_whatever_the_punctuation_and_line_breaks(quote: str,
                                                                    start: float) -> None:
    assert times(with_quotes(quote)) == {quote: start}


@pytest.mark.parametrize("quote", [
    "the soil food web matters",  # words left out without an ellipsis
    "Compost feeds the garden",  # a word changed
    "elcome back",  # not on a word boundary
    "back today the soi",
    "skip it … welcome back",  # elided, but out of order
    "",
    "— …",
])
def test_quotes_not_in_the_transcript_are_dropped(quote: str) -> None:
    analysis = with_quotes("Welcome back.", quote)
    checked = check_quotes(analysis, SNIPPETS, DEFAULT_SECTIONS)

    assert checked.analysis.model_dump()["quotes"] == ["Welcome back."]
    assert checked.times == {"Welcome back.": 0.0}
    assert (checked.found, checked.missing) == (1, 0 if quote == "" else 1)  # "": no quote


def test_missing_quotes_are_kept_when_they_are_to_be_marked() -> None:
    checked = check_quotes(with_quotes("Welcome back.", "Compost is gold."), SNIPPETS,
                           DEFAULT_SECTIONS, keep_missing=True)

    assert checked.analysis.model_dump()["quotes"] == ["Welcome back.", "Compost is gold."]
    assert checked.times == {"Welcome back.": 0.0, "Compost is gold.": None}
    assert checked.links(link_found=True) == checked.times
    assert checked.links(link_found=False) == {"Compost is gold.": None}
    assert (checked.found, checked.missing) == (1, 1)


def test_other_sections_are_left_alone_and_custom_quote_sections_checked() -> None:
    sections = (Section(name="gist", kind="paragraph", instruction="x"),
                Section(name="lines", kind="quotes", instruction="y"),
                Section(name="more_lines", kind="quotes", instruction="z"))
    model = analysis_model(sections)
    analysis = model(gist="Compost is gold.", lines=["compost feeds the soil", "made up"],
                     more_lines=["why it matters"])

    checked = check_quotes(analysis, SNIPPETS, sections)

    assert checked.analysis.model_dump() == {
        "gist": "Compost is gold.", "lines": ["compost feeds the soil"],
        "more_lines": ["why it matters"]}
    assert (checked.found, checked.missing) == (2, 1)


def test_a_german_quote_in_an_auto_generated_transcript() -> None:
    transcript = transcript_of("fxGerman01C")
    quote = "Mein wichtigster Tipp: Backt mit Dampf in den ersten zwanzig Minuten!"

    assert times(with_quotes(quote), transcript) == {quote: 185.907}
    assert times(with_quotes("Backt mit Dampf in den ersten dreißig Minuten"), transcript) == {}


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12),
       st.integers(min_value=0), st.integers(min_value=1, max_value=40))
def test_any_run_of_the_transcript_is_found_at_the_snippet_it_starts_in(
        texts: list[str], first: int, length: int) -> None:
    snippets = tuple(Snippet(text, float(i * 10), 5.0) for i, text in enumerate(texts))
    transcript = Transcript("x", "", "", False, snippets)
    spoken = [(word, i) for i, s in enumerate(snippets) for word in s.text.split()]
    if not any(words(w) for w, _ in spoken):
        return
    start = first % len(spoken)
    while not words(spoken[start][0]):  # a quote begins with a word, not with punctuation
        start = (start + 1) % len(spoken)
    quote = " ".join(w for w, _ in spoken[start:start + length])

    found = times(with_quotes(quote), transcript)[quote]

    # found where it starts, or earlier when the same words were said before
    assert found is not None and found <= snippets[spoken[start][1]].start
