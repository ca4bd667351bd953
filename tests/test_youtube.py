"""ytvault.youtube against the real yt-dlp and youtube-transcript-api, fed recorded data
(see ytfakes): metadata, transcripts, thumbnails, and how each failure is classified."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import ytfakes as fk
from ytfakes import Downloads, Raises, RecordedWeb, Reply, Returns, Unplayable

from ytvault.config.settings import Config
from ytvault.errors import (
    FetchError,
    NoTranscript,
    PermanentError,
    TransientError,
    YouTubeUnreachable,
)
from ytvault.models import Transcript, Video
from ytvault.youtube.client import YouTubeClient
from ytvault.youtube.failures import (
    AGE_RESTRICTED,
    BOT_CHECK,
    NETWORK,
    UNAVAILABLE,
    classify_ytdlp_error,
)

FIXTURE_IDS = sorted(p.name for p in fk.CACHE_VIDEOS.iterdir())
VID = "GJLlxj_dtq8"  # the video of the recorded transcript responses


def ytdlp_client(recordings: dict[str, fk.Recording], **params: Any) -> YouTubeClient:
    return YouTubeClient(extractors=[fk.youtube_extractor(recordings)], ydl_params=params)


def web_client(routes: list[fk.Route]) -> tuple[YouTubeClient, RecordedWeb]:
    web = RecordedWeb(routes)
    return YouTubeClient(http_client=fk.session(web)), web


# --- fetch_info -----------------------------------------------------------------------------


def test_fetch_info_returns_the_metadata_yt_dlp_made_of_the_recording() -> None:
    recording = fk.recorded_info("Yf1o0TQzry8")
    recording["heatmap"] = [{"start_time": 0.0, "end_time": 28.6, "value": 1.0}]
    recording["formats"] = [{"format_id": "18", "url": "https://rr1---sn.googlevideo.com/x",
                             "ext": "mp4", "width": 640, "height": 360}]

    info = ytdlp_client({"Yf1o0TQzry8": Returns(recording)}).fetch_info("Yf1o0TQzry8")

    assert info["title"].startswith("Ilya Sutskever (OpenAI Chief Scientist)")
    assert info["duration_string"] == "47:41"  # not in the recording: yt-dlp computed it
    assert info["fulltitle"] == info["title"]
    assert info["_type"] == "video" and "epoch" in info  # sanitize_info ran
    assert len(info["chapters"]) == 8
    assert info["chapters"][0]["title"] == recording["chapters"][0]["title"]
    assert info["channel_follower_count"] == recording["channel_follower_count"]
    assert info["formats"] == [] and "heatmap" not in info
    json.dumps(info)  # the cache writes it as JSON


@pytest.mark.parametrize("video_id", FIXTURE_IDS)
def test_fetched_info_reads_as_the_cached_fixture(video_id: str) -> None:
    cached = json.loads((fk.CACHE_VIDEOS / video_id / "info.json").read_text(encoding="utf-8"))
    recording = Unplayable(fk.YTDLP_MESSAGES["upcoming"], fk.recorded_info(video_id)) if (
        cached["live_status"] == "is_upcoming") else Returns(fk.recorded_info(video_id))

    fetched = Video.from_info(ytdlp_client({video_id: recording}).fetch_info(video_id))

    expected = Video.from_info(cached)
    for name in ("title", "channel", "subscribers", "duration_string", "publish_date",
                 "chapters", "hashtags", "thumbnails", "live_status", "release_timestamp"):
        assert getattr(fetched, name) == getattr(expected, name), name


@pytest.mark.parametrize("message", ["upcoming", "premiere"])
def test_upcoming_video_returns_its_metadata_despite_the_warning(message: str) -> None:
    recording = Unplayable(fk.YTDLP_MESSAGES[message], fk.recorded_info("fxUpcoming1"))

    info = ytdlp_client({"fxUpcoming1": recording}).fetch_info("fxUpcoming1")

    assert info["live_status"] == "is_upcoming"
    assert info["title"] == "Live Q&A next Friday"
    assert info["release_timestamp"] == 1900000000


# Every message yt-dlp really gives (ytfakes.YTDLP_MESSAGES) → kind and reason. The ones from
# YouTube's playability status reach us as warnings with our params ("warned").
YTDLP_CASES = [
    ("private", PermanentError, "private video", True),
    ("members_only", PermanentError, "members-only video", True),
    ("members_level", PermanentError, "members-only video", True),
    ("age_restricted", PermanentError, AGE_RESTRICTED, True),
    ("removed_by_uploader", PermanentError, "video removed by the uploader", True),
    ("unavailable", PermanentError, UNAVAILABLE, True),
    ("unavailable_content", PermanentError, UNAVAILABLE, True),
    ("account_terminated", PermanentError, "video removed (its channel was terminated)", True),
    ("copyright", PermanentError, "video removed after a copyright claim", True),
    ("policy_violation", PermanentError, "video removed for violating YouTube's rules", True),
    ("recording_unavailable", PermanentError, "live stream recording not available", True),
    ("geo_blocked", PermanentError, "video not available in this country", True),
    ("upcoming", PermanentError, "upcoming premiere or live stream (not started yet)", True),
    ("premiere", PermanentError, "upcoming premiere or live stream (not started yet)", True),
    ("bot_check", TransientError, BOT_CHECK, True),
    ("rate_limited", TransientError,
     "YouTube is rate limiting this session (try again in an hour)", True),
    ("truncated_id", PermanentError, "invalid video id", False),
    ("ip_blocked", TransientError,
     "YouTube is blocking this IP (try again later, or see docs/operation.md)", False),
    ("http_429", TransientError, "YouTube is rate limiting (HTTP 429)", False),
    ("http_503", TransientError, "YouTube server error (HTTP 5xx)", False),
    ("network", YouTubeUnreachable, NETWORK, False),
    ("timeout", YouTubeUnreachable, NETWORK, False),
    ("no_player_response", TransientError,
     "YouTube's answer could not be read (try again later; update yt-dlp if it persists)", False),
]


def test_the_case_table_covers_every_recorded_message() -> None:
    assert {case[0] for case in YTDLP_CASES} == set(fk.YTDLP_MESSAGES)


@pytest.mark.parametrize(("name", "kind", "reason", "warned"), YTDLP_CASES)
def test_classify_ytdlp_error(name: str, kind: type[FetchError], reason: str,
                              warned: bool) -> None:
    error = classify_ytdlp_error(fk.YTDLP_MESSAGES[name])
    assert type(error) is kind
    assert str(error) == reason


@pytest.mark.parametrize(("name", "kind", "reason", "warned"), YTDLP_CASES)
def test_fetch_info_raises_when_yt_dlp_raises(name: str, kind: type[FetchError], reason: str,
                                              warned: bool) -> None:
    client = ytdlp_client({"aaaaaaaaaaa": Raises(fk.YTDLP_MESSAGES[name])})
    with pytest.raises(kind) as caught:
        client.fetch_info("aaaaaaaaaaa")
    assert str(caught.value) == reason


@pytest.mark.parametrize(("name", "kind", "reason"),
                         [case[:3] for case in YTDLP_CASES if case[3]])
def test_fetch_info_raises_when_yt_dlp_only_warns(name: str, kind: type[FetchError],
                                                 reason: str) -> None:
    # Under ignore_no_formats_error yt-dlp returns {"title": "youtube video #<id>"} and a warning
    client = ytdlp_client({"aaaaaaaaaaa": Unplayable(fk.YTDLP_MESSAGES[name])})
    with pytest.raises(kind) as caught:
        client.fetch_info("aaaaaaaaaaa")
    assert str(caught.value) == reason


def test_metadata_with_an_unplayable_reason_is_not_returned() -> None:
    # e.g. members-only: YouTube sends the title, but no formats and a reason
    recording = Unplayable(fk.YTDLP_MESSAGES["members_only"], fk.recorded_info("fxShort001F"))
    with pytest.raises(PermanentError, match="members-only video"):
        ytdlp_client({"fxShort001F": recording}).fetch_info("fxShort001F")


def test_no_metadata_and_no_known_reason_is_transient_and_shown() -> None:
    client = ytdlp_client({"aaaaaaaaaaa": Unplayable(
        "Something YouTube never said before. \x1b[31mTry another\n way")})
    with pytest.raises(TransientError) as caught:
        client.fetch_info("aaaaaaaaaaa")
    assert str(caught.value) == ("YouTube says the video cannot be played: Something YouTube "
                                 "never said before. \x1b[31mTry another (update yt-dlp if it "
                                 "persists)")  # tidied: its first line; printing strips the rest


@pytest.mark.parametrize(("player", "kind", "reason"), [
    ("player_request_blocked.json", TransientError, BOT_CHECK),
    ("player_age_restricted.json", PermanentError, AGE_RESTRICTED),
    ("player_video_unavailable.json", PermanentError, UNAVAILABLE),
])
def test_real_youtube_extractor_on_recorded_playability(player: str, kind: type[FetchError],
                                                        reason: str) -> None:
    client = YouTubeClient(
        extractors=[fk.replaying_youtube_extractor(fk.player_response(player))])
    with pytest.raises(kind) as caught:
        client.fetch_info(VID)
    assert str(caught.value) == reason


def test_http_429_from_yt_dlp_networking_is_transient() -> None:
    with fk.http_status_server(429) as url:
        client = ytdlp_client({"aaaaaaaaaaa": Downloads(url)}, proxy="")
        with pytest.raises(TransientError, match="HTTP 429") as caught:
            client.fetch_info("aaaaaaaaaaa")
    assert "HTTP Error 429" in str(caught.value.__cause__)


def test_refused_connection_from_yt_dlp_networking_is_transient() -> None:
    client = ytdlp_client({"aaaaaaaaaaa": Downloads(fk.closed_port_url())}, proxy="")
    with pytest.raises(TransientError) as caught:
        client.fetch_info("aaaaaaaaaaa")
    assert str(caught.value) == NETWORK


@pytest.mark.parametrize("video_id", ["abc", "https://youtu.be/Yf1o0TQzry8", "Yf1o0TQzry8&t=1"])
def test_invalid_video_id_is_permanent_without_asking_youtube(video_id: str) -> None:
    client = ytdlp_client({})  # a request would fail the test with "no recording"
    with pytest.raises(PermanentError, match="invalid video id"):
        client.fetch_info(video_id)
    with pytest.raises(PermanentError, match="invalid video id"):
        client.fetch_transcript(video_id, ["en"])


def test_unknown_ytdlp_error_is_transient_and_readable() -> None:
    error = classify_ytdlp_error(
        "ERROR: [youtube] abcdefghijk: An extractor error has occurred. (caused by KeyError('x'))"
        "; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling")
    assert isinstance(error, TransientError)
    assert str(error) == ("YouTube fetch failed: An extractor error has occurred. "
                          "(caused by KeyError('x'))")


# --- list_playlist --------------------------------------------------------------------------


def playlist_extractor(entries: list[str] | None, *, error: str = "") -> type:
    """An InfoExtractor for playlist URLs: a playlist of `entries` as watch URLs, or `error`."""
    from yt_dlp.extractor.common import InfoExtractor
    from yt_dlp.utils import ExtractorError

    class RecordedPlaylistIE(InfoExtractor):  # type: ignore[misc]
        IE_NAME = "youtube:playlist"
        _VALID_URL = r"https://www\.youtube\.com/playlist\?list=(?P<id>[\w-]+)"

        def _real_extract(self, url: str) -> dict[str, Any]:
            playlist = self._match_id(url)
            if error:
                raise ExtractorError(error, expected=True)
            return self.playlist_result(
                [self.url_result(f"https://www.youtube.com/watch?v={v}", "Youtube", v)
                 for v in entries or ()], playlist, "A playlist")

    return RecordedPlaylistIE


def test_a_playlist_lists_its_video_ids_in_order_once_each() -> None:
    listed = ["Yf1o0TQzry8", "fxGerman01C", "Yf1o0TQzry8", "not-an-id", "fxShort001F"]
    client = YouTubeClient(extractors=[playlist_extractor(listed)])

    assert client.list_playlist("PLrAXtmErZgOe") == ["Yf1o0TQzry8", "fxGerman01C", "fxShort001F"]


def test_a_playlist_yt_dlp_cannot_read_is_classified() -> None:
    client = YouTubeClient(extractors=[playlist_extractor(None, error="HTTP Error 429: "
                                                          "Too Many Requests")])
    with pytest.raises(TransientError, match=r"^YouTube is rate limiting \(HTTP 429\)$"):
        client.list_playlist("PLrAXtmErZgOe")
    with pytest.raises(PermanentError, match="invalid playlist id"):
        client.list_playlist("PL/../x")


# --- fetch_transcript -----------------------------------------------------------------------


def fetched_lang(web: RecordedWeb) -> tuple[str, bool]:
    """(lang, generated) of the timedtext track that was downloaded."""
    url = next(u for u in web.urls if "/api/timedtext" in u)
    query = parse_qs(urlparse(url).query)
    return query["lang"][0], query.get("kind") == ["asr"]


def test_transcript_is_fetched_and_parsed() -> None:
    client, web = web_client(fk.transcript_routes())

    transcript = client.fetch_transcript(VID, ["en"])

    assert (transcript.video_id, transcript.language, transcript.language_code) == (
        VID, "English", "en")
    assert transcript.is_generated is False
    assert [(s.text, s.start, s.duration) for s in transcript.snippets] == [
        ("Hey, this is just a test", 0.0, 1.54),
        ("this is not the original transcript", 1.54, 4.16),  # <i> markup removed
        ("just something shorter, I made up for testing", 5.7, 3.239),
    ]
    assert fetched_lang(web) == ("en", False)
    assert Transcript.from_json(transcript.to_json()) == transcript


def test_languages_are_tried_in_order() -> None:
    client, web = web_client(fk.transcript_routes())
    transcript = client.fetch_transcript(VID, ["fr", "de", "en"])
    assert (transcript.language_code, transcript.is_generated) == ("de", False)
    assert fetched_lang(web) == ("de", False)


def test_manual_track_in_any_language_beats_generated_one() -> None:
    player = fk.player_with_tracks(("en", True), ("de", False))
    client, web = web_client(fk.transcript_routes(player))
    transcript = client.fetch_transcript(VID, ["en", "de"])
    assert (transcript.language_code, transcript.is_generated) == ("de", False)
    assert fetched_lang(web) == ("de", False)


def test_generated_track_when_no_manual_one_matches() -> None:
    client, web = web_client(fk.transcript_routes(fk.player_response(
        "player_en_manual_and_asr.json")))
    assert client.fetch_transcript("F1xioXWb8CY", ["en"]).is_generated is False

    player = fk.player_with_tracks(("de", False), ("en", True))
    client, web = web_client(fk.transcript_routes(player))
    transcript = client.fetch_transcript(VID, ["en"])
    assert (transcript.language_code, transcript.is_generated) == ("en", True)
    assert fetched_lang(web) == ("en", True)


def test_first_track_when_no_language_matches_manual_first() -> None:
    client, web = web_client(fk.transcript_routes())
    assert client.fetch_transcript(VID, ["fr"]).language_code == "zh"  # first manual track

    player = fk.player_with_tracks(("en", True), ("ko", False))
    client, web = web_client(fk.transcript_routes(player))
    assert client.fetch_transcript(VID, ["fr"]).language_code == "ko"
    assert fetched_lang(web) == ("ko", False)


@pytest.mark.parametrize("player", [
    fk.player_response("player_transcripts_disabled.json"),
    fk.player_with_tracks(),  # captions present, but no track
])
def test_no_captions_is_said_and_no_other_way_is_tried(player: dict[str, Any]) -> None:
    client, web = web_client(fk.transcript_routes(player))

    with pytest.raises(NoTranscript) as caught:  # YouTube's own answer: yt-dlp lists the same
        client.fetch_transcript(VID, ["en"], listed_tracks(automatic=ASR_TRACKS))

    assert str(caught.value) == "no captions"
    assert not any("/api/timedtext" in u for u in web.urls)


def test_language_not_available_when_the_first_track_is_not_wanted() -> None:
    client, web = web_client(fk.transcript_routes())
    strict = YouTubeClient(http_client=client._http_client, any_language=False)

    with pytest.raises(NoTranscript) as caught:
        strict.fetch_transcript(VID, ["fr", "it"], listed_tracks(automatic=ASR_TRACKS))

    assert str(caught.value) == ("language not available: captions in zh, cs, en, de, hi, ja, "
                                 "ko, es; none in fr, it")
    assert not any("/api/timedtext" in u for u in web.urls)


def regional(player: dict[str, Any], code: str = "en-GB") -> dict[str, Any]:
    """`player` with its manual English track made a regional one (`code`)."""
    for t in player["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"]:
        if t["languageCode"] == "en" and t.get("kind") != "asr":
            t["languageCode"], t["vssId"] = code, f".{code}"
            t["baseUrl"] = t["baseUrl"].replace("&lang=en&", f"&lang={code}&")
    return player


def test_a_regional_manual_track_is_in_its_language_when_only_wanted_ones_count() -> None:
    client, web = web_client(fk.transcript_routes(regional(fk.player_with_tracks(
        ("en", False), ("de", False)))))
    strict = YouTubeClient(http_client=client._http_client, any_language=False)

    transcript = strict.fetch_transcript(VID, ["en"])

    assert (transcript.language_code, transcript.is_generated) == ("en-GB", False)
    assert fetched_lang(web) == ("en-GB", False)


def test_a_regional_manual_track_beats_a_generated_one_in_the_language() -> None:
    client, web = web_client(fk.transcript_routes(regional(fk.player_with_tracks(
        ("en", True), ("de", False), ("en", False)))))

    transcript = client.fetch_transcript(VID, ["en"])

    assert (transcript.language_code, transcript.is_generated) == ("en-GB", False)
    assert fetched_lang(web) == ("en-GB", False)


@pytest.mark.parametrize(("routes", "kind", "reason"), [
    (fk.transcript_routes(watch=Reply(body=fk.recorded("too_many_requests.html"))),
     TransientError, "YouTube blocked this IP for transcripts"),
    (fk.transcript_routes(Reply(429)), TransientError, "YouTube blocked this IP for transcripts"),
    (fk.transcript_routes(timedtext=Reply(429)), TransientError,
     "YouTube blocked this IP for transcripts"),
    (fk.transcript_routes(fk.player_response("player_request_blocked.json")), TransientError,
     BOT_CHECK),
    (fk.transcript_routes(fk.player_response("player_po_token_required.json")), TransientError,
     "YouTube wants a PO token for this transcript (try again later)"),
    (fk.transcript_routes(Reply(503)), TransientError,
     "YouTube answered the transcript request with an HTTP error"),
    (fk.transcript_routes(timedtext=Reply(200, b"", "text/xml")), TransientError,
     "YouTube sent an empty transcript (try again later)"),
    (fk.transcript_routes(watch=requests.ConnectionError("[Errno 111] Connection refused")),
     TransientError, NETWORK),
    (fk.transcript_routes(timedtext=requests.Timeout("read timed out")), TransientError, NETWORK),
    (fk.transcript_routes(fk.player_response("player_age_restricted.json")), PermanentError,
     AGE_RESTRICTED),
    (fk.transcript_routes(fk.player_response("player_video_unavailable.json")), PermanentError,
     UNAVAILABLE),
    (fk.transcript_routes(fk.player_unplayable("LOGIN_REQUIRED", "This video is private")),
     PermanentError, "private video"),
    (fk.transcript_routes(fk.player_unplayable(
        "LOGIN_REQUIRED", fk.YTDLP_MESSAGES["members_only"])), PermanentError,
     "members-only video"),
    (fk.transcript_routes(fk.player_response("player_unplayable.json")), PermanentError,
     "YouTube says the video cannot be played: Custom Reason Sub Reason 1 Sub Reason 2"),
], ids=["recaptcha-page", "player-429", "timedtext-429", "bot-check", "po-token", "player-503",
        "empty-timedtext", "connection-refused", "timeout", "age-restricted", "unavailable",
        "private", "members-only", "unplayable-other"])
def test_transcript_failures_are_classified(routes: list[fk.Route], kind: type[FetchError],
                                            reason: str) -> None:
    client, _ = web_client(routes)
    with pytest.raises(kind) as caught:
        client.fetch_transcript(VID, ["en"])
    assert str(caught.value) == reason
    assert caught.value.__cause__ is not None  # the library's error stays attached for logs


# --- the fallback: the caption tracks yt-dlp listed -----------------------------------------

CAPTIONS = fk.RECORDED / "captions"
LATER = 4102444800  # 2100-01-01: the signed track URLs have not expired


def track_url(lang: str, fmt: str, *, asr: bool = False, expire: int = LATER) -> str:
    kind = "&kind=asr" if asr else ""
    return (f"https://www.youtube.com/api/timedtext?v={VID}&expire={expire}&sparams=expire"
            f"&signature=ABC&lang={lang}{kind}&fmt={fmt}")


def track(lang: str, name: str, *, asr: bool = False, expire: int = LATER) -> list[Any]:
    return [{"ext": ext, "url": track_url(lang, ext, asr=asr, expire=expire), "name": name}
            for ext in ("json3", "srv3", "vtt")]


ASR_TRACKS = {"en-orig": track("en", "English (Original)", asr=True),
              "en": track("en", "English", asr=True)}


def listed_tracks(subtitles: dict[str, Any] | None = None,
                  automatic: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": VID, "subtitles": subtitles or {}, "automatic_captions": automatic or {}}


def json3_route(body: fk.Answer | None = None) -> fk.Route:
    return ("GET", r"^https://www\.youtube\.com/api/timedtext\?.*&fmt=json3",
            body or Reply(body=(CAPTIONS / "asr.json3").read_bytes(),
                          content_type="application/json"))


BLOCKED = {  # youtube-transcript-api failing, the way each failure really looks
    "recaptcha-page": fk.transcript_routes(watch=Reply(body=fk.recorded("too_many_requests.html"))),
    "player-429": fk.transcript_routes(Reply(429)),
    "bot-check": fk.transcript_routes(fk.player_response("player_request_blocked.json")),
    "po-token": fk.transcript_routes(fk.player_response("player_po_token_required.json")),
    "connection-refused": fk.transcript_routes(watch=requests.ConnectionError("refused")),
    "age-restricted": fk.transcript_routes(fk.player_response("player_age_restricted.json")),
}


@pytest.mark.parametrize("failure", sorted(BLOCKED))
def test_when_the_transcript_api_fails_the_listed_track_is_used(failure: str) -> None:
    client, web = web_client([json3_route(), *BLOCKED[failure]])

    transcript = client.fetch_transcript(VID, ["en"], listed_tracks(automatic=ASR_TRACKS))

    assert (transcript.language, transcript.language_code, transcript.is_generated) == (
        "English (auto-generated)", "en", True)
    assert transcript.text == ("here is the fastest way to fold a fitted sheet tuck the corners "
                               "into each other lay it flat and fold it in thirds done in twenty "
                               "seconds")
    assert [s.start for s in transcript.snippets] == [0.0, 3.282, 5.805, 9.626]
    assert web.urls[-1] == track_url("en", "json3", asr=True)
    assert Transcript.from_json(transcript.to_json()) == transcript  # the cache's shape


def test_the_listed_manual_track_in_a_wanted_language_wins() -> None:
    client, web = web_client([
        ("GET", r"&lang=de&fmt=srv3$", Reply(body=(CAPTIONS / "asr.srv3").read_bytes())),
        *BLOCKED["recaptcha-page"]])
    tracks = listed_tracks({"de": [track("de", "German")[1]]}, ASR_TRACKS)

    transcript = client.fetch_transcript(VID, ["de", "en"], tracks)

    assert (transcript.language, transcript.language_code, transcript.is_generated) == (
        "German", "de", False)
    assert web.urls[-1] == track_url("de", "srv3")


@pytest.mark.parametrize(("track_answer", "tracks", "cause"), [
    (Reply(429), ASR_TRACKS, "YouTube blocked this IP for caption tracks (HTTP 429)"),
    (Reply(403), ASR_TRACKS, "YouTube answered HTTP 403 for the caption track"),
    (requests.ConnectionError("reset"), ASR_TRACKS, NETWORK),
    (Reply(200, b"<html>consent</html>"), ASR_TRACKS,
     "YouTube's json3 caption track could not be read"),
    (Reply(200, b'{"events": []}'), ASR_TRACKS,
     "YouTube sent an empty caption track (try again later)"),
    (None, {}, "no captions"),
], ids=["429", "403", "network", "not-json3", "empty", "none-listed"])
def test_when_both_ways_fail_both_causes_are_told(track_answer: fk.Answer | None,
                                                  tracks: dict[str, Any], cause: str) -> None:
    client, _ = web_client([json3_route(track_answer), *BLOCKED["recaptcha-page"]])

    with pytest.raises(TransientError) as caught:
        client.fetch_transcript(VID, ["en"], listed_tracks(automatic=tracks))

    assert str(caught.value) == (
        f"YouTube blocked this IP for transcripts; the caption tracks yt-dlp listed: {cause}")


def test_a_permanent_failure_with_no_listed_track_stays_permanent() -> None:
    client, _ = web_client(BLOCKED["age-restricted"])
    with pytest.raises(PermanentError) as caught:
        client.fetch_transcript(VID, ["en"], listed_tracks())
    assert str(caught.value) == f"{AGE_RESTRICTED}; the caption tracks yt-dlp listed: no captions"
    assert not isinstance(caught.value, NoTranscript)  # the video may have captions after all


def test_expired_track_urls_are_listed_again_by_yt_dlp() -> None:
    stale = listed_tracks(automatic={"en": track("en", "English", asr=True, expire=1)})
    fresh = {**fk.recorded_info("Yf1o0TQzry8"), "id": VID,
             "automatic_captions": ASR_TRACKS, "subtitles": {}}
    web = RecordedWeb([json3_route(), *BLOCKED["recaptcha-page"]])
    client = YouTubeClient(http_client=fk.session(web),
                           extractors=[fk.youtube_extractor({VID: Returns(fresh)})])

    transcript = client.fetch_transcript(VID, ["en"], stale)

    assert len(transcript.snippets) == 4
    assert web.urls[-1] == track_url("en", "json3", asr=True)  # the fresh URL, not expire=1


def test_the_proxy_carries_the_transcript_requests() -> None:
    config = Config(transcript_proxy="http://user:secret@proxy.example:3128")
    web = RecordedWeb([json3_route(), *BLOCKED["recaptcha-page"]])
    client = YouTubeClient.from_config(config)
    client._http_client = fk.session(web)  # what from_config leaves to requests' defaults

    client.fetch_transcript(VID, ["en"], listed_tracks(automatic=ASR_TRACKS))

    assert len(web.proxies) >= 2  # the watch page, then the fallback's track
    assert all(p["https"] == "http://user:secret@proxy.example:3128" for p in web.proxies)


def test_the_cookies_file_reaches_yt_dlp(tmp_path: Path) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       ".youtube.com\tTRUE\t/\tTRUE\t4102444800\tSID\tsigned-in\n")
    from yt_dlp.extractor.common import InfoExtractor

    class CookieEcho(InfoExtractor):  # type: ignore[misc]
        _VALID_URL = fk.WATCH_URL_RE

        def _real_extract(self, url: str) -> dict[str, Any]:
            sid = self._get_cookies("https://www.youtube.com/").get("SID")
            return {**fk.recorded_info("fxShort001F"), "title": sid.value if sid else "none"}

    client = YouTubeClient.from_config(Config(cookies_file=cookies))
    client._extractors = (CookieEcho,)

    assert client.fetch_info("fxShort001F")["title"] == "signed-in"


# --- fetch_thumbnail ------------------------------------------------------------------------

MAXRES = "https://i.ytimg.com/vi/Yf1o0TQzry8/maxresdefault.jpg"
HQ = "https://i.ytimg.com/vi/Yf1o0TQzry8/hqdefault.jpg"


def thumbs(maxres: fk.Answer, hq: fk.Answer) -> tuple[YouTubeClient, RecordedWeb]:
    return web_client([("GET", "maxresdefault", maxres), ("GET", "hqdefault", hq)])


def jpeg(body: bytes, status: int = 200) -> Reply:
    return Reply(status, body, "image/jpeg")


def test_thumbnail_best_size_first() -> None:
    client, web = thumbs(jpeg(fk.THUMBNAIL_JPEG), jpeg(b"never asked"))
    assert client.fetch_thumbnail([MAXRES, HQ]) == fk.THUMBNAIL_JPEG
    assert web.urls == [MAXRES]


@pytest.mark.parametrize("body_of_404", [fk.PLACEHOLDER_JPEG, fk.THUMBNAIL_JPEG])
def test_thumbnail_404_falls_back_to_hq(body_of_404: bytes) -> None:
    hq_bytes = fk.THUMBNAIL_JPEG + b"hq"
    client, web = thumbs(jpeg(body_of_404, 404), jpeg(hq_bytes))
    assert client.fetch_thumbnail([MAXRES, HQ]) == hq_bytes
    assert web.urls == [MAXRES, HQ]


@pytest.mark.parametrize("bad", [
    Reply(200, b"<!DOCTYPE html><html>consent</html>"),
    jpeg(fk.PLACEHOLDER_JPEG),  # the grey placeholder, even served with 200
])
def test_thumbnail_that_is_not_a_real_image_is_skipped(bad: Reply) -> None:
    client, _ = thumbs(bad, jpeg(fk.THUMBNAIL_JPEG))
    assert client.fetch_thumbnail([MAXRES, HQ]) == fk.THUMBNAIL_JPEG
    client, _ = thumbs(bad, bad)
    with pytest.raises(PermanentError):
        client.fetch_thumbnail([MAXRES, HQ])


def test_small_default_thumbnail_is_accepted() -> None:
    client, _ = web_client([("GET", "/default.jpg", jpeg(fk.PLACEHOLDER_JPEG))])
    assert client.fetch_thumbnail(["https://i.ytimg.com/vi/x/default.jpg"]) == fk.PLACEHOLDER_JPEG


@pytest.mark.parametrize("body", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"RIFF\x24\x00\x00\x00WEBPVP8 ",
])
def test_png_and_webp_thumbnails_are_images(body: bytes) -> None:
    client, _ = thumbs(Reply(200, body, "image/png"), Reply(404))
    assert client.fetch_thumbnail([MAXRES, HQ]) == body


def test_all_thumbnails_missing_is_permanent() -> None:
    client, web = thumbs(jpeg(fk.PLACEHOLDER_JPEG, 404), jpeg(fk.PLACEHOLDER_JPEG, 404))
    with pytest.raises(PermanentError, match="no thumbnail"):
        client.fetch_thumbnail([MAXRES, HQ])
    assert web.urls == [MAXRES, HQ]
    with pytest.raises(PermanentError):
        client.fetch_thumbnail([])


@pytest.mark.parametrize(("maxres", "hq"), [
    (requests.ConnectionError("refused"), requests.ConnectionError("refused")),
    (Reply(404), requests.Timeout("timed out")),
    (Reply(503), Reply(404)),
    (Reply(429), Reply(404)),
])
def test_thumbnail_network_trouble_is_transient(maxres: fk.Answer, hq: fk.Answer) -> None:
    client, web = thumbs(maxres, hq)
    with pytest.raises(TransientError):
        client.fetch_thumbnail([MAXRES, HQ])
    assert web.urls == [MAXRES, HQ]


def test_thumbnail_network_error_on_one_size_falls_back() -> None:
    client, _ = thumbs(requests.ConnectionError("reset"), jpeg(fk.THUMBNAIL_JPEG))
    assert client.fetch_thumbnail([MAXRES, HQ]) == fk.THUMBNAIL_JPEG


# --- start-up -------------------------------------------------------------------------------


def test_import_leaves_the_heavy_libraries_unloaded() -> None:
    code = ("import sys, ytvault.youtube; "
            "print([m for m in ('yt_dlp', 'youtube_transcript_api', 'requests') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
