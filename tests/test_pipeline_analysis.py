"""The analysis through the whole pipeline (real SDK, local API, fixture cache): checked quotes
with their moments, long videos in parts, note sizes, languages, transcript fallbacks, a
person's own sections and template, clickable chapters."""

from __future__ import annotations

import json
import logging
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import ytfakes as fk
from conftest import FIXTURES, SEED_URL, MakeContext
from fakeapi import FakeMessagesAPI
from fakemodel import request_tokens
from fakewire import Reply

from ytvault.analysis.chunking import part_budgets
from ytvault.config.sections import DEFAULT_SECTIONS
from ytvault.config.settings import Config
from ytvault.models import Transcript
from ytvault.note.parse import split_note
from ytvault.pipeline.run import process_note, sync
from ytvault.youtube.client import YouTubeClient

SEED_ANALYSIS = json.loads((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())
REAL = SEED_ANALYSIS["quotes"][3]  # said at 41:27
LINK = re.compile(r"\(\[(\d+(?::\d\d)+)\]\(https://youtu\.be/(\w+)\?t=(\d+)\)\)$")


@pytest.fixture
def settings(cache_dir: Path, tmp_path: Path) -> Any:
    def make(**values: Any) -> Config:
        return Config(cache_dir=cache_dir, state_dir=tmp_path / "state", api_max_retries=1,
                      **values)
    return make


def fill(vault: Path, ctx: Any, url: str, name: str = "n.md") -> str:
    note = vault / name
    note.write_text(url + "\n")
    outcome = process_note(ctx, note)
    assert outcome is not None and outcome.status == "filled", outcome
    return note.read_text()


def section(text: str, heading: str) -> list[str]:
    """The lines under `heading` up to the next heading or the player."""
    body = split_note(text).body
    after = body.split(f"\n{heading}\n", 1)[1]
    return [ln for ln in re.split(r"\n(?:#|<iframe)", after, maxsplit=1)[0].splitlines() if ln]


# 1. Quotes are checked.


def test_quotes_not_in_the_transcript_are_dropped_and_counted(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI,
        caplog: pytest.LogCaptureFixture) -> None:
    made_up = "Scaling laws guarantee that AGI arrives in 2027."
    quotes = [made_up, REAL, "WELCOME to the podcast"]
    api.script(Reply.analysis({**SEED_ANALYSIS, "quotes": quotes}))

    with caplog.at_level(logging.INFO, logger="ytvault"):
        text = fill(vault, make_context(), SEED_URL)

    assert section(text, "# QUOTES:") == [
        f'- "{REAL}" ([41:27](https://youtu.be/Yf1o0TQzry8?t=2487))',
        '- "WELCOME to the podcast" ([0:00](https://youtu.be/Yf1o0TQzry8?t=0))',
    ]
    assert made_up not in text
    assert "Yf1o0TQzry8: 2 of 3 quotes found in the transcript; 1 dropped" in caplog.messages


def test_quotes_not_in_the_transcript_can_be_marked_instead(
        vault: Path, make_context: MakeContext, settings: Any, api: FakeMessagesAPI) -> None:
    made_up = "Scaling laws guarantee that AGI arrives in 2027."
    api.script(Reply.analysis({**SEED_ANALYSIS, "quotes": [made_up, REAL]}))

    text = fill(vault, make_context(config=settings(unverified_quotes="mark")), SEED_URL)

    assert section(text, "# QUOTES:") == [
        f'- "{made_up}" (not found in the transcript)',
        f'- "{REAL}" ([41:27](https://youtu.be/Yf1o0TQzry8?t=2487))',
    ]


def test_no_quote_found_leaves_the_section_empty_as_the_template_has_it(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    api.script(Reply.analysis({**SEED_ANALYSIS, "quotes": ["Nobody said this."]}))

    text = fill(vault, make_context(), SEED_URL)

    assert "# QUOTES:\n\n# HABITS:\n\n- Spending" in text


# 2. Long videos.


def test_a_long_video_with_a_small_budget_becomes_a_complete_note(
        vault: Path, make_context: MakeContext, settings: Any, api: FakeMessagesAPI) -> None:
    transcript = Transcript.from_json(json.loads(
        (FIXTURES / "cache/videos/fxLong00001/transcript.json").read_text()))

    text = fill(vault, make_context(config=settings(input_token_budget=12000)),
                "https://youtu.be/fxLong00001")

    assert len(api.message_requests) == 6  # five parts and the merge
    assert all(request_tokens(r.body) <= 12000 for r in api.message_requests)
    headings = [ln for ln in split_note(text).body.splitlines() if ln.startswith("# ")]
    assert headings == ["# SUMMARY", "# IDEAS:", "# INSIGHTS:", "# QUOTES:", "# HABITS:",
                        "# FACTS:", "# REFERENCES:", "# RECOMMENDATIONS:"]
    assert all(section(text, h) for h in headings)  # none of them empty
    quotes = [LINK.search(line) for line in section(text, "# QUOTES:")]
    cap = part_budgets(DEFAULT_SECTIONS, transcript)["quotes"]
    assert all(quotes) and 5 <= len(quotes) <= cap  # from every part, within the whole's budget
    # quotes from every part (they begin at chapters 1, 3, 5, 7 and 9), each linked to where
    # it is said
    times = [int(m.group(3)) for m in quotes if m]
    bounds = (0, 1596, 3192, 4788, 6384, 10**6)
    assert all(any(lo <= t < hi for t in times) for lo, hi in pairwise(bounds))
    # each within the caption line it links to (the first word's moment, interpolated)
    assert all(any(int(s.start) <= t <= s.start + s.duration + 1 for s in transcript.snippets)
               for t in times)
    assert [m.group(1) for m in quotes if m][-1].count(":") == 2  # 1:46:…: an hour form


# 3. The note's size fits the video.


def test_a_short_gets_a_short_note(vault: Path, make_context: MakeContext,
                                   api: FakeMessagesAPI) -> None:
    api.script(Reply.analysis({
        "summary": "How to fold a fitted sheet in twenty seconds.",
        "ideas": ["Tucking the corners together makes a fitted sheet foldable."],
        "insights": [], "quotes": ["Tuck the corners into each other"], "habits": [],
        "facts": [], "references": [], "recommendations": ["Fold it in thirds."],
    }))

    text = fill(vault, make_context(), "https://www.youtube.com/shorts/fxShort001F")

    request = api.message_requests[0].body["messages"][0]["content"]
    assert "Budget, at most: summary 1 sentence; ideas 1 item; insights 1 item;" in request
    body = split_note(text).body
    assert "# INSIGHTS:\n\n# QUOTES:" in body  # empty sections: the heading alone
    assert "# HABITS:\n\n# FACTS:\n\n# REFERENCES:\n\n# RECOMMENDATIONS:\n\n- Fold it" in body
    assert len([ln for ln in body.splitlines() if ln.startswith("- ")]) == 3


def test_more_quote_candidates_are_asked_for_and_the_found_ones_kept_up_to_the_budget(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    api.script(Reply.analysis({
        "summary": "How to fold a fitted sheet.", "ideas": [], "insights": [], "habits": [],
        "facts": [], "references": [], "recommendations": [],
        "quotes": ["Fold it into quarters.", "Tuck the corners into each other",
                   "Done in twenty seconds."]}))  # an invented one, then two found

    text = fill(vault, make_context(), "https://www.youtube.com/shorts/fxShort001F")

    request = api.message_requests[0].body["messages"][0]["content"]
    assert "quotes 1 item, from up to 3 candidates;" in request
    [quote] = section(text, "# QUOTES:")  # the budget: the first found one
    assert quote.startswith('- "Tuck the corners into each other" ([0:03]')


# 4. Languages.


def test_a_german_video_gets_a_german_analysis_with_its_quotes_linked(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    api.script(Reply.analysis({
        "summary": "Ein Bäcker erklärt Sauerteigbrot für Anfänger.",
        "ideas": ["Die Temperatur des Teiges ist wichtiger als die Zeit."], "insights": [],
        "quotes": ["Mein wichtigster Tipp: backt mit Dampf in den ersten zwanzig Minuten."],
        "habits": ["Den Starter jeden Morgen füttern."], "facts": [], "references": [],
        "recommendations": [],
    }))

    text = fill(vault, make_context(), "https://youtu.be/fxGerman01C")

    assert "in German." in api.message_requests[0].body["messages"][0]["content"]
    assert section(text, "# QUOTES:") == [
        '- "Mein wichtigster Tipp: backt mit Dampf in den ersten zwanzig Minuten." '
        "([3:06](https://youtu.be/fxGerman01C?t=186))"]
    assert "Ein Bäcker erklärt Sauerteigbrot für Anfänger." in text


def test_a_fixed_output_language(vault: Path, make_context: MakeContext, settings: Any,
                                 api: FakeMessagesAPI) -> None:
    fill(vault, make_context(config=settings(output_language="English")),
         "https://youtu.be/fxGerman01C")
    assert "in English." in api.message_requests[0].body["messages"][0]["content"]


# 5. Transcript fallbacks.


def blocked_youtube(info_path: Path,
                    tracks: dict[str, Any]) -> tuple[YouTubeClient, fk.RecordedWeb]:
    info = json.loads(info_path.read_text())
    info.update(tracks)
    info_path.write_text(json.dumps(info))
    web = fk.RecordedWeb([
        ("GET", r"^https://www\.youtube\.com/api/timedtext\?v=Yf1o0TQzry8.*&fmt=json3",
         fk.Reply(body=(fk.RECORDED / "captions/Yf1o0TQzry8.en.json3").read_bytes())),
        *fk.transcript_routes(watch=fk.Reply(body=fk.recorded("too_many_requests.html"))),
    ])
    return YouTubeClient(http_client=fk.session(web)), web


def test_an_ip_blocked_transcript_comes_from_yt_dlps_caption_tracks(
        vault: Path, make_context: MakeContext, cache_dir: Path, api: FakeMessagesAPI) -> None:
    folder = cache_dir / "videos/Yf1o0TQzry8"
    (folder / "transcript.json").unlink()
    url = ("https://www.youtube.com/api/timedtext?v=Yf1o0TQzry8&expire=4102444800&lang=en"
           "&fmt=json3")
    youtube, web = blocked_youtube(folder / "info.json", {"subtitles": {
        "en": [{"ext": "json3", "url": url, "name": "English"}]}})

    text = fill(vault, make_context(youtube=youtube), SEED_URL)

    assert web.urls[0].startswith("https://www.youtube.com/watch?v=")  # blocked, then…
    assert web.urls[-1] == url
    assert text == (FIXTURES / "seed-note-quote-links.md").read_text()
    cached = json.loads((folder / "transcript.json").read_text())
    assert (cached["language"], cached["is_generated"], len(cached["snippets"])) == (
        "English", False, 77)


def test_no_captions_is_the_reason_the_note_gives(
        vault: Path, make_context: MakeContext, cache_dir: Path, api: FakeMessagesAPI) -> None:
    (cache_dir / "videos/fxShort001F/transcript.json").unlink()
    web = fk.RecordedWeb(fk.transcript_routes(
        fk.player_response("player_transcripts_disabled.json")))

    text = fill(vault, make_context(youtube=YouTubeClient(http_client=fk.session(web))),
                "https://youtu.be/fxShort001F")

    assert "This video has no transcript (no captions), so there is no analysis." in text
    assert not api.requests


def test_refused_access_is_not_called_a_missing_transcript(
        vault: Path, make_context: MakeContext, cache_dir: Path, api: FakeMessagesAPI) -> None:
    (cache_dir / "videos/fxShort001F/transcript.json").unlink()
    web = fk.RecordedWeb(fk.transcript_routes(fk.player_response("player_age_restricted.json")))
    ctx = make_context(youtube=YouTubeClient(http_client=fk.session(web)))
    note = vault / "n.md"
    note.write_text("https://youtu.be/fxShort001F\n")

    outcome = process_note(ctx, note)

    text = note.read_text()
    assert "> [!note] ytvault: transcript refused" in text
    assert "YouTube refused access to this video's transcript (age-restricted video" in text
    assert "no transcript" not in text
    assert outcome is not None and "transcript refused (age-restricted video" in outcome.detail
    assert not api.requests


# 6. A person's own sections, template and prompt.


def test_own_sections_and_a_template_in_the_vault(vault: Path, make_context: MakeContext,
                                                 settings: Any, api: FakeMessagesAPI) -> None:
    template = vault / "Templates" / "YouTube.md"
    template.parent.mkdir()
    template.write_text("---\ntitle: {{title}}\nchannel_name: {{channel}}\n"
                        "youtube_url: {{youtube_url}}\ntemplate-type: YouTube\n---\n"
                        "{{player}}\n\n{{analysis}}")
    config = settings(note_template=Path("Templates/YouTube.md"), sections=[
        {"name": "gist", "kind": "paragraph", "size": 2, "instruction": "what it is about",
         "heading": "## In short"},
        {"name": "best_lines", "kind": "quotes", "size": 3, "instruction": "word for word"},
    ])
    api.script(Reply.analysis({"gist": "An interview about AGI.",
                               "best_lines": [REAL, "Never said."]}))
    ctx = make_context(config=config)

    text = fill(vault, ctx, SEED_URL)

    schema = api.message_requests[0].body["output_config"]["format"]["schema"]
    assert list(schema["properties"]) == ["gist", "best_lines"]
    assert split_note(text).body == (
        '<iframe title="Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, '
        'Spies, Microsoft, & Enlightenment" src="https://www.youtube.com/embed/Yf1o0TQzry8?'
        'feature=oembed" height="113" width="200" style="aspect-ratio: 1.76991 / 1; width: '
        '100%; height: 100%;" allowfullscreen="" allow="fullscreen"></iframe>\n\n'
        "## In short\n\nAn interview about AGI.\n\n# BEST LINES:\n\n"
        f'- "{REAL}" ([41:27](https://youtu.be/Yf1o0TQzry8?t=2487))\n\n')
    assert list(sync(ctx)) == []  # a finished note: nothing to do again


def test_a_missing_template_fails_the_note_and_leaves_it(
        vault: Path, make_context: MakeContext, settings: Any) -> None:
    note = vault / "n.md"
    note.write_text(SEED_URL + "\n")
    ctx = make_context(analyzer=None, config=settings(note_template=Path("Templates/gone.md")))

    outcome = process_note(ctx, note)

    assert outcome is not None and outcome.status == "failed"
    assert "cannot read the note template" in outcome.detail and "note_template" in outcome.detail
    assert note.read_text() == SEED_URL + "\n"


# 7. Chapters that click.


def test_chapter_links_in_the_body(vault: Path, make_context: MakeContext, settings: Any,
                                   api: FakeMessagesAPI) -> None:
    text = fill(vault, make_context(config=settings(chapter_links=True)), SEED_URL)

    chapters = section(text, "# CHAPTERS:")
    assert chapters[0] == "- [0:00](https://youtu.be/Yf1o0TQzry8?t=0) Time to AGI"
    assert chapters[1] == ("- [5:57](https://youtu.be/Yf1o0TQzry8?t=357) What’s after "
                           "generative models?")
    assert len(chapters) == 8
    assert "Future Breakthroughs\n\n<iframe" in text  # the list stands right above the player
    assert "\n  - 05:57 What’s after generative models?\n" in text  # the property is as it was


def test_a_failed_analysis_is_reported_and_recorded_as_failed(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    from ytvault.commands.status import render_status

    api.script(Reply.text("not json"), Reply.text("not json"))
    (vault / "a.md").write_text(SEED_URL + "\n")
    ctx = make_context()
    [outcome] = sync(ctx)
    assert outcome.status == "filled" and not outcome.analysis_pending
    assert "; analysis failed: " in outcome.detail
    entry = ctx.ledger.get(vault, "a.md")
    assert entry is not None and entry.status == "failed"
    assert entry.reason.startswith("analysis failed: ")
    status = render_status(ctx.config, vault)
    assert "done: 0" in status and "failed: 1" in status
    assert "  a.md — analysis failed: " in status
    # asked to, the next try that succeeds (the fake's default answer) records it as done
    [again] = sync(make_context(retry_failed=True))
    assert again.status == "filled" and "analysis failed" not in again.detail
    entry = ctx.ledger.get(vault, "a.md")
    assert entry is not None and entry.status == "filled"
