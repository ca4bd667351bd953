"""Reading the model's answer: the analysis in its text block, or why there is none. Pure;
claude.py sends the requests and decides what to try next.

A thinking model's answer has thinking blocks before the text: only `text` blocks are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from ytvault.errors import AnalysisError

if TYPE_CHECKING:
    from anthropic.types import Message


class UnusableAnswer(Exception):
    """The model answered, but not with an analysis we can use: worth one more try."""


class CutOff(UnusableAnswer):
    """The answer reached `max_tokens`; `answered`: some text came after the thinking."""

    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


def read_answer(message: Message, model_name: str, model: type[BaseModel]) -> BaseModel:
    """The analysis in `message`; UnusableAnswer (CutOff) when another try may do better,
    AnalysisError when it cannot."""
    text = "".join(block.text for block in message.content if block.type == "text")
    if message.stop_reason == "refusal":
        raise UnusableAnswer("the model refused to analyse this video")
    if message.stop_reason == "max_tokens":
        raise CutOff("the model's answer was cut off", answered=bool(text.strip()))
    if message.stop_reason == "model_context_window_exceeded":
        # The same transcript will not fit the second time either.
        raise AnalysisError(
            f"the request and the answer do not fit in the context window of {model_name!r}: "
            "lower `input_token_budget` (or choose a model with a larger window as `model`) in "
            "config.toml"
        )
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise UnusableAnswer(f"the model's answer was not valid: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{more}"
