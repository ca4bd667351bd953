"""Analyze: a video's metadata and transcript → a validated analysis, by one Claude call, or
one per part of a transcript too long for one request, merged (chunking.py).

The stage between the cache and render; the only module that imports anthropic (lazily: it is
the slowest import of all, docs/benchmarks.md). The prompt is built in prompt.py, the
sections' schema in sections.py.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from ytvault.analysis.answer import CutOff, UnusableAnswer, read_answer
from ytvault.analysis.chunking import Part, part_budgets, split_transcript
from ytvault.analysis.failures import (
    TRANSIENT_KINDS,
    MalformedAnswer,
    attempts,
    clean,
    status_error,
    whole,
)
from ytvault.analysis.pace import ApiPace, LongWait, paced
from ytvault.analysis.prompt import Prompt, analysis_prompt, merge_prompt
from ytvault.analysis.synthesis import merge_model, merged_analysis, quote_pool
from ytvault.analysis.thinking import (
    Attempt,
    after_cut_off,
    answer_tokens,
    first_attempt,
    needs_streaming,
)
from ytvault.analysis.tokens import default_input_budget, estimate_tokens, family
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
# Seconds before the first retry of an answer that is not a message (doubling, as the SDK's).
MALFORMED_BACKOFF = 0.5
# Tokens of a request's framing (roles, turn and block markers) beyond its texts.
_FRAMING = 50


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
        self._family = family(config.model)
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
        transcript longer than `input_token_budget`, one per part and one to write the whole
        video's from theirs. The tokens of every request it makes are added to `usage`
        (cost.py), those of a call that fails afterwards too: they are spent.

        Raises AnalysisAuthError (key refused), AnalysisTransientError (rate limits, overload,
        network, after the SDK's retries) or AnalysisError (anything retrying now won't fix).
        """
        if transcript.is_empty:
            raise ValueError(f"video {video.id} has no transcript: there is nothing to analyse")
        usage = Usage() if usage is None else usage
        parts = self.plan(video, transcript)
        if len(parts) == 1:
            return self._ask(self._prompt(video, transcript), self._model, usage,
                             self._answer(transcript, duration=video.duration))
        # One part after the other: each reads the instructions the first one cached.
        answers = [self._ask(self._prompt(video, transcript, part), self._model, usage,
                             self._answer(part.transcript), cached=True) for part in parts]
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
        if room < 200 * self._family.density:
            raise AnalysisError(
                f"input_token_budget={budget} leaves no room for the transcript: the "
                f"instructions and the video's metadata alone take about {overhead} tokens; "
                "raise it in config.toml")
        # chunking counts characters ÷ 4; the family's tokens are denser
        return split_transcript(transcript, video.chapters, int(room / self._family.density),
                                video.duration)

    def _answer(self, piece: Transcript, *, duration: float | None = None) -> int:
        """The tokens of an answer that fills the sections' budgets for `piece` (lasting
        `duration` seconds, when known)."""
        return answer_tokens(self._sections, part_budgets(self._sections, piece, duration))

    def _prompt(self, video: Video, transcript: Transcript, part: Part | None = None) -> Prompt:
        return analysis_prompt(video, transcript, sections=self._sections, pattern=self._pattern,
                               output_language=self._config.output_language, part=part)

    def _tokens(self, prompt: Prompt, model: type[BaseModel] | None = None) -> int:
        """The estimated input tokens of a request: instructions, message and answer schema."""
        schema = json.dumps(_schema(model or self._model))
        return _FRAMING + sum(estimate_tokens(text, self._config.model)
                              for text in (prompt.system, prompt.user, schema))

    def _merge(self, video: Video, transcript: Transcript, parts: Sequence[Part],
               answers: Sequence[BaseModel], usage: Usage) -> BaseModel:
        """The whole video's analysis, written by one more call from every part's candidate
        items and the quotes found in its transcript (synthesis.py)."""
        pool = quote_pool(self._sections, parts, answers)
        items = [{s.name: values(a, s) for s in self._sections} for a in answers]
        model = merge_model(self._sections)
        limit = max((len(i) for answer in items for v in answer.values() for i in v), default=80)
        keep = max((len(v) for answer in items for v in answer.values()), default=1)
        # A very long video's many parts: shorten each item until the call fits, then send
        # fewer of each part's candidates (the parts give their best first).
        while True:
            chosen = [q for q in pool if q.rank < keep]
            prompt = merge_prompt(
                video, transcript, self._sections,
                [(p, {k: [_shorten(i, limit) for i in v[:keep]] for k, v in answer.items()})
                 for p, answer in zip(parts, items, strict=True)], chosen,
                pattern=self._pattern, output_language=self._config.output_language)
            if self._tokens(prompt, model) <= self.input_budget:
                break
            if limit > 80:
                limit = max(80, int(limit * 0.7))
            elif keep > 1:
                keep //= 2
            else:
                raise AnalysisError(
                    f"input_token_budget={self.input_budget} is too small to write the whole "
                    f"video's analysis from its {len(parts)} parts: raise it in config.toml")
        pool = chosen
        answer = self._ask(prompt, model, usage, self._answer(transcript, duration=video.duration),
                           cached=True)
        caps = part_budgets(self._sections, transcript, video.duration)
        return merged_analysis(answer, self._sections, pool, caps, self._model)

    def _ask(self, prompt: Prompt, model: type[BaseModel], usage: Usage, answer: int, *,
             cached: bool = False, attempt: Attempt | None = None,
             earlier: Sequence[Attempt] = ()) -> BaseModel:
        """One request, for an answer of about `answer` tokens; a cut-off, refused or
        malformed answer is asked once more (a cut-off one with more room or less thinking):
        at most two paid attempts (`earlier`: those made already, in a Message Batch)."""
        user: str | list[TextBlockParam] = prompt.user
        if cached:  # the <video> block is the same for every part: a second cache breakpoint
            user = [{"type": "text", "text": prompt.context,
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": prompt.request}]
        cap = self._config.max_output_tokens
        following: Attempt | None = attempt or self.first_attempt(prompt, model, answer)
        tried: list[Attempt] = list(earlier)
        problem: UnusableAnswer | None = None
        # A cut-off, refused or malformed answer is often fine the second time; not the third.
        while following is not None and len(tried) < 2:
            tried.append(following)
            try:
                message = self._send(self._params(prompt.system, user, model, following))
                self._count(message, usage)
                return read_answer(message, self._config.model, model)
            except CutOff as exc:
                problem = exc
                following = after_cut_off(following, cap, answered=exc.answered)
            except UnusableAnswer as exc:
                problem = exc
        if isinstance(problem, CutOff):
            raise AnalysisError(self._cut_off(tried))
        raise AnalysisError(str(problem))

    def first_attempt(self, prompt: Prompt, model: type[BaseModel], answer: int) -> Attempt:
        return first_attempt(self._tokens(prompt, model), answer, self._config.effort,
                             self._config.max_output_tokens)

    def _cut_off(self, tried: Sequence[Attempt]) -> str:
        what = ", then ".join(f"max_tokens={a.max_tokens}" + (
            f" at effort {a.effort}" if self._family.thinks else "") for a in tried)
        n = len(tried)
        return (f"the model's answer was cut off {'twice' if n > 1 else 'once'} ({what}; "
                "thinking counts against it): lower `effort` or raise `max_output_tokens` in "
                "config.toml")

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
                model: type[BaseModel], attempt: Attempt) -> dict[str, Any]:
        """The Messages request: sent at once, or as one request of a Message Batch."""
        output: dict[str, Any] = {"format": {"type": "json_schema", "schema": _schema(model)}}
        if self._family.thinks:  # other models may not know `effort`: a 400
            output["effort"] = attempt.effort
        return {
            "model": self._config.model,
            "max_tokens": attempt.max_tokens,
            # The instructions are the same for every video, so they come first with a cache
            # breakpoint after them; below the model's minimum cacheable length it is a no-op.
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": user}],
            "output_config": output,
        }

    def _count(self, message: Message, usage: Usage, *, batch: bool = False) -> None:
        used = message.usage
        usage.add(message.model or self._config.model, used.input_tokens, used.output_tokens,
                  used.cache_creation_input_tokens or 0, used.cache_read_input_tokens or 0,
                  batch=batch)

    def _send(self, params: dict[str, Any]) -> Message:
        # create(), not parse(): parse() validates inside the SDK, before we can see that
        # stop_reason says the answer was cut off or refused.
        def streamed(client: anthropic.Anthropic) -> Message:
            with client.messages.stream(**params) as stream:
                return stream.get_final_message()

        def created(client: anthropic.Anthropic) -> Message:
            message: Message = client.messages.create(**params)
            return message

        call = (streamed if needs_streaming(params["max_tokens"],
                                            self._config.request_timeout_seconds) else created)
        # A 200 that is not a message (a gateway's hiccup) is retried as the SDK retries a 5xx,
        # which it does not do for these itself.
        for attempt in range(self._config.api_max_retries + 1):
            if attempt:
                time.sleep(min(MALFORMED_BACKOFF * 2 ** (attempt - 1), 8.0)
                           * (1 - 0.25 * random.random()))
            try:
                return whole(self._calling(call))
            except MalformedAnswer as exc:
                last = exc
        raise AnalysisTransientError(f"{last} ({attempts(self._config)}): the note will be retried "
                                     "later") from None

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
            raise status_error(exc, self._config, self._api_key, batch) from exc
        except anthropic.APITimeoutError as exc:
            raise AnalysisTransientError(
                f"the model call timed out after {self._config.request_timeout_seconds:g} s "
                f"({attempts(self._config)}): raise `request_timeout_seconds` in config.toml if it "
                "keeps happening"
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError,
                anthropic.APIResponseValidationError) as exc:
            raise MalformedAnswer("the Anthropic API answered with a body that is not JSON "
                                   "(check ANTHROPIC_BASE_URL, if you use a gateway)") from exc
        except anthropic.APIConnectionError as exc:
            url = client.base_url  # scheme, host and port only: a gateway URL may hold a secret
            where = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
            raise AnalysisTransientError(
                f"cannot reach the Anthropic API at {where} ({attempts(self._config)}): "
                f"{clean(str(exc.__cause__ or exc), self._api_key)}"
            ) from exc
        except anthropic.AnthropicError as exc:
            detail = clean(str(exc), self._api_key)
            raise AnalysisError(f"the Anthropic SDK failed: {detail}") from exc

    # The Message Batches API (batch.py runs it): half price, answers within 24 hours.

    def batch_request(self, video: Video, transcript: Transcript) -> dict[str, Any] | None:
        """The request that analyses this video in one call, for a batch; None when its
        transcript is sent in parts (those go live: each part's merge needs all the others)."""
        if transcript.is_empty or len(self.plan(video, transcript)) > 1:
            return None
        prompt = self._prompt(video, transcript)
        answer = self._answer(transcript, duration=video.duration)
        attempt = self.first_attempt(prompt, self._model, answer)
        return self._params(prompt.system, prompt.user, self._model, attempt)

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
                return read_answer(result.message, self._config.model, self._model)
            except UnusableAnswer as exc:
                # the batch's was the first of the two paid attempts
                prompt = self._prompt(video, transcript)
                answer = self._answer(transcript, duration=video.duration)
                first = self.first_attempt(prompt, self._model, answer)
                second = (after_cut_off(first, self._config.max_output_tokens,
                                        answered=exc.answered)
                          if isinstance(exc, CutOff) else first)
                if second is None:
                    raise AnalysisError(self._cut_off([first])) from None
                return self._ask(prompt, self._model, usage, answer, attempt=second,
                                 earlier=[first])
        if result.type == "errored":
            error = result.error.error
            kind, detail = str(error.type), clean(str(error.message), self._api_key)
            if kind in ("authentication_error", "permission_error"):
                raise AnalysisAuthError(
                    f"the API key in {self._config.api_key_env} was refused ({kind}): check "
                    "it at console.anthropic.com, or set `api_key_env` in config.toml")
            if kind in TRANSIENT_KINDS:
                raise AnalysisTransientError(f"the batch request failed ({kind}: {detail}): "
                                             "the next `ytvault sync --batch` asks again")
            raise AnalysisError(f"the batch request failed ({kind}: {detail}): check `model` "
                                "in config.toml")
        raise AnalysisTransientError(f"the Message Batch ended ({result.type}) before this "
                                     "analysis was made: the next `ytvault sync` asks again")


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
