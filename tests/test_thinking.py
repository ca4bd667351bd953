"""Thinking under control (thinking.py, claude.py) against a test server that thinks as the 5.x
models do; and that server itself, read through the real SDK, so the tests above it mean what
they say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import pytest
from conftest import cli_env
from fakeapi import FakeMessagesAPI
from fakemodel import EFFORTS, count_tokens, request_tokens
from fakewire import Reply

from ytvault.analysis.claude import ClaudeAnalyzer
from ytvault.analysis.thinking import Attempt, after_cut_off, needs_streaming
from ytvault.config.settings import Config
from ytvault.errors import AnalysisError
from ytvault.models import Transcript, Video

VIDEOS = Path(__file__).parent / "fixtures" / "cache" / "videos"
LONG = "fxLong00001"  # 2:13:07, ten chapters: the two-hour fixture
SEED = "Yf1o0TQzry8"


def load(video_id: str) -> tuple[Video, Transcript]:
    folder = VIDEOS / video_id
    return (Video.from_info(json.loads((folder / "info.json").read_text(encoding="utf-8"))),
            Transcript.from_json(json.loads((folder / "transcript.json").read_text(
                encoding="utf-8"))))


def client(api: FakeMessagesAPI) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="k", base_url=api.base_url, max_retries=0)


def ask(api: FakeMessagesAPI, **params: Any) -> Any:
    """A request; what this SDK no longer takes as an argument (sampling) goes in the body."""
    extra = {k: params.pop(k) for k in ("temperature", "top_p", "top_k") if k in params}
    request = {"model": "claude-sonnet-5-5", "max_tokens": 4000,
               "messages": [{"role": "user", "content": "Summarise: " + "the soil " * 300}],
               **params}
    # a timeout of our own: past the SDK's check of a long non-streamed max_tokens
    return client(api).messages.create(**request, extra_body=extra, timeout=30)


# The server thinks as the 5.x models do.


def test_a_5x_model_thinks_first_and_the_thinking_is_billed_as_output(
        api: FakeMessagesAPI) -> None:
    message = ask(api)

    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.signature and text.type == "text"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens > count_tokens(text.text) + 300
    assert message.usage.input_tokens == request_tokens(api.message_requests[0].body)


def test_thinking_follows_effort_and_a_4x_model_does_not_think(api: FakeMessagesAPI) -> None:
    spent = [ask(api, output_config={"effort": e}).usage.output_tokens for e in EFFORTS]

    assert spent == sorted(spent) and len(set(spent)) == len(EFFORTS)
    older = ask(api, model="claude-sonnet-4-6")
    assert [b.type for b in older.content] == ["text"]


def test_an_answer_is_cut_at_max_tokens_thinking_included(api: FakeMessagesAPI) -> None:
    api.script(Reply.analysis({"summary": "word " * 400}, thinking=300))

    message = ask(api, max_tokens=500)

    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 500
    text = message.content[1].text
    assert text.startswith('{"summary": "word') and not text.endswith("}")  # truncated JSON
    assert count_tokens(text) <= 200


@pytest.mark.parametrize(("params", "words"), [
    ({"thinking": {"type": "disabled"}}, "disabled"),
    ({"thinking": {"type": "enabled", "budget_tokens": 2000}}, "budget_tokens"),
    ({"thinking": {"type": "enabled"}}, "adaptive"),  # only adaptive (or between_tools)
    ({"temperature": 0.2}, "temperature"),
    ({"top_p": 0.9}, "top_p"),
    ({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "{"}]},
     "prefill"),
    ({"tools": [{"name": "t", "input_schema": {"type": "object"}}],
      "tool_choice": {"type": "tool", "name": "t"}}, "tool_choice"),
    ({"max_tokens": 200_000}, "max_tokens"),
])
def test_what_the_5x_models_refuse_is_refused(params: dict[str, Any], words: str) -> None:
    with FakeMessagesAPI() as api:
        api.expect_refusals()
        with pytest.raises(anthropic.BadRequestError, match=words):
            ask(api, **params)
    assert len(api.refused) == 1


def test_a_refused_request_fails_the_test_that_sent_it() -> None:
    with pytest.raises(AssertionError, match=r"refused 1 request.*temperature"), \
            FakeMessagesAPI() as api, pytest.raises(anthropic.BadRequestError):
        ask(api, temperature=0.0)


def test_a_streamed_answer_has_thinking_deltas_then_the_text(api: FakeMessagesAPI) -> None:
    kinds: list[str] = []
    with client(api).messages.stream(model="claude-sonnet-5-5", max_tokens=4000, messages=[
            {"role": "user", "content": "Summarise: " + "the soil " * 300}]) as stream:
        kinds = [event.type for event in stream]
        streamed = stream.get_final_message()

    assert kinds.index("thinking") < kinds.index("signature") < kinds.index("text")
    assert [b.type for b in streamed.content] == ["thinking", "text"]
    plain = ask(api)
    assert streamed.content[1].text == plain.content[1].text
    assert streamed.usage.output_tokens == plain.usage.output_tokens


# ytvault thinks on purpose.


def test_effort_is_sent_and_max_tokens_follows_it_and_the_transcript(
        api: FakeMessagesAPI) -> None:
    sizes = {}
    for effort in ("low", "medium", "max"):
        for video_id in (SEED, LONG):
            ClaudeAnalyzer(Config(effort=effort), "k").analyze(*load(video_id))
            body = api.message_requests[-1].body
            assert body["output_config"]["effort"] == effort
            sizes[effort, video_id] = body["max_tokens"]
    assert sizes["low", SEED] < sizes["medium", SEED] < sizes["max", SEED]
    assert all(sizes[e, SEED] < sizes[e, LONG] for e in ("low", "medium", "max"))
    assert len(api.message_requests) == 6  # every one answered the first time


def test_a_two_hour_video_is_one_streamed_request_with_a_thinking_model(
        api: FakeMessagesAPI) -> None:
    video, transcript = load(LONG)

    result = ClaudeAnalyzer(Config(), "k").analyze(video, transcript)

    [request] = api.message_requests
    assert request.body["stream"] is True  # its max_tokens could take past the timeout
    assert needs_streaming(request.body["max_tokens"], Config().request_timeout_seconds)
    assert result.summary.startswith(f"A speaker presents {video.title}.")
    assert len(result.ideas) >= 8 and all(q in transcript.text for q in result.quotes)


def test_a_cut_off_answer_is_asked_again_with_more_room_then_a_lower_effort() -> None:
    assert after_cut_off(Attempt(3000, "high"), 64000, answered=True) == Attempt(6000, "high")
    # thinking took it all: more room and less thinking
    assert after_cut_off(Attempt(3000, "high"), 64000, answered=False) == Attempt(6000, "medium")
    # no more room to give: less thinking
    assert after_cut_off(Attempt(64000, "max"), 64000, answered=True) == Attempt(64000, "xhigh")
    # nothing left to change: no second attempt like the first
    assert after_cut_off(Attempt(64000, "low"), 64000, answered=True) is None


def test_a_model_that_thinks_too_long_gets_a_second_attempt_that_fits() -> None:
    with FakeMessagesAPI(thinking_scale=8) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.base_url
        try:
            result = ClaudeAnalyzer(Config(), "k").analyze(*load(LONG))
        finally:
            del os.environ["ANTHROPIC_BASE_URL"]

    first, second = (r.body for r in api.message_requests)
    assert first["output_config"]["effort"] == "medium"
    assert second["output_config"]["effort"] == "low"  # thinking ate all of the first
    assert second["max_tokens"] == 2 * first["max_tokens"]
    assert result.quotes


def test_a_model_that_thinks_far_too_long_fails_after_two_paid_attempts() -> None:
    with FakeMessagesAPI(thinking_scale=40) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.base_url
        try:
            with pytest.raises(AnalysisError) as caught:
                ClaudeAnalyzer(Config(), "k").analyze(*load(LONG))
        finally:
            del os.environ["ANTHROPIC_BASE_URL"]

    assert len(api.message_requests) == 2
    message = str(caught.value)
    assert "\n" not in message and "cut off twice" in message
    assert "lower `effort` or raise `max_output_tokens`" in message


# The exit code says so: a subprocess, as a person runs it.


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    return cli_env(tmp_path, cache_dir, "api_max_retries = 0\n", ANTHROPIC_API_KEY="sk-test")


def ytvault(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_failed_analysis_exits_1_and_the_last_line_says_what_failed_first(
        vault: Path, env: dict[str, str]) -> None:
    (vault / "a long one.md").write_text(f"https://youtu.be/{LONG}\n")
    (vault / "seed.md").write_text(f"https://youtu.be/{SEED}\n")
    with FakeMessagesAPI(thinking_scale=40) as api:
        result = ytvault({**env, "ANTHROPIC_BASE_URL": api.base_url}, "sync", str(vault))

    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ytvault: failed first: a long one.md: analysis failed: the model's "
                           "answer was cut off twice")
    # the note is written all the same, with why in it, and the URL kept
    text = (vault / "a long one.md").read_text()
    assert "cut off twice" in text and f"https://youtu.be/{LONG}" in text
    assert "Traceback" not in result.stderr


def test_a_refused_key_exits_1_for_sync_and_process(vault: Path, env: dict[str, str]) -> None:
    (vault / "seed.md").write_text(f"https://youtu.be/{SEED}\n")
    with FakeMessagesAPI(api_key="sk-the-right-one") as api:
        env = {**env, "ANTHROPIC_BASE_URL": api.base_url}
        synced = ytvault(env, "sync", str(vault))
        (vault / "other.md").write_text(f"https://youtu.be/{SEED}\n")
        processed = ytvault(env, "process", str(vault / "other.md"))

    for result in (synced, processed):
        assert result.returncode == 1, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert "failed first:" in last and "was refused (401)" in last
        assert "sk-test" not in result.stdout + result.stderr


def test_new_exits_1_when_the_new_notes_analysis_failed(vault: Path, env: dict[str, str]) -> None:
    with FakeMessagesAPI(thinking_scale=40) as api:
        result = ytvault({**env, "ANTHROPIC_BASE_URL": api.base_url}, "new", "--vault",
                         str(vault), f"https://youtu.be/{LONG}")

    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("filled: ")  # the note is there, with why in it
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ytvault: failed first: ") and "cut off twice" in last
