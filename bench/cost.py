"""Cost benchmark: what one note's analysis takes, how much of it is ytvault's own instructions
next to the transcript, and what prompt caching saves a long video's parts.

1. The seed video (tests/fixtures, Yf1o0TQzry8): its request's parts estimated without the
   SDK (chunking.estimate_tokens: 4 ASCII characters a token): the fixed instructions (system
   text and answer schema), the <video> block and request wording, and the transcript — the
   baseline the overhead is measured against. The fixture holds 722 words of the 47:41 talk,
   so the ratio is given for it and for the whole talk (150 words a minute, the fixture's
   tokens per word). Then the call itself against the fake Messages API (tests/fakeapi.py,
   which counts a request's JSON at 4 characters a token): tokens in and out, estimated cost.
2. fxLong00001 (2:13:07) with `input_token_budget = 6000`: its parts and their merge, with
   the fake API's prompt cache (1,024 tokens and up, as the API) against the same calls with
   caching off, measured in the same run: tokens read from the cache and the cost ratio; with
   ytvault's own instructions, then with a longer `prompt_file`.

    /work/venv/bin/python bench/cost.py
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

    from ytvault.analysis.chunking import estimate_tokens as tokens
    from ytvault.analysis.prompt import analysis_prompt
    from ytvault.config.sections import DEFAULT_SECTIONS, analysis_model
    from ytvault.models import Transcript, Video

    video, transcript = load(SEED)
    assert isinstance(video, Video) and isinstance(transcript, Transcript)
    prompt = analysis_prompt(video, transcript)
    schema = json.dumps(anthropic.transform_schema(analysis_model(DEFAULT_SECTIONS)))
    spoken = tokens(transcript.text)
    fixed = tokens(prompt.system) + tokens(schema)
    framing = tokens(prompt.context) + tokens(prompt.request) - spoken
    words = len(transcript.text.split())
    whole_words = (video.duration or 0) / 60 * WORDS_A_MINUTE
    whole = round(spoken / words * whole_words)
    print(f"1. the seed video's request ({video.duration_string}), estimated without the SDK")
    print(f"   instructions: system {tokens(prompt.system)} + answer schema {tokens(schema)} "
          f"= {fixed} tokens; <video> block and request wording {framing} tokens")
    print(f"   transcript (baseline): {spoken} tokens ({words} words in the fixture)")
    print(f"   overhead / transcript: {(fixed + framing) / spoken:.2f} for the fixture; "
          f"{(fixed + framing) / whole:.2f} for the whole talk (~{whole_words:,.0f} words, "
          f"~{whole:,} tokens)")


def seed_call() -> None:
    from ytvault.analysis.claude import ClaudeAnalyzer
    from ytvault.config.settings import Config
    from ytvault.cost import Usage, dollars, estimate
    from ytvault.models import Transcript, Video

    video, transcript = load(SEED)
    assert isinstance(video, Video) and isinstance(transcript, Transcript)
    config = Config()
    with FakeMessagesAPI() as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.base_url
        usage = Usage()
        ClaudeAnalyzer(config, "sk-bench").analyze(video, transcript, usage)
    batch = estimate(usage.model, usage.input_tokens, usage.output_tokens, batch=True)
    print(f"   the call ({config.model}, fake API's count): {usage.input_tokens:,} tokens in, "
          f"{usage.output_tokens:,} out: {dollars(usage.cost_usd)} live, {dollars(batch)} in a "
          "Message Batch")
    if usage.cost_usd:
        print(f"   per 1,000 such notes: {dollars(usage.cost_usd * 1000)} live, "
              f"{dollars((batch or 0) * 1000)} batched")


def long_parts(pattern: Path | None) -> None:
    from ytvault.analysis.claude import ClaudeAnalyzer
    from ytvault.config.settings import Config
    from ytvault.cost import Usage, dollars
    from ytvault.models import Transcript, Video

    video, transcript = load("fxLong00001")
    assert isinstance(video, Video) and isinstance(transcript, Transcript)
    config = Config(input_token_budget=6000, prompt_file=pattern)
    results = {}
    for label, minimum in (("cache off (baseline)", 10**9), ("prompt cache", 1024)):
        with FakeMessagesAPI(cache_min_tokens=minimum) as api:
            os.environ["ANTHROPIC_BASE_URL"] = api.base_url
            usage = Usage()
            ClaudeAnalyzer(config, "sk-bench").analyze(video, transcript, usage)
            prefix = len(json.dumps([config.model, api.message_requests[0].body["system"][0],
                                     api.message_requests[0].body["messages"][0]["content"][0]],
                                    sort_keys=True)) // 4
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
    seed_call()
    print("2. fxLong00001 (2:13:07) in parts, input_token_budget = 6000; ytvault's instructions")
    long_parts(None)
    with tempfile.TemporaryDirectory() as tmp:
        pattern = Path(tmp) / "system.md"
        pattern.write_text("Extract what is surprising, insightful and useful in this video, "
                           "and say it plainly. " * 80, encoding="utf-8")
        print("   with a prompt_file of ~1,500 tokens (a Fabric pattern, say)")
        long_parts(pattern)


if __name__ == "__main__":
    main()
