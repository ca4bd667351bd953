"""Fakes for ytvault.youtube: the real yt-dlp and youtube-transcript-api run, only the network
is replaced.

yt-dlp: `youtube_extractor({video_id: recording})` makes an InfoExtractor class for
`YouTubeClient(extractors=[...])`. It answers YouTube watch URLs before yt-dlp's own extractor,
with one of:
  Returns(info)        a recorded info dict (`recorded_info(id)` reads tests/fixtures/cache)
  Raises(message)      ExtractorError(message, expected=True), as yt-dlp raises it
  Unplayable(reason)   what YouTube's extractor does under ignore_no_formats_error: it *warns*
                       with YouTube's reason and returns what metadata it has (none by default)
  Downloads(url)       a real yt-dlp download of `url` (a local server, a closed port)
`replaying_youtube_extractor(player_response)` runs yt-dlp's own YoutubeIE on a recorded
player response instead of the network.

HTTP (transcripts, thumbnails): `RecordedWeb(routes)` is a requests adapter that serves
recorded bodies by (method, URL regex); `session(web)` mounts it on a requests.Session for
`YouTubeClient(http_client=...)`. `transcript_routes()` serves the recorded watch page, player
response and timedtext of tests/fixtures/youtube/.
"""

from __future__ import annotations

import copy
import io
import json
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "youtube"
CACHE_VIDEOS = FIXTURES / "cache" / "videos"

# Keys yt-dlp adds to every info dict itself; a recording without them proves it ran.
YTDLP_ADDED_KEYS = frozenset({
    "_has_drm", "_type", "_version", "display_id", "duration_string", "epoch", "extractor",
    "extractor_key", "fulltitle", "original_url", "playlist", "playlist_index", "release_year",
    "requested_subtitles", "webpage_url_basename", "webpage_url_domain",
})


def recorded_info(video_id: str) -> dict[str, Any]:
    """The cached info.json of a fixture video, less what yt-dlp adds itself."""
    info = json.loads((CACHE_VIDEOS / video_id / "info.json").read_text(encoding="utf-8"))
    return {k: v for k, v in info.items() if k not in YTDLP_ADDED_KEYS}


# --- yt-dlp -------------------------------------------------------------------------------

# yt-dlp appends this to every YouTube reason that says "sign in" (YoutubeBaseInfoExtractor.
# _youtube_login_hint), e.g. to "Private video" and the bot check.
LOGIN_HINT = (
    "Use --cookies-from-browser or --cookies for the authentication. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to "
    "manually pass cookies. Also see  "
    "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  for tips on "
    "effectively exporting YouTube cookies"
)

