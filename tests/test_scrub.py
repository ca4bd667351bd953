"""scrub.py's shortcuts (a line of plain ASCII skips the control-character patterns; a line
naming no credential skips the credential patterns) change nothing: every line comes out as
the patterns, all applied, make it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ytvault.commands import scrub

pytestmark = pytest.mark.unit

PIECES = ["sk-ant-api03-AbC_dEf-0123", "x-api-key: ", "API_KEY=", "apikey ", "Authorization: ",
          "authorization=", "Bearer ", "bearer ", "\u212aey: ", "AUTHORİZATION: ", "token123",
          "'", '"', " ", ";", "\x1b[31m", "\x1b]0;title\x07", "\x9b2J", "\x07", "\t", "\n",
          "\u202e", "\u2066", "\u2028", "é", "動画", "[API key]", "k", "e", "y", "-", "_"]


def _masked(text: str) -> str:
    text = re.sub(scrub._KEY_LIKE, scrub.MASK, text)
    return re.sub(scrub._CREDENTIAL, lambda m: m.group(1) + scrub.MASK, text)


def _everything(text: str) -> str:
    """printable() without its shortcuts: every pattern, on every line."""
    text = _masked(re.sub(scrub._CONTROL, " ", re.sub(scrub._ESCAPE, " ", text)))
    joined = re.sub(scrub._BIDI, "", text)  # masked again only where a control was taken out
    return scrub.cut(text if joined == text else _masked(joined), scrub.LINE_LIMIT)


def _before(text: str) -> str:
    """printable() as it was before the shortcuts: masked, then bidi controls dropped."""
    text = re.sub(scrub._CONTROL, " ", re.sub(scrub._ESCAPE, " ", text))
    return scrub.cut(re.sub(scrub._BIDI, "", _masked(text)), scrub.LINE_LIMIT)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # only the patterns mask here


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join))
def test_the_shortcuts_change_nothing(text: str) -> None:
    assert scrub.printable(text) == _everything(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join))
def test_nothing_masked_before_goes_unmasked(text: str) -> None:
    """Every secret the earlier printable() hid is still hidden (it may hide more now)."""
    before, now = _before(text), scrub.printable(text)
    hidden = [m.group() for m in re.finditer(r"[^\s'\",;}\]]{4,}", text)
              if m.group() not in before]
    assert [h for h in hidden if h in now] == []


@pytest.mark.parametrize("text", [
    "X\u2066Authorization: hunter2", "proxy\u200eapikey=hunter2", "key sk-ant-\u200eapi03abcdefgh",
    "\u202eapi_key=hunter2\u202c"])
def test_a_bidi_control_neither_reveals_nor_splits_a_credential(text: str) -> None:
    line = scrub.printable(text)
    assert "[API key]" in line and "hunter2" not in line and "abcdefgh" not in line


def test_a_plain_line_is_left_as_it_is() -> None:
    assert scrub.printable("stubs not yet filled: 3") == "stubs not yet filled: 3"
    assert scrub.printable("a\x1b[31mred\x1b[0m\u202eline") == "a red line"
    assert scrub.printable("api_key = sk-ant-api03-AbCdEfGh") == "api_key = [API key]"
