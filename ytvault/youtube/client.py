"""The fetch stage: a video id → its yt-dlp metadata, its transcript and its thumbnail.

The only module that imports yt-dlp or youtube-transcript-api or talks HTTP to YouTube; every
failure leaves it as a TransientError (retry later) or a PermanentError (tell the person).
Transcripts come from youtube-transcript-api, else from the caption tracks yt-dlp listed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlparse

from ytvault.errors import (
    FetchError,
    NoTranscript,
    PermanentError,
    TransientError,
    YouTubeUnreachable,
)
from ytvault.models import MalformedInfo, Snippet, Transcript, Video
from ytvault.note.ids import is_playlist_id, is_video_id
from ytvault.youtube import captions
from ytvault.youtube.failures import (
    NETWORK,
    UNPLAYABLE,
    YTDLP_OWN,
    classify_exception,
    match_failure,
    tidy,
    unknown_failure,
)
from ytvault.youtube.images import MAX_THUMBNAIL_BYTES, is_image, jpeg_size, read_at_most
from ytvault.youtube.jsruntime import ytdlp_params

if TYPE_CHECKING:
    import requests

    from ytvault.config.settings import Config

log = logging.getLogger(__name__)

_WATCH_URL: Final = "https://www.youtube.com/watch?v={}"
_PLAYLIST_URL: Final = "https://www.youtube.com/playlist?list={}"
HOME_URL: Final = "https://www.youtube.com/"
_TIMEOUT_SECONDS: Final = 30

# ignore_no_formats_error lets an upcoming premiere through with its metadata. Its price: yt-dlp
# then *warns* instead of raising when a video cannot be played (private, removed, bot check…)
# and returns an info dict titled "youtube video #<id>", so fetch_info reads the warnings too.
_YDL_PARAMS: Final[Mapping[str, Any]] = {
    "skip_download": True,
    "noplaylist": True,
    "ignore_no_formats_error": True,
    "quiet": True,
    "no_warnings": True,
    "noprogress": True,
    "socket_timeout": _TIMEOUT_SECONDS,
}


class _WarningLog:
    """A yt-dlp logger that keeps the warnings and prints nothing."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def debug(self, message: str) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def error(self, message: str) -> None:
        pass  # errors also arrive as the DownloadError that extract_info raises


def _check_id(video_id: str) -> None:
    if not is_video_id(video_id):
        raise PermanentError(f"invalid video id {video_id!r}")


