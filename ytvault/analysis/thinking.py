"""Thinking under control: how much room one request's answer gets (`max_tokens`), how hard
the model thinks (`effort`), and what the second attempt changes after an answer was cut off.
Pure; claude.py sends what it plans.

Claude's 5.x models think before they answer, adaptively, by default; `max_tokens` caps the
thinking and the answer together, and both are billed as output. So `max_tokens` is sized for
the answer the request asks for plus room for thinking at the chosen effort: enough that an
answer is not cut off, and a bound on what one request can spend. A request whose answer was
cut off is asked once more with more room, and one effort lower when there is no more room to
give or the thinking alone took it all; never the same request twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from ytvault.config.sections import Section
from ytvault.records import NamedTuple

Effort = Literal["low", "medium", "high", "xhigh", "max"]
EFFORTS: tuple[Effort, ...] = ("low", "medium", "high", "xhigh", "max")

# Tokens of one answer item (a sentence of ~25 words, in JSON), of a quote, and the JSON frame.
_ITEM_TOKENS = {"paragraph": 50, "list": 50, "quotes": 40}
_FRAME_TOKENS = 100
# Room for thinking at `high`: a floor plus a share of the input (a longer transcript is more
# to weigh), scaled per effort. Two to four times what bench/cost.py measured the test server
# think (it thinks as Anthropic describes), so a usual answer is not cut off, and a runaway one
# stops at a known cost (docs/analysis.md, "Thinking").
_THINKING_FLOOR, _THINKING_PER_INPUT = 2_000, 0.3
_EFFORT_SHARE: dict[Effort, float] = {
    "low": 0.25, "medium": 0.5, "high": 1.0, "xhigh": 2.0, "max": 4.0}
# Above this expected duration the SDK asks for streaming (its rule: 128,000 output tokens an
# hour), and a long silent request is at the mercy of every proxy's idle timeout.
_TOKENS_AN_HOUR = 128_000
_MAX_QUIET_SECONDS = 600.0


class Attempt(NamedTuple):
    """What one try at a request asks for: its `max_tokens` and effort."""

    max_tokens: int
    effort: Effort


def answer_tokens(sections: Sequence[Section], budgets: Mapping[str, int]) -> int:
    """The tokens of an answer that fills every section's budget."""
    return _FRAME_TOKENS + sum(_ITEM_TOKENS[s.kind] * budgets.get(s.name, 1) for s in sections)


def first_attempt(input_tokens: int, answer: int, effort: Effort, cap: int) -> Attempt:
    """`max_tokens` for an answer of about `answer` tokens (a quarter more, for the model's own
    length) and thinking at `effort` about `input_tokens` of request; at most `cap`."""
    thinking = (_THINKING_FLOOR + _THINKING_PER_INPUT * input_tokens) * _EFFORT_SHARE[effort]
    return Attempt(min(cap, round(answer * 1.25 + thinking)), effort)


def after_cut_off(previous: Attempt, cap: int, *, answered: bool) -> Attempt | None:
    """The second attempt after an answer was cut off at `previous.max_tokens`: twice the
    room (up to `cap`), and one effort lower when the room cannot grow or thinking took all of
    it (`answered`: some of the answer was written). None: nothing left to change."""
    room = min(cap, previous.max_tokens * 2)
    level = EFFORTS.index(previous.effort)
    lower = EFFORTS[level - 1] if level > 0 else previous.effort
    effort = lower if room == previous.max_tokens or not answered else previous.effort
    following = Attempt(room, effort)
    return None if following == previous else following


def needs_streaming(max_tokens: int, timeout: float) -> bool:
    """Whether an answer this long may take longer than a plain request should wait: the
    SDK refuses past ten minutes, and `request_timeout_seconds` may be shorter."""
    expected = 3600 * max_tokens / _TOKENS_AN_HOUR
    return expected > min(_MAX_QUIET_SECONDS, timeout)
