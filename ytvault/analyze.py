"""Analyze: a video's metadata and transcript → a validated `Analysis`, by one Claude call.

The stage between the cache and render; the only module that imports anthropic (lazily: it
costs over a second of start-up).
"""

from __future__ import annotations

import email.utils
import os
import re
import threading
import time
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ytvault.config import Config
from ytvault.errors import AnalysisAuthError, AnalysisError, AnalysisTransientError, MissingApiKey
from ytvault.models import Analysis, Transcript, Video

if TYPE_CHECKING:
    import anthropic
    from anthropic import APIRequest, APIResponse, CallNext
    from anthropic.types import Message

DEFAULT_BASE_URL = "https://api.anthropic.com"

# The SDK sleeps for whatever retry-after the API (or a gateway) asks, up to ~49 days. A worker
# asleep that long holds a concurrency slot and blocks a clean stop of the daemon, so above this
# we give up at once and the note is retried on a later scan.
MAX_RETRY_AFTER_SECONDS = 60.0

# Items per section grow with the transcript: 2 for a Short, about one more per ~9 minutes of
# speech (1350 words at ~150 words a minute), at most 15 for a long lecture.
_MIN_ITEMS, _MAX_ITEMS, _WORDS_PER_EXTRA_ITEM = 2, 15, 1350

# The SDK's own retry rule (_base_client._should_retry): 408, 409, 429 and every 5xx.
_RETRIED_STATUSES = frozenset({408, 409, 429})

# An opening or closing tag of our data blocks inside the data itself could end the block early.
_BLOCK_TAG = re.compile(r"<(?=\s*/?\s*(?:transcript|video)\b)", re.IGNORECASE)
_LOOKALIKE = "\u2039"  # a single angle quote: reads as "<" to the model, closes no block


class ClaudeAnalyzer:
    """Writes the analysis of one video at a time; safe to share between worker threads."""

    def __init__(self, config: Config, api_key: str) -> None:
        if not api_key:
            raise MissingApiKey(
                f"no API key: set {config.api_key_env} (or `api_key_env` in config.toml)"
            )
        self._config = config
        self._api_key = api_key
        self._sdk: anthropic.Anthropic | None = None
        self._lock = threading.Lock()

    def analyze(self, video: Video, transcript: Transcript) -> Analysis:
        """One model call (two when the first answer is unusable) → the video's analysis.

        Raises AnalysisAuthError (key refused), AnalysisTransientError (rate limits, overload,
        network, after the SDK's retries) or AnalysisError (anything retrying now won't fix).
        """
        if transcript.is_empty:
            raise ValueError(f"video {video.id} has no transcript: there is nothing to analyse")
        system, user = build_prompt(video, transcript)
        reason = ""
        # A cut-off, refused or malformed answer is often fine the second time; not the third.
        for _ in range(2):
            try:
                return _read_answer(self._send(system, user), self._config)
            except _UnusableAnswer as exc:
                reason = str(exc)
        raise AnalysisError(reason)

    def _client(self) -> anthropic.Anthropic:
        with self._lock:
            if self._sdk is None:
                import anthropic

                seconds = self._config.request_timeout_seconds
                self._sdk = anthropic.Anthropic(
                    api_key=self._api_key,
                    # None lets the SDK read ANTHROPIC_BASE_URL (a gateway). A blank one, left by
                    # `export ANTHROPIC_BASE_URL=`, would send every request to "" and fail only
                    # after all retries, so it means the default.
                    base_url=None
                    if os.environ.get("ANTHROPIC_BASE_URL", "").strip()
                    else DEFAULT_BASE_URL,
                    max_retries=self._config.api_max_retries,
                    # A black-holed connection should not cost the full answer timeout per retry.
                    timeout=anthropic.Timeout(seconds, connect=min(seconds, 10.0)),
                    middleware=[_refuse_long_waits],
                )
            return self._sdk

    def _send(self, system: str, user: str) -> Message:
        import anthropic

        client = self._client()
        try:
            return client.messages.create(
                model=self._config.model,
                max_tokens=self._config.max_output_tokens,
                # The instructions are the same for every video, so they come first with a cache
                # breakpoint after them; below the model's minimum cacheable length it is a no-op.
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": user}],
                # create(), not parse(): parse() validates inside the SDK, before we can see that
                # stop_reason says the answer was cut off or refused.
                output_config={"format": {"type": "json_schema", "schema": _schema()}},
            )
        except _LongWait as exc:
            raise AnalysisTransientError(
                f"the Anthropic API asked to wait {exc.seconds:.0f} s before retrying "
                f"({exc.status}): the note will be retried later"
            ) from None
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc) from exc
        except anthropic.APITimeoutError as exc:
            raise AnalysisTransientError(
                f"the model call timed out after {self._config.request_timeout_seconds:g} s "
                f"({self._attempts()}): raise `request_timeout_seconds` in config.toml if it "
                "keeps happening"
            ) from exc
        except anthropic.APIConnectionError as exc:
            url = client.base_url  # scheme, host and port only: a gateway URL may hold a secret
            where = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
            raise AnalysisTransientError(
                f"cannot reach the Anthropic API at {where} ({self._attempts()}): "
                f"{self._clean(str(exc.__cause__ or exc))}"
            ) from exc
        except anthropic.AnthropicError as exc:
            raise AnalysisError(f"the Anthropic SDK failed: {self._clean(str(exc))}") from exc

    def _status_error(self, exc: anthropic.APIStatusError) -> AnalysisError:
        status, model = exc.status_code, self._config.model
        detail = self._clean(exc.api_message or exc.message)
        if status in (401, 403):
            return AnalysisAuthError(
                f"the API key in {self._config.api_key_env} was refused ({status}): check it at "
                "console.anthropic.com, or set `api_key_env` in config.toml"
            )
        if status in _RETRIED_STATUSES or status >= 500:
            what = {429: "is rate limiting this key", 529: "is overloaded", 408: "timed out",
                    504: "timed out"}.get(status, "is failing")
            return AnalysisTransientError(
                f"the Anthropic API {what} ({status}, {self._attempts()}): "
                "the note will be retried later"
            )
        if status == 404:
            return AnalysisError(
                f"model {model!r} was not found (404: {detail}): check `model` in config.toml"
                " (and ANTHROPIC_BASE_URL, if you use a gateway)"
            )
        if status == 413:
            return AnalysisError(f"the transcript is too large for one request (413: {detail})")
        if status == 400:
            return AnalysisError(
                f"the API rejected the request for model {model!r} (400: {detail}): "
                "check `model` in config.toml"
            )
        return AnalysisError(f"the Anthropic API answered {status}: {detail}")

    def _attempts(self) -> str:
        tries = self._config.api_max_retries + 1
        return f"{tries} attempt{'s' if tries > 1 else ''}"

    def _clean(self, text: str) -> str:
        """An outside message as one short line without the key (a gateway may echo it)."""
        line = " ".join(text.replace(self._api_key, "[API key]").split())
        return line if len(line) <= 300 else line[:299] + "…"


