"""cost.py and the accounting around it: each note's tokens and estimated cost are recorded,
`ytvault status` sums them, and a long video's parts read their shared prefix from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED_URL, MakeContext
from fakeapi import FakeMessagesAPI
from fakemodel import request_tokens, thinking_tokens

from ytvault.analysis.claude import ClaudeAnalyzer
from ytvault.commands.status import render_status
from ytvault.config.settings import Config
from ytvault.cost import Usage, dollars, estimate, price_of
from ytvault.models import Transcript, Video
from ytvault.pipeline.run import sync

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.unit
@pytest.mark.parametrize(("model", "prices"), [
    ("claude-sonnet-5-5", (2.0, 10.0)),
    ("anthropic/claude-sonnet-5.5", (2.0, 10.0)),  # a gateway's name for it
    ("claude-sonnet-4-5-20250929", (3.0, 15.0)),
    ("claude-opus-5-5", (4.0, 20.0)),
    ("claude-opus-4-5-20251101", (5.0, 25.0)),
    ("claude-opus-4-1", (15.0, 75.0)),
    ("claude-3-opus-20240229", (15.0, 75.0)),
    ("claude-haiku-4-5", (1.0, 5.0)),
    ("claude-3-5-haiku-20241022", (0.8, 4.0)),
    ("claude-3-haiku-20240307", (0.25, 1.25)),
])
def test_each_model_family_has_its_price(model: str, prices: tuple[float, float]) -> None:
    price = price_of(model)
    assert price is not None and (price.input, price.output) == prices


@pytest.mark.unit
def test_the_estimate_counts_every_kind_of_token_and_batches_at_half() -> None:
    # sonnet 5.5: $2 in, $10 out, $2.50 cache write, $0.10 cache read per million (since
    # 2026-10-07; Sonnet 5's are $0.20): cache reads are priced per model
    assert estimate("claude-sonnet-5-5", 1_000_000, 100_000, 200_000, 500_000) == pytest.approx(
        2.0 + 1.0 + 0.5 + 0.05)
    assert estimate("claude-sonnet-5", 0, 0, 0, 1_000_000) == pytest.approx(0.20)
    assert estimate("claude-opus-5-5", 0, 0, 0, 1_000_000) == pytest.approx(0.20)
    assert estimate("claude-haiku-5-5", 0, 0, 0, 1_000_000) == pytest.approx(0.01)
    assert estimate("claude-sonnet-5-5", 1_000_000, 100_000, batch=True) == pytest.approx(1.5)
    assert estimate("my-gateway-alias", 1000, 1000) is None
    usage = Usage()
    usage.add("claude-sonnet-5-5", 1000, 100)
    usage.add("my-gateway-alias", 1000, 100)
    assert usage.cost_usd is None and usage.requests == 2 and usage.input_tokens == 2000
    assert dollars(None) == "unknown" and dollars(0.01234) == "$0.0123"


def test_each_note_records_its_tokens_and_cost_and_status_sums_them(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, tmp_path: Path) -> None:
    (vault / "a.md").write_text(SEED_URL + "\n")
    (vault / "b.md").write_text("https://www.youtube.com/watch?v=fxGerman01C\n")
    (vault / "c.md").write_text("https://youtu.be/fxNoTrans1E\n")  # no transcript: no call
    ctx = make_context()

    outcomes = {o.note.name: o for o in sync(ctx)}

    sent = [r.body for r in api.message_requests]
    assert len(sent) == 2 and outcomes["c.md"].usage is None
    for name in ("a.md", "b.md"):
        usage = outcomes[name].usage
        assert usage is not None and usage.requests == 1 and not usage.batch
        assert usage.model == ctx.config.model
        # what the API reported for this note's request (the fake's tokenizer), its
        # thinking billed as output
        title = {"a.md": "title: Ilya", "b.md": "title: Sauerteigbrot"}[name]
        body = next(b for b in sent if title in json.dumps(b, ensure_ascii=False))
        # (the second reads the instructions the first one cached)
        assert (usage.input_tokens + usage.cache_write_tokens + usage.cache_read_tokens
                == request_tokens(body))
        assert usage.output_tokens > thinking_tokens(body) > 0
        assert usage.cost_usd == pytest.approx(estimate(
            ctx.config.model, usage.input_tokens, usage.output_tokens,
            usage.cache_write_tokens, usage.cache_read_tokens))
    totals = ctx.ledger.usage_totals(vault)
    assert totals.notes == 2 and totals.requests == 2 and totals.batched == 0
    spent = [u for u in (outcomes["a.md"].usage, outcomes["b.md"].usage) if u is not None]
    assert totals.input_tokens == sum(u.input_tokens for u in spent)
    assert totals.cost_usd == pytest.approx(sum(u.cost_usd or 0 for u in spent))
    status = render_status(ctx.config, vault)
    assert "analyses: 2 notes, 2 requests" in status
    assert f"{totals.output_tokens:,} out" in status
    assert f"estimated cost: {dollars(totals.cost_usd)}" in status


def test_a_failed_analysis_still_counts_what_it_spent(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    from fakewire import Reply

    api.script(Reply.text("not json"), Reply.text("not json"))
    (vault / "a.md").write_text(SEED_URL + "\n")
    ctx = make_context()

    [outcome] = sync(ctx)

    assert outcome.usage is not None and outcome.usage.requests == 2
    assert "analysis failed" in (vault / "a.md").read_text()
    assert ctx.ledger.usage_totals(vault).requests == 2  # both tries were paid for


def test_a_long_videos_parts_read_the_repeated_prefix_from_the_cache(
        api: FakeMessagesAPI, tmp_path: Path) -> None:
    folder = FIXTURES / "cache" / "videos" / "fxLong00001"
    video = Video.from_info(json.loads((folder / "info.json").read_text()))
    transcript = Transcript.from_json(json.loads((folder / "transcript.json").read_text()))
    # instructions long enough to be cached (the fake, like the API, caches 1,024 tokens and up)
    pattern = tmp_path / "system.md"
    pattern.write_text("Write down what matters in this video, exactly. " * 120)
    analyzer = ClaudeAnalyzer(Config(input_token_budget=14000, prompt_file=pattern), "sk-test")
    usage = Usage()

    analyzer.analyze(video, transcript, usage)

    requests = [r.body for r in api.message_requests]
    assert len(requests) == usage.requests >= 4  # the parts, then the merge
    for body in requests:  # every call marks the same prefix: instructions, then <video>
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert usage.cache_write_tokens > 0  # the first part wrote it
    assert usage.cache_read_tokens >= (usage.requests - 1) * usage.cache_write_tokens * 0.9
    uncached = estimate(usage.model, usage.input_tokens + usage.cache_write_tokens
                        + usage.cache_read_tokens, usage.output_tokens)
    assert usage.cost_usd is not None and uncached is not None
    assert usage.cost_usd < uncached
