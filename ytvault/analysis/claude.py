"""Analyze: a video's metadata and transcript → a validated analysis, by one Claude call, or
one per part of a transcript too long for one request, merged (chunking.py).

The stage between the cache and render; the only module that imports anthropic (lazily: it is
the slowest import of all, docs/benchmarks.md). The prompt is built in prompt.py, the
sections' schema in sections.py.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ValidationError

from ytvault.analysis.chunking import (
    Part,
    default_input_budget,
    estimate_tokens,
    merge_lists,
    part_budgets,
    split_transcript,
)
from ytvault.analysis.pace import RETRIED_STATUSES, ApiPace, LongWait, paced
from ytvault.analysis.prompt import Prompt, analysis_prompt, merge_prompt
from ytvault.config.sections import analysis_model, values
from ytvault.config.settings import Config
from ytvault.cost import Usage
from ytvault.errors import (
    AnalysisAuthError,
    AnalysisError,
    AnalysisTransientError,
    ConfigError,
    MissingApiKey,
)
from ytvault.models import Snippet, Transcript, Video

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message, TextBlockParam
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

DEFAULT_BASE_URL = "https://api.anthropic.com"

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
        # Shared by every worker: one 429 slows them all down (pace.py).
        self.pace = ApiPace(config.concurrency)

    @property
    def input_budget(self) -> int:
        return self._config.input_token_budget or default_input_budget(
            self._config.model, self._config.max_output_tokens)

    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> BaseModel:
        """One model call (two when the first answer is unusable) → the video's analysis; for a
        transcript longer than `input_token_budget`, one per part and one to merge them. The
        tokens of every request it makes are added to `usage` (cost.py), those of a call that
        fails afterwards too: they are spent.

        Raises AnalysisAuthError (key refused), AnalysisTransientError (rate limits, overload,
        network, after the SDK's retries) or AnalysisError (anything retrying now won't fix).
        """
        if transcript.is_empty:
            raise ValueError(f"video {video.id} has no transcript: there is nothing to analyse")
        usage = Usage() if usage is None else usage
        parts = self.plan(video, transcript)
        if len(parts) == 1:
            return self._ask(self._prompt(video, transcript), self._model, usage)
        # One part after the other: each reads the instructions the first one cached.
        answers = [self._ask(self._prompt(video, transcript, part), self._model, usage,
                             cached=True) for part in parts]
        return self._merge(video, transcript, parts, answers, usage)

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
               answers: Sequence[BaseModel], usage: Usage) -> BaseModel:
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
            whole = self._ask(prompt, model, usage, cached=True)
            merged.update({s.name: getattr(whole, s.name) for s in paragraphs})
        return self._model.model_validate(merged)

    def _ask(self, prompt: Prompt, model: type[BaseModel], usage: Usage, *,
             cached: bool = False) -> BaseModel:
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
                message = self._send(self._params(prompt.system, user, model))
                self._count(message, usage)
                return _read_answer(message, self._config, model)
            except _UnusableAnswer as exc:
                reason = str(exc)
        raise AnalysisError(reason)

    def prepare(self) -> None:
        """Import the SDK and build the client ahead of the first call (the daemon does this
        in the background, so the first paste does not wait for the import), and the answer's
        JSON schema, which pydantic builds on first use."""
        self._client()
        _schema(self._model)

    def _client(self) -> anthropic.Anthropic:
        with self._lock:
            if self._sdk is None:
                import anthropic

                seconds = self._config.request_timeout_seconds
                self._sdk = anthropic.Anthropic(
                    api_key=self._api_key,
                    base_url=base_url(),
                    max_retries=self._config.api_max_retries,
                    # A black-holed connection should not cost the full answer timeout per retry.
                    timeout=anthropic.Timeout(seconds, connect=min(seconds, 10.0)),
                    middleware=[paced(self.pace)],
                )
            return self._sdk

    def _params(self, system: str, user: str | list[TextBlockParam],
                model: type[BaseModel]) -> dict[str, Any]:
        """The Messages request: sent at once, or as one request of a Message Batch."""
        return {
            "model": self._config.model,
            "max_tokens": self._config.max_output_tokens,
            # The instructions are the same for every video, so they come first with a cache
            # breakpoint after them; below the model's minimum cacheable length it is a no-op.
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": user}],
            "output_config": {"format": {"type": "json_schema", "schema": _schema(model)}},
        }

    def _count(self, message: Message, usage: Usage, *, batch: bool = False) -> None:
        used = message.usage
        usage.add(message.model or self._config.model, used.input_tokens, used.output_tokens,
                  used.cache_creation_input_tokens or 0, used.cache_read_input_tokens or 0,
                  batch=batch)

    def _send(self, params: dict[str, Any]) -> Message:
        # create(), not parse(): parse() validates inside the SDK, before we can see that
        # stop_reason says the answer was cut off or refused.
        message: Message = self._calling(lambda client: client.messages.create(**params))
        return message

    def _calling(self, call: Callable[[anthropic.Anthropic], Any], *,
                 batch: str | None = None) -> Any:
        """`call(client)`, its failures as ytvault's errors with what to do about them;
        `batch`: the id of the Message Batch the call is about, to name it instead of the
        model."""
        import anthropic

        client = self._client()
        try:
            return call(client)
        except LongWait as exc:
            raise AnalysisTransientError(
                f"the Anthropic API asked to wait {exc.seconds:.0f} s before retrying "
                f"({exc.status}): the note will be retried later"
            ) from None
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc, batch) from exc
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

    # The Message Batches API (batch.py runs it): half price, answers within 24 hours.

    def batch_request(self, video: Video, transcript: Transcript) -> dict[str, Any] | None:
        """The request that analyses this video in one call, for a batch; None when its
        transcript is sent in parts (those go live: each part's merge needs all the others)."""
        if transcript.is_empty or len(self.plan(video, transcript)) > 1:
            return None
        prompt = self._prompt(video, transcript)
        return self._params(prompt.system, prompt.user, self._model)

    def submit_batch(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> str:
        """Create a Message Batch of (custom_id, request) pairs; returns its id."""
        batch = self._calling(lambda client: client.messages.batches.create(requests=[
            {"custom_id": cid, "params": cast("MessageCreateParamsNonStreaming", params)}
            for cid, params in requests]))
        return str(batch.id)

    def batch_state(self, batch_id: str) -> tuple[bool, dict[str, int]]:
        """Whether the batch has ended, and its request counts (processing, succeeded…)."""
        batch = self._calling(lambda client: client.messages.batches.retrieve(batch_id),
                              batch=batch_id)
        return batch.processing_status == "ended", dict(batch.request_counts)

    def batch_results(self, batch_id: str) -> Iterator[tuple[str, Any]]:
        """(custom_id, result) of an ended batch, streamed as the results file is read."""
        lines = self._calling(lambda client: client.messages.batches.results(batch_id),
                              batch=batch_id)
        try:
            for line in lines:
                yield line.custom_id, line.result
        finally:
            lines.close()

    def batch_answer(self, video: Video, transcript: Transcript, result: Any,
                     usage: Usage) -> BaseModel:
        """The analysis in a batch's result. An unusable answer (cut off, refused, invalid) is
        asked for once more, live, as a live call's would be; a failed request raises the
        error a live call would have."""
        if result.type == "succeeded":
            self._count(result.message, usage, batch=True)
            try:
                return _read_answer(result.message, self._config, self._model)
            except _UnusableAnswer:
                return self.analyze(video, transcript, usage)
        if result.type == "errored":
            error = result.error.error
            kind, detail = str(error.type), self._clean(str(error.message))
            if kind in ("authentication_error", "permission_error"):
                raise AnalysisAuthError(
                    f"the API key in {self._config.api_key_env} was refused ({kind}): check "
                    "it at console.anthropic.com, or set `api_key_env` in config.toml")
            if kind in ("rate_limit_error", "overloaded_error", "api_error", "timeout_error"):
                raise AnalysisTransientError(f"the batch request failed ({kind}: {detail}): "
                                             "the next `ytvault sync --batch` asks again")
            raise AnalysisError(f"the batch request failed ({kind}: {detail}): check `model` "
                                "in config.toml")
        raise AnalysisTransientError(f"the Message Batch ended ({result.type}) before this "
                                     "analysis was made: the next `ytvault sync` asks again")

    def _status_error(self, exc: anthropic.APIStatusError,
                      batch: str | None = None) -> AnalysisError:
        status, model = exc.status_code, self._config.model
        detail = self._clean(exc.api_message or exc.message)
        if status in (401, 403):
            return AnalysisAuthError(
                f"the API key in {self._config.api_key_env} was refused ({status}): check it at "
                "console.anthropic.com, or set `api_key_env` in config.toml"
            )
        if status in RETRIED_STATUSES or status >= 500:
            what = {429: "is rate limiting this key", 529: "is overloaded", 408: "timed out",
                    504: "timed out"}.get(status, "is failing")
            return AnalysisTransientError(
                f"the Anthropic API {what} ({status}, {self._attempts()}): "
                "the note will be retried later"
            )
        if status == 404 and batch is not None:
            return AnalysisError(
                f"batch {batch} not found (404: {detail}): it was made with another API key, "
                "or deleted (and ANTHROPIC_BASE_URL, if you use a gateway)")
        if batch is not None:
            return AnalysisError(f"the Anthropic API answered {status} about batch {batch}: "
                                 f"{detail}")
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


def base_url() -> str:
    """Where the Messages API is: ANTHROPIC_BASE_URL (a gateway), else the API's own. A blank
    one, left by `export ANTHROPIC_BASE_URL=`, means the API's own: the SDK would send every
    request to "" and fail only after all retries."""
    return os.environ.get("ANTHROPIC_BASE_URL", "").strip() or DEFAULT_BASE_URL


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    import anthropic

    return anthropic.transform_schema(model)


def _read_pattern(config: Config, vault: Path | None) -> str | None:
    """The text of `prompt_file` (a Fabric pattern's system.md, or its folder), if one is set."""
    if config.prompt_file is None:
        return None
    path = config.resolve(config.prompt_file, vault, "prompt_file")
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


def probe_api(config: Config, key: str | None, timeout: float = 15.0) -> tuple[str, str]:
    """One tiny call (`max_tokens` 1, no retries) for `ytvault doctor`: (verdict, detail).

    Verdicts: ok, auth (key refused), permission, model (not found), billing, rate (429),
    server (5xx, overloaded), network (no answer), request (another 4xx). Without a key, a
    dummy one still shows whether the API (or the gateway) answers: `auth` then means reached.
    """
    import anthropic

    base = base_url()
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
