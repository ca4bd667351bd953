"""Tokens counted for the model in use (tokens.py): every request ytvault plans fits its budget
by the test server's tokenizer, which is as dense as Anthropic documents the 5.x one."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest
from fakeapi import FakeMessagesAPI
from fakemodel import count_tokens, request_tokens

from ytvault.analysis.chunking import estimate_tokens as char_estimate
from ytvault.analysis.claude import ClaudeAnalyzer
from ytvault.analysis.prompt import system_prompt
from ytvault.analysis.tokens import default_input_budget, estimate_tokens, family
from ytvault.config.sections import DEFAULT_SECTIONS, analysis_model
from ytvault.config.settings import Config
from ytvault.models import Transcript, Video

VIDEOS = Path(__file__).parent / "fixtures" / "cache" / "videos"


def load(video_id: str) -> tuple[Video, Transcript]:
    folder = VIDEOS / video_id
    return (Video.from_info(json.loads((folder / "info.json").read_text(encoding="utf-8"))),
            Transcript.from_json(json.loads((folder / "transcript.json").read_text(
                encoding="utf-8"))))


def test_the_default_budget_follows_the_models_context_window() -> None:
    # Sonnet 5.5 reads 1M tokens; 4.x models 200k; a name we don't know the least
    assert default_input_budget("claude-sonnet-5-5", 64000) == 900_000 - 64000
    assert default_input_budget("anthropic/claude-opus-5.5", 64000) == 900_000 - 64000
    assert default_input_budget("claude-haiku-4-5", 64000) == 180_000 - 64000
    assert default_input_budget("claude-instant-1.2", 4096) == 90_000 - 4096
    assert default_input_budget("my-gateway-alias", 8192) == 90_000 - 8192


@pytest.mark.parametrize("text", [
    " ".join(s.text for s in load("Yf1o0TQzry8")[1].snippets),
    " ".join(s.text for s in load("fxGerman01C")[1].snippets),
    " ".join(s.text for s in load("fxLong00001")[1].snippets),
    json.dumps(anthropic.transform_schema(analysis_model(DEFAULT_SECTIONS))),
    system_prompt(DEFAULT_SECTIONS),
    "今日は日本語の文字起こしについて話します。これはテストです。",
    "Die Größe der Bäume hängt vom Boden ab, 1.250 Meter über dem Meer.",
])
def test_the_5x_estimate_is_never_below_the_denser_tokenizer(text: str) -> None:
    assert estimate_tokens(text, "claude-sonnet-5-5") >= count_tokens(text)
    # ...which characters ÷ 4 undercounts, as Anthropic says it does
    assert count_tokens(text) > char_estimate(text) * 1.2 or not text.isascii()


def test_older_families_are_estimated_as_less_dense() -> None:
    text = " ".join(s.text for s in load("Yf1o0TQzry8")[1].snippets)
    assert estimate_tokens(text, "claude-sonnet-4-6") < estimate_tokens(text, "claude-sonnet-5-5")
    assert family("claude-sonnet-4-6").thinks is False
    assert family("claude-sonnet-5-5").thinks is True


@pytest.mark.parametrize("budget", [9000, 14000, 24000])
def test_every_request_of_a_long_video_fits_its_budget_by_the_real_count(
        api: FakeMessagesAPI, budget: int) -> None:
    video, transcript = load("fxLong00001")
    analyzer = ClaudeAnalyzer(Config(input_token_budget=budget), "sk-test")

    analyzer.analyze(video, transcript)

    sizes = [request_tokens(r.body) for r in api.message_requests]
    assert len(sizes) > 1  # in parts, and merged
    assert max(sizes) <= budget
    # ...and the parts use the budget, not a small share of it
    assert max(sizes) > budget * 0.5
