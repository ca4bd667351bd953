"""YouTube's failures, sorted: each yt-dlp message or youtube-transcript-api exception becomes
a TransientError (try again later), a YouTubeUnreachable (no network: the run stops early) or a
PermanentError (tell the person), with a reason a person can read. Pure; client.py fetches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ytvault.errors import (
    FetchError,
    PermanentError,
    TransientError,
    YouTubeUnreachable,
)


@dataclass(frozen=True)
class Raised:
    """Matches an exception by class name, so the library that defines it stays unimported."""

    name: str


BOT_CHECK: Final = (
    "YouTube is asking to confirm you're not a bot (try again later, or see docs/operation.md)"
)
AGE_RESTRICTED: Final = "age-restricted video (needs a signed-in cookies file)"
UNAVAILABLE: Final = "video unavailable"
NETWORK: Final = "network error talking to YouTube"
UNPLAYABLE: Final = "YouTube says the video cannot be played"
# yt-dlp's own warnings, which are not YouTube's reason for refusing a video
YTDLP_OWN: Final = r"Requested format is not available|Only images are available|\bnsig\b|" \
    r"n function|JavaScript runtime|PO Token"

# What went wrong → (kind, reason for the person). First match wins. A str is a
# case-insensitive regex searched in yt-dlp's message (YouTube's own playability reason with
# yt-dlp's additions) or in the reason youtube-transcript-api passes on; a Raised names a
# youtube-transcript-api / requests exception class.
RULES: Final[tuple[tuple[str | Raised, type[FetchError], str], ...]] = (
    # youtube-transcript-api's verdicts
    (Raised("IpBlocked"), TransientError, "YouTube blocked this IP for transcripts"),
    (Raised("RequestBlocked"), TransientError, BOT_CHECK),
    (Raised("PoTokenRequired"), TransientError,
     "YouTube wants a PO token for this transcript (try again later)"),
    (Raised("YouTubeRequestFailed"), TransientError, "YouTube answered the transcript request "
     "with an HTTP error"),
    (Raised("FailedToCreateConsentCookie"), TransientError,
     "YouTube's cookie consent page could not be passed"),
    (Raised("YouTubeDataUnparsable"), TransientError,
     "YouTube's transcript data could not be read (update youtube-transcript-api if it persists)"),
    (Raised("AgeRestricted"), PermanentError, AGE_RESTRICTED),
    (Raised("VideoUnavailable"), PermanentError, UNAVAILABLE),
    (Raised("InvalidVideoId"), PermanentError, "invalid video id"),
    # YouTube's words, as yt-dlp reports them; "try again later" before "isn't available"
    (r"confirm you.re not a bot|captcha", TransientError, BOT_CHECK),
    (r"rate-limited by YouTube|try again later", TransientError,
     "YouTube is rate limiting this session (try again in an hour)"),
    (r"HTTP Error 429|Too Many Requests", TransientError, "YouTube is rate limiting (HTTP 429)"),
    (r"IP is likely being blocked", TransientError,
     "YouTube is blocking this IP (try again later, or see docs/operation.md)"),
    (r"HTTP Error 5\d\d", TransientError, "YouTube server error (HTTP 5xx)"),
    (r"Private video|This video is private", PermanentError, "private video"),
    (r"members-only|Join this channel|channel's members", PermanentError, "members-only video"),
    (r"confirm your age|age-restricted|inappropriate for some users", PermanentError,
     AGE_RESTRICTED),
    (r"removed by the uploader", PermanentError, "video removed by the uploader"),
    (r"account associated with this video has been terminated", PermanentError,
     "video removed (its channel was terminated)"),
    (r"copyright claim|copyright grounds", PermanentError, "video removed after a copyright claim"),
    (r"removed for violating|violates YouTube's", PermanentError,
     "video removed for violating YouTube's rules"),
    (r"live event will begin|Premieres? in|Premiere will begin", PermanentError,
     "upcoming premiere or live stream (not started yet)"),
    (r"live stream recording is not available", PermanentError,
     "live stream recording not available"),
    (r"not made this video available in your country|not available (from|in) your (location|"
     r"country)", PermanentError, "video not available in this country"),
    (r"Premium members|requires payment", PermanentError, "paid or Premium-only video"),
    (r"Incomplete YouTube ID|Unsupported URL", PermanentError, "invalid video id"),
    (r"video (is )?unavailable|video is not available|video does not exist|"
     r"content isn.t available|no longer available", PermanentError, UNAVAILABLE),
    (r"Failed to extract any player response", TransientError,
     "YouTube's answer could not be read (try again later; update yt-dlp if it persists)"),
    (r"Unable to download|timed out|name resolution|Name or service not known|"
     r"nodename nor servname|Connection (refused|reset|aborted)|Network is unreachable|"
     r"urlopen error|TransportError|IncompleteRead|Remote end closed|\bSSL",
     YouTubeUnreachable, NETWORK),
    # what is left once YouTube's reason matched nothing above
    (Raised("VideoUnplayable"), PermanentError, UNPLAYABLE),  # YouTube's reason is added
    (Raised("RequestException"), YouTubeUnreachable, NETWORK),
    (Raised("ConnectionError"), YouTubeUnreachable, NETWORK),
    (Raised("TimeoutError"), YouTubeUnreachable, NETWORK),
    # YouTube answers a timedtext request it will not serve with an empty body
    (Raised("ParseError"), TransientError, "YouTube sent an empty transcript (try again later)"),
)


def classify_ytdlp_error(message: str) -> FetchError:
    """The FetchError for a yt-dlp error or warning message; unknown ones are transient."""
    return match_failure(message) or unknown_failure(message)


def unknown_failure(message: str) -> TransientError:
    return TransientError(f"YouTube fetch failed: {tidy(message)}")


def match_failure(text: str, exc: BaseException | None = None) -> FetchError | None:
    names = {cls.__name__ for cls in type(exc).__mro__} if exc is not None else set()
    for what, kind, reason in RULES:
        if isinstance(what, Raised):
            if what.name in names:
                return kind(reason)
        elif re.search(what, text, re.IGNORECASE):
            return kind(reason)
    return None


def classify_exception(exc: BaseException) -> FetchError:
    # youtube-transcript-api's messages are mostly boilerplate: match its reason, not its text
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) or hasattr(exc, "sub_reasons"):
        text = " ".join([reason or "", *getattr(exc, "sub_reasons", ())])
    else:
        text = str(exc)
    found = (match_failure(text, exc)
             or TransientError(f"YouTube fetch failed ({type(exc).__name__})"))
    if str(found) == UNPLAYABLE and text.strip():  # a reason ytvault does not know: show it
        return PermanentError(f"{UNPLAYABLE}: {tidy(text)}")
    return found


def tidy(message: str) -> str:
    """yt-dlp's message without its ERROR/[extractor] id: prefix and bug-report tail."""
    text = re.sub(r"^(ERROR|WARNING): ", "", message.strip())
    text = re.sub(r"^\[[\w:.-]+\] ([\w-]+: )?", "", text)
    text = text.split("; please report this issue", 1)[0].splitlines()[0] if text else ""
    return text if len(text) <= 160 else text[:159] + "…"
