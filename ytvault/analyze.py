"""Analyze: a video's metadata and transcript → a validated analysis, by one Claude call, or
one per part of a transcript too long for one request, merged (chunking.py).

The stage between the cache and render; the only module that imports anthropic (lazily: it
costs over a second of start-up). The prompt is built in prompt.py, the sections' schema in
sections.py.
"""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ytvault.chunking import (
    Part,
    default_input_budget,
    estimate_tokens,
    merge_lists,
    part_budgets,
    split_transcript,
)
from ytvault.config import Config
from ytvault.errors import (
    AnalysisAuthError,
    AnalysisError,
    AnalysisTransientError,
    ConfigError,
    MissingApiKey,
)
from ytvault.models import Snippet, Transcript, Video
from ytvault.prompt import Prompt, analysis_prompt, build_prompt, merge_prompt
from ytvault.sections import analysis_model, values

__all__ = ["ClaudeAnalyzer", "build_prompt"]

if TYPE_CHECKING:
    import anthropic
    from anthropic import APIRequest, APIResponse, CallNext
    from anthropic.types import Message, TextBlockParam

DEFAULT_BASE_URL = "https://api.anthropic.com"

# The SDK sleeps for whatever retry-after the API (or a gateway) asks, up to ~49 days. A worker
# asleep that long holds a concurrency slot and blocks a clean stop of the daemon, so above this
# we give up at once and the note is retried on a later scan.
MAX_RETRY_AFTER_SECONDS = 60.0

# The SDK's own retry rule (_base_client._should_retry): 408, 409, 429 and every 5xx.
_RETRIED_STATUSES = frozenset({408, 409, 429})

# Room left in a part's request for the estimate's error (see chunking.estimate_tokens).
_PART_MARGIN = 0.95


