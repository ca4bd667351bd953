"""captions.py: which of the tracks yt-dlp lists is used, and each format's body as snippets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ytvault.errors import NoTranscript
from ytvault.youtube.captions import choose_track, parse_json3, parse_srv3, parse_track, parse_vtt

pytestmark = pytest.mark.unit

CAPTIONS = Path(__file__).parent / "fixtures" / "youtube" / "captions"
EXTS = ("json3", "srv1", "srv2", "srv3", "ttml", "srt", "vtt")  # yt-dlp's _SUBTITLE_FORMATS


def formats(code: str, name: str, *, tlang: str | None = None, kind: str = "") -> list[Any]:
    """A language's entry as yt-dlp lists it: one dict per format, the same URL but `fmt`."""
    base = f"https://www.youtube.com/api/timedtext?v=Yf1o0TQzry8&expire=1&lang={code}{kind}"
    extra = f"&tlang={tlang}" if tlang else ""
    return [{"ext": ext, "url": f"{base}{extra}&fmt={ext}", "name": name} for ext in EXTS]


def info(subtitles: dict[str, Any] | None = None,
         automatic: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": "Yf1o0TQzry8", "subtitles": subtitles or {},
            "automatic_captions": automatic or {}}


# English spoken; YouTube offers its ASR track machine-translated into every other language.
ASR = {
    "en-orig": formats("en", "English (Original)", kind="&kind=asr"),
    "en": formats("en", "English", kind="&kind=asr"),
    "de": formats("en", "German", tlang="de", kind="&kind=asr"),
    "fr": formats("en", "French", tlang="fr", kind="&kind=asr"),
}


def test_manual_track_in_a_wanted_language_comes_first() -> None:
    listed = info({"de": formats("de", "German"), "en": formats("en", "English")}, ASR)

    track = choose_track(listed, ["en", "de"])

    assert (track.language_code, track.language, track.is_generated) == ("en", "English", False)
    assert track.ext == "json3" and track.url.endswith("&fmt=json3")


def test_manual_in_any_wanted_language_beats_a_generated_one() -> None:
    track = choose_track(info({"de": formats("de", "German")}, ASR), ["en", "de"])
    assert (track.language_code, track.is_generated) == ("de", False)


def test_generated_track_is_the_original_never_a_translation() -> None:
    track = choose_track(info(None, ASR), ["de", "en"])  # German exists only as a translation
    assert (track.language_code, track.language, track.is_generated) == (
        "en", "English (auto-generated)", True)
    assert "tlang=" not in track.url


def test_regional_codes_match_their_language() -> None:
    track = choose_track(info({"en-GB": formats("en-GB", "English (United Kingdom)")}), ["en"])
    assert track.language_code == "en-GB"


def test_a_regional_manual_track_beats_a_generated_one_in_the_language() -> None:
    listed = info({"de": formats("de", "German"),
                   "en-GB": formats("en-GB", "English (United Kingdom)")}, ASR)

    for any_language in (True, False):
        track = choose_track(listed, ["en"], any_language=any_language)
        assert (track.language_code, track.is_generated) == ("en-GB", False)


def test_first_track_when_no_language_matches_unless_told_not_to() -> None:
    listed = info({"ja": formats("ja", "Japanese"), "ko": formats("ko", "Korean")}, ASR)

    assert choose_track(listed, ["fr"]).language_code == "ja"
    with pytest.raises(NoTranscript) as caught:
        choose_track(listed, ["fr", "it"], any_language=False)
    assert str(caught.value) == "language not available: captions in ja, ko, en; none in fr, it"


@pytest.mark.parametrize("listed", [
    info(),
    {"id": "x"},  # an old info.json without the keys
    info({"live_chat": [{"ext": "json", "url": "https://www.youtube.com/live_chat"}]}),
    info(None, {"de": formats("en", "German", tlang="de")}),  # translations only
])
def test_no_captions(listed: dict[str, Any]) -> None:
    with pytest.raises(NoTranscript, match=r"^no captions$"):
        choose_track(listed, ["en"])