# Messages as yt-dlp's YouTube extractor reports them: YouTube's playability reason, ". ",
# its subreason and yt-dlp's additions (extractor/youtube/_video.py, _real_extract), or the
# networking errors of extractor/common.py (_request_webpage). \u2019 is YouTube's own
# curly apostrophe.
YTDLP_MESSAGES: dict[str, str] = {
    "private": f"Private video. Sign in if you've been granted access to this video. {LOGIN_HINT}",
    "members_only": "Join this channel to get access to members-only content like this video, "
    "and other exclusive perks.",
    "members_level": "This video is available to this channel's members on level: Gold (or any "
    "higher level). Join this channel to get access to members-only content and other "
    "exclusive perks.",
    "age_restricted": "Sign in to confirm your age. This video may be inappropriate for some "
    f"users. {LOGIN_HINT}",
    "removed_by_uploader": "Video unavailable. This video has been removed by the uploader",
    "unavailable": "Video unavailable",
    "unavailable_content": "Video unavailable. This content isn\u2019t available.",
    "account_terminated": "Video unavailable. This video is no longer available because the "
    "YouTube account associated with this video has been terminated.",
    "copyright": "Video unavailable. This video is no longer available due to a copyright claim "
    "by Example Records",
    "policy_violation": "This video has been removed for violating YouTube's Terms of Service",
    "bot_check": f"Sign in to confirm you\u2019re not a bot. {LOGIN_HINT}",
    "rate_limited": "This content isn't available, try again later. The current session has "
    "been rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add "
    "a delay between video requests to avoid exceeding the rate limit. For more information, "
    "refer to  https://github.com/yt-dlp/yt-dlp/wiki/Extractors#this-content-isnt-available-"
    "try-again-later",
    "ip_blocked": "All player responses are invalid. Your IP is likely being blocked by Youtube",
    "http_429": "Unable to download API page: HTTP Error 429: Too Many Requests "
    "(caused by <HTTPError 429: Too Many Requests>)",
    "http_503": "Unable to download webpage: HTTP Error 503: Service Unavailable "
    "(caused by <HTTPError 503: Service Unavailable>)",
    "network": "Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name "
    "resolution> (caused by TransportError('<urlopen error [Errno -3] Temporary failure in "
    "name resolution>'))",
    "timeout": "Unable to download API page: The read operation timed out "
    "(caused by TransportError('The read operation timed out'))",
    "no_player_response": "Failed to extract any player response; please report this issue on  "
    "https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. "
    "Confirm you are on the latest version using  yt-dlp -U",
    "upcoming": "This live event will begin in 3 days.",
    "premiere": "Premieres in 2 hours",
    "recording_unavailable": "This live stream recording is not available.",
    "geo_blocked": "The uploader has not made this video available in your country.",
    "truncated_id": "Incomplete YouTube ID abc. URL https://www.youtube.com/watch?v=abc looks "
    "truncated.",
}


@dataclass(frozen=True)
class Returns:
    info: dict[str, Any]


@dataclass(frozen=True)
class Raises:
    message: str


@dataclass(frozen=True)
class Unplayable:
    reason: str
    info: dict[str, Any] | None = None


@dataclass(frozen=True)
class Downloads:
    url: str


Recording = Returns | Raises | Unplayable | Downloads
WATCH_URL_RE = r"https?://(?:www\.)?youtube\.com/watch\?v=(?P<id>[0-9A-Za-z_-]{11})"


def youtube_extractor(recordings: Mapping[str, Recording]) -> type:
    """An InfoExtractor class that answers watch URLs from `recordings` (video id → recording)."""
    from yt_dlp.extractor.common import InfoExtractor
    from yt_dlp.utils import ExtractorError

    class RecordedYoutubeIE(InfoExtractor):  # type: ignore[misc]
        IE_NAME = "youtube"
        _VALID_URL = WATCH_URL_RE

        def _real_extract(self, url: str) -> dict[str, Any]:
            video_id = self._match_id(url)
            if video_id not in recordings:
                # AssertionError passes through yt-dlp and ytvault untouched: the test fails
                raise AssertionError(f"no recording for video {video_id}")
            recording = recordings[video_id]
            if isinstance(recording, Returns):
                return copy.deepcopy(recording.info)
            if isinstance(recording, Raises):
                raise ExtractorError(recording.message, expected=True, video_id=video_id)
            if isinstance(recording, Downloads):
                self._download_webpage(recording.url, video_id)
                raise AssertionError(f"{recording.url} answered: expected a failure")
            self.raise_no_formats(recording.reason, expected=True)
            # With no videoDetails in the player response, YoutubeIE finds no title.
            return copy.deepcopy(recording.info) if recording.info else {
                "id": video_id, "title": None, "formats": [], "thumbnails": [],
            }

    return RecordedYoutubeIE


def replaying_youtube_extractor(player_response: dict[str, Any]) -> type:
    """yt-dlp's own YoutubeIE, fed `player_response` where it would download player responses.

    Overrides the private YoutubeIE._initial_extract (yt-dlp 2026.10): if yt-dlp renames it,
    adapt this function, the tests that use it check the real extractor's handling of YouTube's
    playability statuses.
    """
    from yt_dlp.extractor.youtube import YoutubeIE

    class ReplayedYoutubeIE(YoutubeIE):  # type: ignore[misc]
        IE_NAME = "youtube"

        def _initial_extract(self, url: str, smuggled_data: Any, webpage_url: str,
                             webpage_client: str, video_id: str) -> tuple[Any, ...]:
            # webpage, webpage_ytcfg, initial_data, is_premium_subscriber, player_responses,
            # player_url
            return None, {}, None, False, [copy.deepcopy(player_response)], None

    assert hasattr(YoutubeIE, "_initial_extract"), "yt-dlp changed: update ytfakes"
    return ReplayedYoutubeIE