class ClaudeAnalyzer:
    """Writes the analysis of one video at a time; safe to share between worker threads.

    `vault`: where a relative `prompt_file` is found.
    """

    def __init__(self, config: Config, api_key: str, *, vault: Path | None = None) -> None:
        if not api_key:
            raise MissingApiKey(
                f"no API key: set {config.api_key_env} (or `api_key_env` in config.toml)"
            )
        self._config = config
        self._api_key = api_key
        self._sections = config.sections
        self._model = analysis_model(config.sections)
        self._pattern = _read_pattern(config, vault)
        self._sdk: anthropic.Anthropic | None = None
        self._lock = threading.Lock()

    @property
    def input_budget(self) -> int:
        return self._config.input_token_budget or default_input_budget(
            self._config.model, self._config.max_output_tokens)

    def analyze(self, video: Video, transcript: Transcript) -> BaseModel:
        """One model call (two when the first answer is unusable) → the video's analysis; for a
        transcript longer than `input_token_budget`, one per part and one to merge them.

        Raises AnalysisAuthError (key refused), AnalysisTransientError (rate limits, overload,
        network, after the SDK's retries) or AnalysisError (anything retrying now won't fix).
        """
        if transcript.is_empty:
            raise ValueError(f"video {video.id} has no transcript: there is nothing to analyse")
        parts = self.plan(video, transcript)
        if len(parts) == 1:
            return self._ask(self._prompt(video, transcript), self._model)
        # One part after the other: each reads the instructions the first one cached.
        answers = [self._ask(self._prompt(video, transcript, part), self._model, cached=True)
                   for part in parts]
        return self._merge(video, transcript, parts, answers)

    def plan(self, video: Video, transcript: Transcript) -> list[Part]:
        """The parts the transcript is sent in: one, unless it is over the input budget."""
        budget = self.input_budget
        if self._tokens(self._prompt(video, transcript)) <= budget:
            return [Part(1, 1, transcript, float(video.duration or 0))]
        last = Snippet("", 359_999.0, 0.0)  # the longest part line: "99:59:59"
        frame = self._prompt(video, transcript, Part(99, 99, Transcript(
            video.id, transcript.language, transcript.language_code, transcript.is_generated,
            (last,)), last.start))
        overhead = self._tokens(frame)
        room = int((budget - overhead) * _PART_MARGIN)
        if room < 200:
            raise AnalysisError(
                f"input_token_budget={budget} leaves no room for the transcript: the "
                f"instructions and the video's metadata alone take about {overhead} tokens; "
                "raise it in config.toml")
        return split_transcript(transcript, video.chapters, room, video.duration)

    def _prompt(self, video: Video, transcript: Transcript, part: Part | None = None) -> Prompt:
        return analysis_prompt(video, transcript, sections=self._sections, pattern=self._pattern,
                               output_language=self._config.output_language, part=part)

    def _tokens(self, prompt: Prompt, model: type[BaseModel] | None = None) -> int:
        """The estimated input tokens of a request: instructions, message and answer schema."""
        schema = json.dumps(_schema(model or self._model))
        return sum(map(estimate_tokens, (prompt.system, prompt.user, schema)))

    def _merge(self, video: Video, transcript: Transcript, parts: Sequence[Part],
               answers: Sequence[BaseModel]) -> BaseModel:
        """The parts' lists, without near-duplicates and within the whole video's budget; its
        paragraphs (the summary) written by one more call from the parts' paragraphs."""
        caps = part_budgets(self._sections, transcript)
        merged: dict[str, Any] = {
            s.name: merge_lists([values(a, s) for a in answers], caps[s.name])
            for s in self._sections if s.kind != "paragraph"
        }
        paragraphs = tuple(s for s in self._sections if s.kind == "paragraph")
        if paragraphs:
            model = analysis_model(paragraphs)
            texts = [{s.name: " ".join(values(a, s)) for s in paragraphs} for a in answers]
            limit = max(len(t) for answer in texts for t in answer.values())
            while True:  # a very long video's many parts: shorten each until the call fits
                prompt = merge_prompt(
                    video, transcript, paragraphs,
                    [(p, {k: _shorten(v, limit) for k, v in t.items()})
                     for p, t in zip(parts, texts, strict=True)],
                    pattern=self._pattern, output_language=self._config.output_language,
                    all_sections=self._sections)
                if limit <= 80 or self._tokens(prompt, model) <= self.input_budget:
                    break
                limit = int(limit * 0.7)
            whole = self._ask(prompt, model, cached=True)
            merged.update({s.name: getattr(whole, s.name) for s in paragraphs})
        return self._model.model_validate(merged)

    def _ask(self, prompt: Prompt, model: type[BaseModel], *, cached: bool = False) -> BaseModel:
        """One request; a cut-off, refused or malformed answer is asked once more."""
        user: str | list[TextBlockParam] = prompt.user
        if cached:  # the <video> block is the same for every part: a second cache breakpoint
            user = [{"type": "text", "text": prompt.context,
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": prompt.request}]
        reason = ""
        # A cut-off, refused or malformed answer is often fine the second time; not the third.
        for _ in range(2):
            try:
                return _read_answer(self._send(prompt.system, user, model), self._config, model)
            except _UnusableAnswer as exc:
                reason = str(exc)
        raise AnalysisError(reason)

    def prepare(self) -> None:
        """Import the SDK and build the client ahead of the first call (the daemon does this
        in the background: the import alone takes about a second)."""
        self._client()

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

    def _send(self, system: str, user: str | list[TextBlockParam],
              model: type[BaseModel]) -> Message:
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
                output_config={"format": {"type": "json_schema", "schema": _schema(model)}},
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
            return AnalysisError(f"the request is too large (413: {detail}): lower "
                                 "`input_token_budget` in config.toml")
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


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    import anthropic

    return anthropic.transform_schema(model)


def _read_pattern(config: Config, vault: Path | None) -> str | None:
    """The text of `prompt_file` (a Fabric pattern's system.md, or its folder), if one is set."""
    path = config.prompt_file
    if path is None:
        return None
    if not path.is_absolute():
        if vault is None:
            raise ConfigError(f"prompt_file {path} is relative and there is no vault to find "
                              "it in: give its full path in config.toml")
        path = vault / path
    if path.is_dir():
        path = path / "system.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"cannot read prompt_file {path} ({why}): fix `prompt_file` in "
                          "config.toml") from None
    if not text.strip():
        raise ConfigError(f"prompt_file {path} is empty: fix `prompt_file` in config.toml")
    return text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _UnusableAnswer(Exception):
    """The model answered, but not with an analysis we can use: worth one more try."""


def _read_answer(message: Message, config: Config, model: type[BaseModel]) -> BaseModel:
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
            f"the request and the answer do not fit in the context window of {config.model!r}: "
            "lower `input_token_budget` (or choose a model with a larger window as `model`) in "
            "config.toml"
        )
    text = "".join(block.text for block in message.content if block.type == "text")
    try:
        return model.model_validate_json(text)
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


def probe_api(config: Config, key: str | None, timeout: float = 15.0) -> tuple[str, str]:
    """One tiny call (`max_tokens` 1, no retries) for `ytvault doctor`: (verdict, detail).

    Verdicts: ok, auth (key refused), permission, model (not found), billing, rate (429),
    server (5xx, overloaded), network (no answer), request (another 4xx). Without a key, a
    dummy one still shows whether the API (or the gateway) answers: `auth` then means reached.
    """
    import anthropic

    base = os.environ.get("ANTHROPIC_BASE_URL", "").strip() or DEFAULT_BASE_URL
    client = anthropic.Anthropic(api_key=key or "sk-ant-ytvault-doctor", base_url=base,
                                 max_retries=0,
                                 timeout=anthropic.Timeout(timeout, connect=min(timeout, 5.0)))
    try:
        client.messages.create(model=config.model, max_tokens=1,
                               messages=[{"role": "user", "content": "Reply with OK."}])
    except anthropic.APIStatusError as exc:
        message = _shorten(str(getattr(exc, "message", "") or exc), 200)
        status = exc.status_code
        if status == 401:
            return "auth", message
        if status == 403:
            return "permission", message
        if status == 404:
            return "model", message
        if status == 402 or "credit balance" in message.lower():
            return "billing", message
        if status == 429:
            return "rate", message
        if status >= 500:
            return "server", f"HTTP {status}: {message}"
        return "request", f"HTTP {status}: {message}"
    except (anthropic.APIConnectionError, anthropic.APITimeoutError) as exc:
        return "network", _shorten(str(exc.__cause__ or exc), 200)
    finally:
        client.close()
    return "ok", base
