"""What went wrong with a call to the Anthropic API, as ytvault's errors that say what to do:
an error answer (`status_error`), and a 200 that is not a message (`whole`). Pure; claude.py
makes the calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ytvault.analysis.pace import RETRIED_STATUSES
from ytvault.errors import AnalysisAuthError, AnalysisError, AnalysisTransientError

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message

    from ytvault.config.settings import Config


# The error types worth asking again for later, whatever status carried them: a batch's
# errored result, and an error event in the middle of a streamed answer (its status is 200).
TRANSIENT_KINDS = frozenset({"rate_limit_error", "overloaded_error", "api_error",
                             "timeout_error"})


def error_kind(exc: anthropic.APIStatusError) -> str | None:
    """The `error.type` of an error answer's body, if it has one."""
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) else None


def status_error(exc: anthropic.APIStatusError, config: Config, key: str,
                 batch: str | None = None) -> AnalysisError:
    """An error answer as ytvault's error, saying what to do; `batch`: the Message Batch the
    call was about, named instead of the model."""
    status, model = exc.status_code, config.model
    detail = clean(exc.api_message or exc.message, key)
    if status in (401, 403):
        return AnalysisAuthError(
            f"the API key in {config.api_key_env} was refused ({status}): check it at "
            "console.anthropic.com, or set `api_key_env` in config.toml"
        )
    kind = error_kind(exc)
    if status == 200 and kind in TRANSIENT_KINDS:  # an error event in a streamed answer
        what = {"overloaded_error": "is overloaded", "rate_limit_error": "is rate limiting "
                "this key"}.get(kind, "is failing")
        return AnalysisTransientError(f"the Anthropic API {what} ({kind}, in the middle of its "
                                      "answer): the note will be retried later")
    if status in RETRIED_STATUSES or status >= 500:
        what = {429: "is rate limiting this key", 529: "is overloaded", 408: "timed out",
                504: "timed out"}.get(status, "is failing")
        return AnalysisTransientError(
            f"the Anthropic API {what} ({status}, {attempts(config)}): "
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
    if status == 400 and "prompt is too long" in detail.lower():
        # The API's words when the request is over the model's context window.
        return AnalysisError(f"the request is too long for model {model!r} (400: {detail}):"
                             " lower `input_token_budget` in config.toml")
    if status == 400:
        return AnalysisError(
            f"the API rejected the request for model {model!r} (400: {detail}): "
            "check `model` in config.toml"
        )
    return AnalysisError(f"the Anthropic API answered {status}: {detail}")

def attempts(config: Config) -> str:
    """How many times the SDK tries a call, as the error messages say it."""
    tries = config.api_max_retries + 1
    return f"{tries} attempt{'s' if tries > 1 else ''}"


def clean(text: str, key: str) -> str:
    """An outside message as one short line without the key (a gateway may echo it)."""
    line = " ".join(text.replace(key, "[API key]").split())
    return line if len(line) <= 300 else line[:299] + "…"


class MalformedAnswer(AnalysisTransientError):
    """A 200 answer that is not a message: not JSON, no `usage`, an error object."""


def whole(answer: Any) -> Message:
    """`answer` if it is a whole message; the SDK builds whatever JSON came, without checking."""
    from anthropic.types import Message, Usage

    if not isinstance(answer, Message):
        raise MalformedAnswer("the Anthropic API answered with a body that is not JSON "
                               "(check ANTHROPIC_BASE_URL, if you use a gateway)")
    kind = getattr(answer, "type", None)
    if kind != "message":
        error = getattr(answer, "error", None)
        what = error.get("type") if isinstance(error, dict) else None
        raise MalformedAnswer(f"the Anthropic API answered 200 with {kind or 'no type'}"
                               f"{f' ({what})' if isinstance(what, str) else ''} instead of a "
                               "message")
    usage = getattr(answer, "usage", None)
    if not (isinstance(usage, Usage) and isinstance(getattr(usage, "input_tokens", None), int)
            and isinstance(getattr(usage, "output_tokens", None), int)):
        raise MalformedAnswer("the Anthropic API answered with a message without its usage")
    if not isinstance(getattr(answer, "content", None), list):
        raise MalformedAnswer("the Anthropic API answered with a message without content")
    return answer
