"""Tokens counted for the model in use: a calibrated estimate per model family, and the input
budget a request may hold, from the family's context window. Pure; claude.py plans with it.

The estimate is chunking's (four ASCII characters a token, one for any other character) times
the family's density. Claude's 5.x tokenizer gives about 30% more tokens for the same text
than Sonnet 4.6's, and characters ÷ 4 undercounts it by 20-65% (Anthropic's Sonnet 5 migration
guide): the 5.x density is the top of that range, so a request planned with it fits however
its text tokenizes. Measured against the test server's tokenizer (tests/fakemodel.py, made to
that guide), transcripts come to 1.27-1.44x chunking's estimate, the instructions 1.47x, the
answer schema 1.63x (docs/analysis.md, "Tokens").
"""

from __future__ import annotations

import math
import re

from ytvault.analysis.chunking import estimate_tokens as char_estimate
from ytvault.records import NamedTuple


class Family(NamedTuple):
    context_window: int  # input and output tokens of one request
    density: float  # the family's tokens per token of chunking's estimate, at most
    thinks: bool = False  # adaptive thinking on by default, its depth set by `effort`


# First match wins. Names are lowercased, "." read as "-" (a gateway's `claude-sonnet-5.5`).
FAMILIES: tuple[tuple[str, Family], ...] = (
    (r"claude-(sonnet|opus|haiku|fable|mythos)-5", Family(1_000_000, 1.65, thinks=True)),
    (r"claude-instant|claude-2-0", Family(100_000, 1.15)),
    # Sonnet 4.6 and earlier: about 3.5 characters a token, some 15% over characters ÷ 4.
    (r"claude-", Family(200_000, 1.15)),
)
# A name we don't know (a gateway's alias): the smallest window and the densest tokenizer.
UNKNOWN = Family(100_000, 1.65)
# The share of the window a default budget leaves the request: its answer is counted apart,
# and the estimate is already an upper bound.
_WINDOW_SHARE = 0.9


def family(model: str) -> Family:
    name = model.lower().replace(".", "-")
    return next((f for pattern, f in FAMILIES if re.search(pattern, name)), UNKNOWN)


def estimate_tokens(text: str, model: str) -> int:
    """At least the tokens `text` takes for `model`, as far as its family's tokenizer is known."""
    return math.ceil(char_estimate(text) * family(model).density)


def default_input_budget(model: str, max_output_tokens: int) -> int:
    """The input tokens one request may hold when `input_token_budget` is not set: the
    model's context window, less room for the answer (thinking included)."""
    return int(family(model).context_window * _WINDOW_SHARE) - max_output_tokens