class YouTubeClient:
    """Fetches from YouTube. `http_client` serves transcripts and thumbnails (yt-dlp has its own
    networking); `extractors` are yt-dlp InfoExtractor classes tried before the built-in ones.

    `proxy` (a URL) carries the transcript requests; `cookies_file` (Netscape format) is
    yt-dlp's; `any_language`: when no track is in the wanted languages, take the first one.
    """

    def __init__(
        self,
        *,
        http_client: requests.Session | None = None,
        extractors: Sequence[type] = (),
        ydl_params: Mapping[str, Any] | None = None,
        proxy: str | None = None,
        cookies_file: Path | None = None,
        any_language: bool = True,
    ) -> None:
        self._http_client = http_client
        self._extractors = tuple(extractors)
        self._ydl_params = dict(ydl_params or {})
        if cookies_file is not None:
            self._ydl_params["cookiefile"] = str(cookies_file)
        self._proxy = proxy or None
        self._any_language = any_language
        self._local = threading.local()

    @classmethod
    def from_config(cls, config: Config) -> YouTubeClient:
        return cls(proxy=config.transcript_proxy, cookies_file=config.cookies_file,
                   any_language=config.transcript_any_language)

    def prepare(self) -> None:
        """Import yt-dlp and youtube-transcript-api ahead of the first fetch (the daemon does
        this in the background when a stub arrives: about half a second here)."""
        import youtube_transcript_api  # noqa: F401
        import yt_dlp  # noqa: F401

    def _session(self, purpose: str = "session") -> requests.Session:
        if self._http_client is not None:
            return self._http_client
        # One Session per thread: youtube-transcript-api sets consent cookies on it (and the
        # proxy, which is why transcripts get a session of their own).
        session: requests.Session | None = getattr(self._local, purpose, None)
        if session is None:
            import requests

            session = requests.Session()
            setattr(self._local, purpose, session)
        return session

    def fetch_info(self, video_id: str) -> dict[str, Any]:
        """`YoutubeDL.sanitize_info(extract_info(url, download=False))`, as the cache stores it."""
        _check_id(video_id)
        info, warnings = self._extract(_WATCH_URL.format(video_id))
        if not isinstance(info, dict):
            raise TransientError("yt-dlp returned no metadata (try again later)")
        problem = _unplayable(info, warnings)
        if problem is not None:
            problem.add_note("yt-dlp warned: " + " | ".join(warnings))
            raise problem
        try:  # what the cache will hold must read back: the right video, the right types
            if info.get("id") != video_id:
                raise MalformedInfo(f"the metadata of {str(info.get('id'))[:20]!r}")
            Video.from_info(info)
        except MalformedInfo as exc:
            raise TransientError(f"yt-dlp's metadata could not be read ({exc}): try again "
                                 "later; update yt-dlp if it persists") from None
        # Formats are stream URLs that expire within hours and make up most of the dict; the
        # heatmap is bulky too. Neither is used, and the cache keeps the rest as it is.
        info["formats"] = []
        info.pop("heatmap", None)
        return info

    def list_playlist(self, playlist_id: str) -> list[str]:
        """The video ids of a playlist, in its order (yt-dlp's flat listing: a page request per
        hundred videos, no request per video)."""
        if not is_playlist_id(playlist_id):
            raise PermanentError(f"invalid playlist id {playlist_id!r}")
        info, _ = self._extract(_PLAYLIST_URL.format(playlist_id), noplaylist=False,
                                extract_flat="in_playlist")
        entries = info.get("entries") if isinstance(info, dict) else None
        ids = [str(e.get("id")) for e in entries or () if isinstance(e, dict)]
        return list(dict.fromkeys(i for i in ids if is_video_id(i)))

    def _extract(self, url: str, **params: Any) -> tuple[Any, list[str]]:
        """yt-dlp's sanitized info dict for `url` (our extractors tried before the built-in
        ones) and the warnings it gave; its errors as FetchErrors."""
        from yt_dlp import YoutubeDL
        from yt_dlp.utils import YoutubeDLError

        log = _WarningLog()
        try:
            with YoutubeDL({**_YDL_PARAMS, **ytdlp_params(), **self._ydl_params, "logger": log,
                            **params},
                           auto_init=False) as ydl:
                for extractor in self._extractors:
                    ydl.add_info_extractor(extractor())
                ydl.add_default_info_extractors()
                info = ydl.sanitize_info(ydl.extract_info(url, download=False))
        except YoutubeDLError as exc:
            # YouTube's reason in the message, else in what yt-dlp warned before it gave up
            text = str(exc)
            raise (match_failure(text) or _worst(log.warnings) or unknown_failure(text)) from exc
        return info, log.warnings

    def fetch_transcript(self, video_id: str, languages: Sequence[str],
                         info: Mapping[str, Any] | None = None) -> Transcript:
        """The track captions.choose picks: manual captions in `languages` order (`en` takes
        `en-GB` too), then generated ones, then the first track.

        From youtube-transcript-api; when that fails (an IP block, a bot check, a network
        error…) from the caption tracks listed in `info`, yt-dlp's info dict. Raises
        NoTranscript ("no captions", "language not available: …") when YouTube says there is
        none to use, else the FetchError of each way tried, with its cause.
        """
        _check_id(video_id)
        try:
            return self._fetch_with_api(video_id, languages)
        except NoTranscript:
            raise  # yt-dlp would list the same tracks
        except FetchError as exc:
            if not info:
                raise
            first = exc
        try:
            transcript = self._fetch_listed_track(video_id, languages, info)
        except FetchError as exc:
            kind: type[FetchError] = PermanentError
            if isinstance(first, YouTubeUnreachable) and isinstance(exc, YouTubeUnreachable):
                kind = YouTubeUnreachable
            elif isinstance(first, TransientError) or isinstance(exc, TransientError):
                kind = TransientError
            raise kind(f"{first}; the caption tracks yt-dlp listed: {exc}") from first
        log.info("%s: transcript from yt-dlp's caption tracks (youtube-transcript-api: %s)",
                 video_id, first)
        return transcript

    def _fetch_with_api(self, video_id: str, languages: Sequence[str]) -> Transcript:
        from youtube_transcript_api import (
            CouldNotRetrieveTranscript,
            TranscriptsDisabled,
            YouTubeTranscriptApi,
        )
        from youtube_transcript_api.proxies import GenericProxyConfig

        proxy = GenericProxyConfig(self._proxy, self._proxy) if self._proxy else None
        try:
            api = YouTubeTranscriptApi(proxy_config=proxy,
                                       http_client=self._session("transcripts"))
            # the same rule as for the tracks yt-dlp lists (its list has manual tracks first)
            track = captions.choose(list(api.list(video_id)), languages,
                                    any_language=self._any_language)
            fetched = track.fetch()
        except TranscriptsDisabled as exc:
            raise NoTranscript(captions.NO_CAPTIONS) from exc
        except (CouldNotRetrieveTranscript, OSError, SyntaxError, ValueError) as exc:
            # OSError covers requests' errors; SyntaxError is xml's ParseError on an empty body;
            # ValueError a JSON answer that is not JSON. Anything else is a bug: let it show.
            raise classify_exception(exc) from exc
        return Transcript(
            video_id=video_id,
            language=fetched.language,
            language_code=fetched.language_code,
            is_generated=fetched.is_generated,
            snippets=tuple(Snippet(s.text, s.start, s.duration) for s in fetched.snippets),
        )

    def _fetch_listed_track(self, video_id: str, languages: Sequence[str],
                            info: Mapping[str, Any]) -> Transcript:
        track = captions.choose_track(info, languages, any_language=self._any_language)
        if _expired(track.url):  # a cached info dict: its signed URLs last about a day
            track = captions.choose_track(self.fetch_info(video_id), languages,
                                          any_language=self._any_language)
        import requests

        try:
            response = self._session("transcripts").get(track.url, timeout=_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise YouTubeUnreachable(NETWORK) from exc
        if response.status_code == 429:
            raise TransientError("YouTube blocked this IP for caption tracks (HTTP 429)")
        if response.status_code != 200:
            raise TransientError(f"YouTube answered HTTP {response.status_code} for the "
                                 "caption track")
        try:
            snippets = captions.parse_track(response.content, track.ext,
                                            generated=track.is_generated)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TransientError(f"YouTube's {track.ext} caption track could not be read") from exc
        if not any(s.text.strip() for s in snippets):
            raise TransientError("YouTube sent an empty caption track (try again later)")
        return Transcript(video_id, track.language, track.language_code, track.is_generated,
                          tuple(snippets))

    def fetch_thumbnail(self, urls: Sequence[str]) -> bytes:
        """The first of `urls` (best first) that answers with a real image."""
        import requests

        session = self._session()
        transient: str | None = None
        reached = False
        for url in urls:
            try:
                with session.get(url, timeout=_TIMEOUT_SECONDS, stream=True) as response:
                    status = response.status_code
                    data = read_at_most(response, MAX_THUMBNAIL_BYTES) if status == 200 else b""
            except requests.RequestException:
                transient = transient or "network error fetching the thumbnail"
                continue
            reached = True
            if status == 429 or status >= 500:
                transient = f"YouTube answered HTTP {status} for the thumbnail"
            elif status == 200 and _is_thumbnail(data, url):
                return data
            # A 404 (with a grey placeholder as its body) means this size does not exist.
        if transient is not None:
            raise (TransientError if reached else YouTubeUnreachable)(transient)
        raise PermanentError("YouTube has no thumbnail for this video")


def _expired(url: str) -> bool:
    expire = parse_qs(urlparse(url).query).get("expire", [""])[0]
    return expire.isdigit() and int(expire) < time.time() + 60


def _worst(warnings: Iterable[str]) -> FetchError | None:
    """The permanent verdict among yt-dlp's warnings if there is one, else a transient one."""
    found = [error for error in map(match_failure, warnings) if error is not None]
    return next((e for e in found if isinstance(e, PermanentError)), found[0] if found else None)


def _unplayable(info: dict[str, Any], warnings: list[str]) -> FetchError | None:
    """Why yt-dlp's answer is not the video's metadata, when it only warned about it."""
    if info.get("formats") or info.get("live_status") == "is_upcoming":
        return None
    problem = _worst(warnings)
    if problem is None and not info.get("fulltitle"):
        # yt-dlp made up a title: there was no metadata, and no reason we know, so YouTube's own
        said = [tidy(w) for w in warnings if tidy(w) and not re.search(YTDLP_OWN, w)]
        problem = TransientError(f"{UNPLAYABLE}: {said[0]} (update yt-dlp if it persists)"
                                 if said else "YouTube returned no metadata (update yt-dlp if "
                                 "it persists)")
    return problem


def _is_thumbnail(data: bytes, url: str) -> bool:
    if not is_image(data):
        return False  # an HTML error or consent page served with 200, or something huge
    # YouTube's "no such thumbnail" is a grey 120x90 JPEG; only default.jpg is that small.
    return jpeg_size(data) != (120, 90) or url.rsplit("/", 1)[-1].startswith("default.")


def probe(url: str = HOME_URL, timeout: float = 5.0) -> int:
    """The HTTP status YouTube answers a plain GET with (the body is not read); raises
    requests' errors when it cannot be reached. For `ytvault doctor`."""
    import requests

    with requests.get(url, timeout=timeout, stream=True, allow_redirects=True,
                      headers={"User-Agent": "Mozilla/5.0 (ytvault doctor)"}) as response:
        return response.status_code


def ytdlp_version() -> str:
    """yt-dlp's version, a release date such as `2026.10.26`."""
    from yt_dlp.version import __version__

    return str(__version__)