@contextmanager
def http_status_server(status: int) -> Iterator[str]:
    """A local URL that answers every GET with `status`, for yt-dlp's real networking."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/watch"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A local URL that refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/watch"


# --- HTTP through requests ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"


Answer = Reply | Exception
Route = tuple[str, str, Answer]  # method, URL regex, answer


class RecordedWeb(BaseAdapter):
    """A requests transport that serves recorded answers; the first matching route wins.

    An unexpected request raises AssertionError, which ytvault does not catch.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        super().__init__()
        self.routes = list(routes)
        self.requests: list[requests.PreparedRequest] = []
        self.proxies: list[Any] = []  # the proxies requests chose for each request

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        self.requests.append(request)
        self.proxies.append(proxies)
        for method, pattern, answer in self.routes:
            if request.method == method and re.search(pattern, str(request.url)):
                if isinstance(answer, Exception):
                    raise answer
                return self._response(request, answer)
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def _response(self, request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        headers = {"Content-Type": reply.content_type, "Content-Length": str(len(reply.body))}
        response = requests.Response()
        response.status_code = reply.status
        response.reason = HTTPStatus(reply.status).phrase
        response.headers = CaseInsensitiveDict(headers)
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(reply.body), headers=headers, status=reply.status,
            preload_content=False,
        )
        response.url = str(request.url)
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        pass


def session(web: RecordedWeb) -> requests.Session:
    http = requests.Session()
    http.mount("https://", web)
    http.mount("http://", web)
    return http


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def player_response(name: str = "player.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(recorded(name))
    return data


def player_with_tracks(*tracks: tuple[str, bool]) -> dict[str, Any]:
    """player.json with only the caption tracks (language code, is generated), in that order."""
    data = player_response()
    renderer = data["captions"]["playerCaptionsTracklistRenderer"]
    by_key = {(t["languageCode"], t.get("kind") == "asr"): t for t in renderer["captionTracks"]}
    renderer["captionTracks"] = [by_key[track] for track in tracks]
    return data


def player_unplayable(status: str, reason: str) -> dict[str, Any]:
    """A recorded unplayable player response, with YouTube's status and reason replaced."""
    data = player_response("player_unplayable.json")
    data["playabilityStatus"]["status"] = status
    data["playabilityStatus"]["reason"] = reason
    return data


def json_reply(data: Mapping[str, Any], status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json; charset=utf-8")


def transcript_routes(
    player: Mapping[str, Any] | Answer | None = None,
    *,
    watch: Answer | None = None,
    timedtext: Answer | None = None,
) -> list[Route]:
    """The three requests youtube-transcript-api makes: watch page, player API, timedtext."""
    if player is None:
        player = player_response()
    if not isinstance(player, Reply | Exception):
        player = json_reply(player)
    return [
        ("GET", r"^https://www\.youtube\.com/watch\?v=",
         watch or Reply(body=recorded("watch.html"))),
        ("POST", r"^https://www\.youtube\.com/youtubei/v1/player\?", player),
        ("GET", r"^https://www\.youtube\.com/api/timedtext\?",
         timedtext or Reply(body=recorded("transcript.xml"), content_type="text/xml")),
    ]


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG of that size: SOI, JFIF APP0, SOF0, EOI."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = (b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big")
            + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


# The grey 120x90 image YouTube serves (with HTTP 404) for a thumbnail size that does not exist.
PLACEHOLDER_JPEG = jpeg_header(120, 90)
THUMBNAIL_JPEG = (CACHE_VIDEOS / "Yf1o0TQzry8" / "thumbnail.jpg").read_bytes()  # 320x180