def build_prompt(video: Video, transcript: Transcript) -> tuple[str, str]:
    """(system, user): the fixed instructions, then this video's metadata and transcript as data."""
    words = len(transcript.text.split())
    budget = min(_MAX_ITEMS, _MIN_ITEMS + round(words / _WORDS_PER_EXTRA_ITEM))
    language = transcript.language or transcript.language_code or "unknown"
    # youtube-transcript-api names generated tracks "English (auto-generated)" already.
    generated = transcript.is_generated and "auto" not in language.lower()
    lines = [
        "<video>",
        f"id: {video.id}",
        f"title: {_inert(video.title)}",
        f"channel: {_inert(video.channel)}",
        f"length: {_clock(video.duration) if video.duration else 'unknown'}",
        f"transcript: {_inert(language)}{' (auto-generated)' if generated else ''}, {words} words",
    ]
    if video.chapters:
        lines.append("chapters:")
        lines += [f"- {_clock(c.start)} {_inert(c.title)}" for c in video.chapters]
    lines += [
        "</video>",
        "",
        "<transcript>",
        _BLOCK_TAG.sub(_LOOKALIKE, transcript.text),
        "</transcript>",
        "",
        # Long data first and the request last is what the model handles best.
        f"Write the analysis of this video. Budget: at most {budget} items per section; fewer, "
        "or none, when the video has less to say.",
    ]
    return _instructions(), "\n".join(lines)


@cache
def _instructions() -> str:
    return (files("ytvault") / "templates" / "prompt.md").read_text(encoding="utf-8").strip()


@cache
def _schema() -> dict[str, Any]:
    import anthropic

    return anthropic.transform_schema(Analysis)


def _inert(text: str) -> str:
    return _BLOCK_TAG.sub(_LOOKALIKE, " ".join(text.split()))


def _clock(seconds: float) -> str:
    """47:41, 1:02:05, 0:45: the form YouTube shows."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _UnusableAnswer(Exception):
    """The model answered, but not with an analysis we can use: worth one more try."""


def _read_answer(message: Message, config: Config) -> Analysis:
    if message.stop_reason == "refusal":
        raise _UnusableAnswer("the model refused to analyse this video")
    if message.stop_reason == "max_tokens":
        raise _UnusableAnswer(
            f"the model's answer was cut off at max_output_tokens={config.max_output_tokens}; "
            "raise it in config.toml"
        )
    if message.stop_reason == "model_context_window_exceeded":
        # The same transcript will not fit the second time either.
        raise AnalysisError(
            f"the transcript and the answer do not fit in the context window of {config.model!r}: "
            "choose a model with a larger one as `model` in config.toml"
        )
    text = "".join(block.text for block in message.content if block.type == "text")
    try:
        return Analysis.model_validate_json(text)
    except ValidationError as exc:
        raise _UnusableAnswer(f"the model's answer was not valid: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{more}"


class _LongWait(Exception):
    """Raised from the SDK's middleware; not an SDK error type, so the SDK does not retry it."""

    def __init__(self, status: int, seconds: float) -> None:
        super().__init__(f"{status}: retry after {seconds:g} s")
        self.status, self.seconds = status, seconds


def _refuse_long_waits(request: APIRequest, call_next: CallNext) -> APIResponse[Any]:
    response = call_next(request)
    status = response.status_code
    if status in _RETRIED_STATUSES or status >= 500:
        wait = _retry_after(response.headers)
        if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
            response.http_response.close()
            raise _LongWait(status, wait)
    return response


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, read as the SDK reads it (retry-after-ms first)."""
    try:
        return float(headers["retry-after-ms"]) / 1000
    except (KeyError, TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        date = email.utils.parsedate_tz(value)
        return None if date is None else email.utils.mktime_tz(date) - time.time()