def test_srv3_then_vtt_when_there_is_no_json3() -> None:
    only = [f for f in formats("en", "English") if f["ext"] in ("srv3", "vtt", "ttml")]
    assert choose_track(info({"en": only}), ["en"]).ext == "srv3"
    only = [f for f in formats("en", "English") if f["ext"] in ("vtt", "ttml")]
    assert choose_track(info({"en": only}), ["en"]).ext == "vtt"
    with pytest.raises(NoTranscript):  # only formats ytvault cannot read
        choose_track(info({"en": formats("en", "English")[4:6]}), ["en"])


# The formats. asr.* are one generated track of the Short in YouTube's three shapes: word
# timings, line-break events (json3 `aAppend`, srv3 `a="1"`) and VTT's rolling lines.

SHORT_LINES = [
    ("here is the fastest way to fold a", 0.0),
    ("fitted sheet tuck the corners into each", 3.282),
    ("other lay it flat and fold it in thirds done", 5.805),
    ("in twenty seconds", 9.626),
]


@pytest.mark.parametrize("ext", ["json3", "srv3", "vtt"])
def test_every_format_reads_as_the_same_lines(ext: str) -> None:
    snippets = parse_track((CAPTIONS / f"asr.{ext}").read_bytes(), ext, generated=True)

    assert [(s.text, s.start) for s in snippets] == SHORT_LINES
    assert all(s.duration > 0 for s in snippets)


def test_json3_of_manual_captions() -> None:
    snippets = parse_json3((CAPTIONS / "Yf1o0TQzry8.en.json3").read_bytes())

    assert len(snippets) == 77  # the window event has no text and is not one
    assert (snippets[0].text, snippets[0].start, snippets[0].duration) == (
        "Welcome to the podcast. Today I have the", 0.0, 3.186)
    assert snippets[-1].text == "the podcast."


def test_vtt_with_markup_entities_and_hours() -> None:
    body = ("WEBVTT\n\nNOTE a comment\n\n1\n01:02:03.500 --> 01:02:05.000 line:90%\n"
            "<v Ilya>Tom &amp; Jerry</v> <i>say</i>\nhello\n\n"
            "01:02:05.000 --> 01:02:06.250\nhello\n")

    snippets = parse_vtt(body)

    assert [(s.text, s.start, s.duration) for s in snippets] == [
        ("Tom & Jerry say hello", 3723.5, 1.5), ("hello", 3725.0, 1.25)]
    # a manual track's repeated line is speech, not YouTube's rolling display
    assert [s.text for s in parse_vtt(body, rolling=True)] == ["Tom & Jerry say hello"]


def test_srv3_unescapes_once_more_as_youtube_double_escapes() -> None:
    body = (b'<timedtext format="3"><body><p t="1500" d="900">it&amp;#39;s <s>5 &lt; 6</s></p>'
            b"</body></timedtext>")
    assert [(s.text, s.start) for s in parse_srv3(body)] == [("it's 5 < 6", 1.5)]


@pytest.mark.parametrize(("body", "ext"), [
    (b"<html>consent</html>", "json3"), (b"{}", "json3"), (b"", "srv3"), (b"<p", "srv3"),
    (b"<html></html>", "vtt"), (b"WEBVTT", "ttml"),
])
def test_a_body_that_is_not_its_format_is_an_error(body: bytes, ext: str) -> None:
    with pytest.raises(ValueError):
        parse_track(body, ext)


@pytest.mark.parametrize(("body", "ext"), [
    (b'{"events": [{"segs": [{"utf8": "a"}], "tStartMs": [1]}]}', "json3"),  # a list for a time
    (b'{"events": [{"segs": [{"utf8": "a"}], "tStartMs": -5000}]}', "json3"),  # before the start
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nhi\n", "vtt"),  # a cue that runs backwards
])
def test_a_track_the_cache_would_refuse_is_refused_when_fetched(body: bytes, ext: str) -> None:
    """One ValueError (the client makes it a transient failure), not a crash, and never a
    transcript the cache stores and then refuses on every later run."""
    with pytest.raises(ValueError, match=r"caption track of an unexpected shape|a snippet at"):
        parse_track(body, ext)
