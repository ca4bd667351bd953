"""quotes.py: quotes found in the transcript get their moment; the others are dropped or kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytvault.analysis.quotes import check_quotes, find_quote, transcript_stream, words
from ytvault.config.sections import DEFAULT_SECTIONS, Section, analysis_model, with_quote_spans
from ytvault.models import Analysis, Snippet, Transcript
from ytvault.youtube.captions import parse_json3

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
    # each within the caption line it starts in, where its first word is
    assert [int(t or -1) for t in checked.times.values()] == [379, 677, 929, 2487]
    assert checked.analysis == seed_analysis()  # nothing dropped, nothing changed


@pytest.mark.parametrize(("quote", "start"), [
    # the letters before it in its line at 25 a second (fast speech): never after it is said
    ("the soil food web, and why it matters", 0.0 + 16 / 25),  # three lines, case, hyphen
    ("Why it matters: don't skip it.", 2.5 + 14 / 25),  # a straight apostrophe
    ('"soil food-web"', 2.5),  # the model's own quote marks
    ("matters, dont skip it", 6.0),  # an apostrophe left out
    ("Compost feeds the soil again", 61.2 + 19 / 25),  # said the second time
    ("Welcome back … why it matters", 0.0),  # elided, in order
    ("Today, the soil ... why it matters", 0.0 + 11 / 25),
])
def test_quotes_are_found_whatever_the_punctuation_and_line_breaks(quote: str,
                                                                    start: float) -> None:
    assert times(with_quotes(quote)) == {quote: pytest.approx(start)}


@pytest.mark.parametrize("quote", [
    "the soil food web matters",  # words left out without an ellipsis
    "Compost feeds the garden",  # a word changed
    "elcome back",  # not on a word boundary
    "back today the soi",
    "skip it … welcome back",  # elided, but out of order
    "Today, the soil ... skip it!",  # the ellipsis drops "don't"
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

    assert times(with_quotes(quote), transcript) == {quote: pytest.approx(185.907 + 23 / 25)}
    assert times(with_quotes("Backt mit Dampf in den ersten dreißig Minuten"), transcript) == {}


# brackets left out: a bracketed tag is not speech, so a quote never starts inside one
@given(st.lists(st.text(st.characters(blacklist_characters="[]()"), min_size=1, max_size=30),
                min_size=1, max_size=12),
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

    # found in the line it starts in (not after it), or earlier when said before
    assert found is not None and found < snippets[spoken[start][1]].start + 5.0


# The labelled set: quotes as models write them, genuine or not, in several scripts.

LABELLED = json.loads((FIXTURES / "quotes.json").read_text(encoding="utf-8"))


def labelled_transcript(name: str) -> Transcript:
    if name in LABELLED["transcripts"]:
        return Transcript.from_json({"video_id": "x", **LABELLED["transcripts"][name]})
    return transcript_of(name)


def test_the_labelled_set_keeps_genuine_quotes_and_shows_no_invented_one() -> None:
    cases = LABELLED["cases"]
    kinds = {labelled_transcript(c["transcript"]).is_generated for c in cases}
    scripts = {c["transcript"][:2] for c in cases}
    assert len(cases) >= 60 and kinds == {True, False}
    assert {"ja", "zh", "th"} <= scripts  # scripts written without spaces

    streams = {name: transcript_stream(labelled_transcript(name))
               for name in {c["transcript"] for c in cases}}
    kept = [find_quote(c["quote"], streams[c["transcript"]])[1] is not None for c in cases]
    genuine = [c["genuine"] for c in cases]
    true_positives = sum(k and g for k, g in zip(kept, genuine, strict=True))
    precision = true_positives / sum(kept)
    recall = true_positives / sum(genuine)
    wrong = [f"{c['quote']!r} ({c['why']})" for c, k in zip(cases, kept, strict=True)
             if k != c["genuine"]]
    print(f"labelled quotes: {len(cases)} cases, {sum(genuine)} genuine; "
          f"precision {precision:.3f}, recall {recall:.3f}")

    assert precision == 1.0, f"invented quotes shown as real: {wrong}"
    assert recall >= 0.95, f"genuine quotes lost: {wrong}"


def test_an_attribution_after_a_quote_is_left_out_of_the_note() -> None:
    quote = "Compost feeds the soil again. — Dr. Jane Holt"
    checked = check_quotes(with_quotes(quote, '"Welcome back" (Host)'), SNIPPETS,
                           DEFAULT_SECTIONS)

    assert checked.analysis.model_dump()["quotes"] == ["Compost feeds the soil again.",
                                                       '"Welcome back"']
    assert checked.found == 2


def test_only_the_budget_of_found_quotes_is_kept() -> None:
    analysis = with_quotes("Welcome back.", "made up entirely", "Compost feeds the soil.",
                           "why it matters", "also invented")
    limits = {"quotes": 2}

    dropped = check_quotes(analysis, SNIPPETS, DEFAULT_SECTIONS, limits=limits)
    marked = check_quotes(analysis, SNIPPETS, DEFAULT_SECTIONS, limits={"quotes": 4},
                          keep_missing=True)

    assert dropped.analysis.model_dump()["quotes"] == ["Welcome back.", "Compost feeds the soil."]
    assert (dropped.found, dropped.missing) == (3, 2)
    assert marked.analysis.model_dump()["quotes"] == [
        "Welcome back.", "made up entirely", "Compost feeds the soil.", "why it matters"]


def test_a_quote_links_to_its_first_word_never_after_it() -> None:
    """Against the word times of a real auto-generated track (json3 `tOffsetMs`)."""
    raw = (FIXTURES / "youtube" / "captions" / "asr.json3").read_bytes()
    spoken = [(str(seg["utf8"]).strip(), (event["tStartMs"] + seg.get("tOffsetMs", 0)) / 1000)
              for event in json.loads(raw)["events"] for seg in event.get("segs") or ()
              if str(seg["utf8"]).strip()]
    snippets = parse_json3(raw)
    stream = transcript_stream(Transcript("x", "English", "en", True, tuple(snippets)))
    line_starts = [s.start for s in snippets]

    for n in range(len(spoken) - 3):
        quote = " ".join(word for word, _ in spoken[n:n + 4])
        found = find_quote(quote, stream)[1]
        said = spoken[n][1]
        line = max(start for start in line_starts if start <= said)
        assert found is not None and line <= found.start <= said + 1e-9, quote
    # interpolated, not the start of the line: a quote from the middle of a line is later
    middle = find_quote("the corners into each other", stream)[1]
    assert middle is not None and middle.start > snippets[1].start + 0.5


def test_a_phrase_said_in_two_parts_links_to_the_part_it_was_quoted_from() -> None:
    quote = "Compost feeds the soil."
    analysis = with_quote_spans(with_quotes(quote), {quote: (60.0, 120.0)})

    checked = check_quotes(analysis, SNIPPETS, DEFAULT_SECTIONS)

    assert checked.times[quote] == pytest.approx(61.2)
    assert times(with_quotes(quote)) == {quote: pytest.approx(61.2)}  # first said at 61.2 too
    second = "feeds the soil"
    spans = with_quote_spans(with_quotes(second), {second: (63.0, 120.0)})
    assert check_quotes(spans, SNIPPETS, DEFAULT_SECTIONS).times[second] > 63.0
    assert times(with_quotes(second))[second] < 63.0  # without the span: the first time
