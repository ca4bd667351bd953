"""Cost benchmark: what one note's analysis takes at each thinking effort, how much of it is
ytvault's own instructions next to the transcript, and what prompt caching saves a long
video's parts. Every call goes to the fake Messages API (tests/fakeapi.py), which thinks and
counts tokens as Anthropic documents the 5.x models (tests/fakemodel.py: thinking billed as
output and taken out of max_tokens, its depth following `effort`; a tokenizer denser than
characters / 4).

1. The seed video (tests/fixtures, Yf1o0TQzry8): its request's parts as ytvault estimates them
   for the model (tokens.estimate_tokens): the fixed instructions (system text and answer
   schema), the <video> block and request wording, and the transcript, the baseline the
   overhead is measured against. The fixture holds 722 words of the 47:41 talk, so the ratio
   is given for it and for the whole talk (150 words a minute, the fixture's tokens per word).
2. At each effort (low … max), for the seed video and fxLong00001 (2:13:07, the two-hour
   fixture), with the default config otherwise: requests made, max_tokens asked, tokens in and
   out (of which thinking), estimated cost live and in a Message Batch, whether the first
   attempt fitted, and what the answer holds (items, quotes found verbatim in the transcript).
   Then a model that thinks four times as long as usual (the fake's `thinking_scale`): what the
   second attempt costs, or how it fails.
3. fxLong00001 with `input_token_budget = 12000`: its parts and their merge, with the fake
   API's prompt cache (1,024 tokens and up, as the API) against the same calls with caching
   off, measured in the same run: tokens read from the cache and the cost ratio; with ytvault's
   own instructions, then with a longer `prompt_file`.

    .venv/bin/python bench/cost.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from common import FIXTURES, REPO, machine, script_parser

sys.path.insert(0, str(REPO / "tests"))
from fakeapi import FakeMessagesAPI  # tests/fakeapi.py: tests/ is not a package

SEED = "Yf1o0TQzry8"
WORDS_A_MINUTE = 150  # docs/analysis.md: 17,550 words is two hours


def load(video_id: str) -> tuple[object, object]:
    from ytvault.models import Transcript, Video

    folder = FIXTURES / "cache" / "videos" / video_id
    return (Video.from_info(json.loads((folder / "info.json").read_text(encoding="utf-8"))),
            Transcript.from_json(json.loads((folder / "transcript.json").read_text(
                encoding="utf-8"))))


def overhead() -> None:
    import anthropic

    from ytvault.analysis.prompt import analysis_prompt
    from ytvault.analysis.tokens import estimate_tokens
    from ytvault.config.sections import DEFAULT_SECTIONS, analysis_model
    from ytvault.models import Transcript, Video

    video, transcript = load(SEED)
    assert isinstance(video, Video) and isinstance(transcript, Transcript)

    def tokens(text: str) -> int:
        return estimate_tokens(text, "claude-sonnet-5-5")

    prompt = analysis_prompt(video, transcript)
    schema = json.dumps(anthropic.transform_schema(analysis_model(DEFAULT_SECTIONS)))
    spoken = tokens(transcript.text)
    fixed = tokens(prompt.system) + tokens(schema)
    framing = tokens(prompt.context) + tokens(prompt.request) - spoken
    words = len(transcript.text.split())
    whole_words = (video.duration or 0) / 60 * WORDS_A_MINUTE
    whole = round(spoken / words * whole_words)
    print(f"1. the seed video's request ({video.duration_string}), as ytvault estimates it for "
          "claude-sonnet-5-5 (an upper bound)")
    print(f"   instructions: system {tokens(prompt.system)} + answer schema {tokens(schema)} "
          f"= {fixed} tokens; <video> block and request wording {framing} tokens")
    print(f"   transcript (baseline): {spoken} tokens ({words} words in the fixture)")
    print(f"   overhead / transcript: {(fixed + framing) / spoken:.2f} for the fixture; "
          f"{(fixed + framing) / whole:.2f} for the whole talk (~{whole_words:,.0f} words, "
          f"~{whole:,} tokens)")


def attempts(video_id: str, effort: str, thinking_scale: float = 1.0) -> None:
    """One analysis at `effort` against the fake API: one line of what it took."""
    from fakemodel import thinking_tokens

    from ytvault.analysis.claude import ClaudeAnalyzer
    from ytvault.config.settings import Config
    from ytvault.cost import Usage, dollars, estimate
    from ytvault.errors import AnalysisError
    from ytvault.models import Transcript, Video

    video, transcript = load(video_id)
    assert isinstance(video, Video) and isinstance(transcript, Transcript)
    config = Config(effort=effort)  # type: ignore[arg-type]
    usage = Usage()
    with FakeMessagesAPI(thinking_scale=thinking_scale) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.base_url
        try:
            result = ClaudeAnalyzer(config, "sk-bench").analyze(video, transcript, usage)
            held = result.model_dump()
            items = sum(len(v) for v in held.values() if isinstance(v, list))
            quotes = held.get("quotes") or []
            found = sum(" ".join(q.lower().split()) in " ".join(
                transcript.text.lower().split()) for q in quotes)
            outcome = f"{items} items, {found}/{len(quotes)} quotes verbatim"
        except AnalysisError as exc:
            outcome = f"failed: {str(exc)[:60]}…"
        bodies = [r.body for r in api.message_requests]
    thinking = sum(min(thinking_tokens(b, thinking_scale), b["max_tokens"]) for b in bodies)
    asked = "/".join(f"{b['max_tokens']:,}" for b in bodies)
    streamed = sum(bool(b.get("stream")) for b in bodies)
    batch = estimate(usage.model, usage.input_tokens, usage.output_tokens, batch=True)
    print(f"   {effort:6} {usage.requests} call{'s' if usage.requests > 1 else ' '} "
          f"(max_tokens {asked}{', streamed' if streamed else ''}): "
          f"{usage.input_tokens:,} in, {usage.output_tokens:,} out ({thinking:,} thinking): "
          f"{dollars(usage.cost_usd)} live, {dollars(batch)} batched; {outcome}")


def efforts() -> None:
    from ytvault.analysis.thinking import EFFORTS

    for video_id, label in ((SEED, "the seed video (47:41, a 722-word excerpt)"),
                            ("fxLong00001", "fxLong00001 (2:13:07, 14,699 words)")):
        print(f"2. {label}, at each effort, default config otherwise")
        for effort in EFFORTS:
            attempts(video_id, effort)
    print("   a model that thinks 4x as long as usual, fxLong00001:")
    for effort in ("medium", "high", "max"):
        attempts("fxLong00001", effort, thinking_scale=4.0)


def long_parts(pattern: Path | None) -> None:
    from fakemodel import count_tokens

    from ytvault.analysis.claude import ClaudeAnalyzer
    from ytvault.config.settings import Config
    from ytvault.cost import Usage, dollars
    from ytvault.models import Transcript, Video

    video, transcript = load("fxLong00001")
    assert isinstance(video, Video) and isinstance(transcript, Transcript)
    config = Config(input_token_budget=12000, prompt_file=pattern)
    results = {}
    for label, minimum in (("cache off (baseline)", 10**9), ("prompt cache", 1024)):
        with FakeMessagesAPI(cache_min_tokens=minimum) as api:
            os.environ["ANTHROPIC_BASE_URL"] = api.base_url
            usage = Usage()
            ClaudeAnalyzer(config, "sk-bench").analyze(video, transcript, usage)
            first = api.message_requests[0].body
            prefix = sum(count_tokens(block["text"]) + 4 for block in (
                first["system"][0], first["messages"][0]["content"][0]))
        results[label] = usage
        print(f"   {label:22} {usage.requests} requests, {usage.input_tokens:6,} in, "
              f"{usage.cache_write_tokens:5,} written to the cache, {usage.cache_read_tokens:6,} "
              f"read from it: {dollars(usage.cost_usd)}")
    off, on = results["cache off (baseline)"], results["prompt cache"]
    if off.cost_usd and on.cost_usd:
        print(f"   the repeated prefix is ~{prefix:,} tokens: cost with the cache / without "
              f"{on.cost_usd / off.cost_usd:.3f}")


def main() -> None:
    parser = script_parser(__doc__)
    parser.parse_args()
    print(f"machine: {machine()}")
    overhead()
    efforts()
    print("3. fxLong00001 (2:13:07) in parts, input_token_budget = 12000; ytvault's "
          "instructions")
    long_parts(None)
    with tempfile.TemporaryDirectory() as tmp:
        pattern = Path(tmp) / "system.md"
        pattern.write_text("Extract what is surprising, insightful and useful in this video, "
                           "and say it plainly. " * 80, encoding="utf-8")
        print("   with a prompt_file of ~1,500 tokens (a Fabric pattern, say)")
        long_parts(pattern)


if __name__ == "__main__":
    main()
