"""`ytvault sync --batch` against the fake API's Message Batches: the analyses go out in one
batch, each note is written from its result through the pipeline, a stopped run resumes
polling the same batch, and what each note cost is recorded at the batch's half price."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_URL, MakeContext
from fakeapi import FakeMessagesAPI
from fakewire import Reply

from ytvault.commands.status import render_status
from ytvault.config.settings import Config
from ytvault.cost import estimate
from ytvault.outcome import Outcome
from ytvault.pipeline.batch import sync_batch
from ytvault.pipeline.context import Context
from ytvault.pipeline.run import sync

SEED_WITH_LINKS = (FIXTURES / "seed-note-quote-links.md").read_bytes()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(ctx: Context, *, wait: bool = True) -> tuple[list[Outcome], list[str]]:
    said: list[str] = []
    outcomes = list(sync_batch(ctx, lambda bid, text: said.append(f"{bid}: {text}"),
                               wait=wait))
    return outcomes, said


@pytest.fixture
def config(cache_dir: Path, tmp_path: Path) -> Config:
    return Config(cache_dir=cache_dir, state_dir=tmp_path / "state", batch_poll_seconds=0)


def test_a_backfill_goes_out_as_one_batch_and_each_note_is_written_from_its_result(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    api.batch_polls = 3
    seed = write(vault / "Untitled.md", SEED_URL + "\n")
    twin = write(vault / "Zz twin.md", "https://www.youtube.com/watch?v=Yf1o0TQzry8&t=60\n")
    german = write(vault / "b.md", "https://www.youtube.com/watch?v=fxGerman01C\n")
    write(vault / "rain.md", "https://youtu.be/fxNoTrans1E\n")
    config = config.replace(concurrency=1)  # the seed first, then its twin
    ctx = make_context(config=config)

    outcomes, said = run(ctx)

    assert api.message_requests == []  # nothing asked live
    [create] = api.batch_creates
    requests = create.body["requests"]
    assert sorted(r["custom_id"] for r in requests) == ["Yf1o0TQzry8", "fxGerman01C"]
    for request in requests:  # a Messages request like the live one
        params = request["params"]
        assert params["model"] == config.model
        assert params["output_config"]["effort"] == config.effort
        assert 1000 < params["max_tokens"] < config.max_output_tokens  # sized, as live
        assert params["system"][0]["cache_control"] == {"type": "ephemeral"}
        title = {"Yf1o0TQzry8": "Ilya Sutskever", "fxGerman01C": "Sauerteigbrot"}
        assert f"title: {title[request['custom_id']]}" in params["messages"][0]["content"]
    assert seed.read_bytes() == SEED_WITH_LINKS  # the golden note, as a live fill writes it
    assert "# SUMMARY" in twin.read_text() and "duplicate_of:" in twin.read_text()
    assert "# SUMMARY" in german.read_text() and "ytvault:" not in german.read_text()
    assert sorted((o.note.name, o.status) for o in outcomes) == [
        ("Untitled.md", "filled"), ("Zz twin.md", "filled"), ("b.md", "filled"),
        ("rain.md", "filled")]
    assert any("submitted: 2 analyses for 3 notes" in line for line in said)
    assert any("in progress" in line for line in said) and any("ended" in line for line in said)
    # cost: one analysis per video, at half price; the twin note paid for nothing
    spent = {o.note.name: o.usage for o in outcomes}
    usage = spent["Untitled.md"]
    assert usage is not None and usage.batch and usage.requests == 1
    assert spent["Zz twin.md"] is None
    assert usage.cost_usd == pytest.approx(estimate(
        config.model, usage.input_tokens, usage.output_tokens, usage.cache_write_tokens,
        usage.cache_read_tokens, batch=True))
    totals = ctx.ledger.usage_totals(vault)
    assert totals.requests == 2 and totals.batched == 2
    assert ctx.ledger.open_batches(vault) == []
    assert list(sync_batch(make_context(config=config), lambda *_: None)) == []  # all done


def test_a_stopped_run_resumes_polling_its_batch_instead_of_sending_another(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    api.batch_polls = 1000
    note = write(vault / "a.md", SEED_URL + "\n")
    first = make_context(config=config)

    outcomes, said = run(first, wait=False)  # the run stops while the batch runs

    assert outcomes == [] and len(api.batch_creates) == 1
    text = note.read_text()
    assert "ytvault: analysis pending" in text and "Message Batch" in text
    assert any("still in progress" in line for line in said)
    [(batch_id, _, _)] = first.ledger.open_batches(vault)
    assert f"message batches running: {batch_id}" in render_status(config, vault)
    # meanwhile a plain sync leaves the note to its batch, and a watcher would too
    [skipped] = sync(make_context(config=config))
    assert skipped.status == "skipped" and batch_id in skipped.detail
    assert note.read_text() == text and api.message_requests == []

    api.batch_polls = 0  # it ends at the next poll
    restarted = make_context(config=config)  # a new process: only the ledger is shared
    outcomes, said = run(restarted)

    assert len(api.batch_creates) == 1  # no second batch: the same one, polled again
    assert [(o.note.name, o.status) for o in outcomes] == [("a.md", "filled")]
    assert note.read_bytes() == SEED_WITH_LINKS
    assert restarted.ledger.open_batches(vault) == []


def test_a_plain_sync_writes_what_an_ended_batch_brought_and_asks_nothing_live(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    api.batch_polls = 1000
    note = write(vault / "a.md", SEED_URL + "\n")
    run(make_context(config=config), wait=False)
    api.batch_polls = 0
    later = write(vault / "b.md", "https://www.youtube.com/watch?v=fxGerman01C\n")

    said: list[str] = []
    outcomes = list(sync_batch(make_context(config=config), lambda b, t: said.append(t),
                               submit=False, wait=False))  # what `ytvault sync` runs

    assert sorted((o.note.name, o.status) for o in outcomes) == [
        ("a.md", "filled"), ("b.md", "filled")]  # one line each: no "in a batch" line first
    assert note.read_bytes() == SEED_WITH_LINKS and "# SUMMARY" in later.read_text()
    assert len(api.batch_creates) == 1  # the new stub was analysed live, not batched
    assert len(api.message_requests) == 1 and "title: Sauerteigbrot" in json.dumps(
        api.message_requests[0].body, ensure_ascii=False)
    assert any(t.startswith("ended") for t in said)


def test_a_refused_key_leaves_the_batch_running_and_paid_for(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    api.batch_polls = 1000
    note = write(vault / "a.md", SEED_URL + "\n")
    first = make_context(config=config)
    run(first, wait=False)
    [(batch_id, _, _)] = first.ledger.open_batches(vault)
    pending = note.read_text()

    api.api_key = "sk-the-key-now-accepted"  # the key the run sends is refused, for a while
    outcomes, said = run(make_context(config=config))

    assert outcomes == [] and note.read_text() == pending
    assert any(line.startswith(f"{batch_id}: cannot poll it (the API key") and "refused" in line
               for line in said)
    assert [bid for bid, _, _ in first.ledger.open_batches(vault)] == [batch_id]  # not given up

    api.api_key, api.batch_polls = None, 0  # the key is accepted again
    outcomes, _ = run(make_context(config=config))

    assert len(api.batch_creates) == 1  # the same batch's result: nothing asked or paid twice
    assert [(o.note.name, o.status) for o in outcomes] == [("a.md", "filled")]
    assert note.read_bytes() == SEED_WITH_LINKS


def test_a_batch_the_api_does_not_know_is_named_and_its_notes_asked_again(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    api.batch_polls = 1000
    write(vault / "a.md", SEED_URL + "\n")
    first = make_context(config=config)
    run(first, wait=False)
    [(batch_id, _, _)] = first.ledger.open_batches(vault)

    api.batches.clear()  # made with another key, or deleted
    _, said = run(make_context(config=config), wait=False)

    [line] = [line for line in said if "cannot read it" in line]
    assert line.startswith(f"{batch_id}: cannot read it (batch {batch_id} not found (404")
    assert "model" not in line
    assert first.ledger.open_batches(vault) == []


def test_failed_requests_are_shown_or_asked_again(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    bad = write(vault / "bad.md", SEED_URL + "\n")
    late = write(vault / "late.md", "https://www.youtube.com/watch?v=fxGerman01C\n")
    api.script(Reply.error(400, message="max_tokens: too large"), Reply(batch_result="expired"))

    outcomes, _ = run(make_context(config=config))

    by_note = {o.note.name: o for o in outcomes}
    assert by_note["bad.md"].status == "filled"  # filled, with the failure where one looks
    assert "ytvault: analysis failed" in bad.read_text() and "too large" in bad.read_text()
    assert by_note["late.md"].status == "failed" and "expired" in by_note["late.md"].detail
    assert "ytvault: analysis pending" in late.read_text()
    # the expired one goes into the next batch, alone
    outcomes, _ = run(make_context(config=config, retry_failed=False))
    assert [r["custom_id"] for r in api.batch_creates[-1].body["requests"]] == ["fxGerman01C"]
    assert "# SUMMARY" in late.read_text()


def test_long_videos_go_live_and_an_unusable_answer_is_asked_again_live(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, cache_dir: Path,
        tmp_path: Path) -> None:
    config = Config(cache_dir=cache_dir, state_dir=tmp_path / "state", batch_poll_seconds=0,
                    input_token_budget=12000)
    seed = write(vault / "a.md", SEED_URL + "\n")
    long = write(vault / "long.md", "https://youtu.be/fxLong00001\n")
    api.batch_polls = 1000
    ctx = make_context(config=config)

    run(ctx, wait=False)

    # the long video's five parts and their merge were asked live; only the seed is batched
    assert len(api.message_requests) == 6 and "# SUMMARY" in long.read_text()
    assert [r["custom_id"] for r in api.batch_creates[0].body["requests"]] == ["Yf1o0TQzry8"]

    api.script(Reply.text("not json"))  # what the batch answers for the seed
    api.batch_polls = 0
    outcomes, _ = run(ctx)

    assert len(api.message_requests) == 7  # the unusable answer, asked once more, live
    assert seed.read_bytes() == SEED_WITH_LINKS
    usage = next(o.usage for o in outcomes if o.note.name == "a.md")
    assert usage is not None and usage.requests == 2 and usage.batch


def test_a_batch_answer_cut_off_is_asked_once_more_live_with_more_room(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    seed = write(vault / "a.md", SEED_URL + "\n")
    ctx = make_context(config=config)
    # what the batch answers for the seed: thinking took all its room
    api.script(Reply.text("{}", thinking=10**6))

    outcomes, _ = run(ctx)

    [batched] = [r["params"] for r in api.batch_creates[0].body["requests"]]
    [live] = [r.body for r in api.message_requests]  # the second and last paid attempt
    assert live["max_tokens"] == 2 * batched["max_tokens"]
    assert live["output_config"]["effort"] == "low" != batched["output_config"]["effort"]
    assert seed.read_bytes() == SEED_WITH_LINKS
    usage = next(o.usage for o in outcomes if o.note.name == "a.md")
    assert usage is not None and usage.requests == 2


def test_a_batch_answer_cut_off_twice_says_both_attempts(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI, config: Config) -> None:
    """The batch's answer and the live one after it are both cut off: the note's reason
    names both attempts (the room and effort of each), not "once"."""
    write(vault / "a.md", SEED_URL + "\n")
    api.script(Reply.text("{}", thinking=10**6), Reply.text("{}", thinking=10**6))

    outcomes, _ = run(make_context(config=config))

    [seed] = [o for o in outcomes if o.note.name == "a.md"]
    assert "cut off twice (max_tokens=" in seed.detail and ", then max_tokens=" in seed.detail
    assert len(api.message_requests) == 1  # two paid attempts in all: the batch's, then one


def test_the_cli_resumes_a_batch_after_the_process_was_killed(
        vault: Path, cache_dir: Path, tmp_path: Path) -> None:
    note = write(vault / "a.md", SEED_URL + "\n")
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nbatch_poll_seconds = 0.05\n'
                      'claim_notes = "never"\n')
    with FakeMessagesAPI(batch_polls=10**6) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
        env.update(YTVAULT_CONFIG=str(config), YTVAULT_CACHE_DIR=str(cache_dir),
                   ANTHROPIC_API_KEY="sk-test", ANTHROPIC_BASE_URL=api.base_url)
        cmd = [sys.executable, "-m", "ytvault", "sync", str(vault), "--batch"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not api.batch_creates or len(api.requests) < 3:  # created, and polled
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert "analysis pending" in note.read_text()

        api.batch_polls = 0
        again = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True,
                               timeout=60)
    assert again.returncode == 0, again.stderr
    assert len(api.batch_creates) == 1
    text = note.read_text()
    assert "# SUMMARY" in text and "ytvault:" not in text and text.endswith("</iframe>\n\n")
    lines = again.stdout.splitlines()
    assert any('"status": "batch"' in line and "ended" in line for line in lines)
    assert any('"status": "filled"' in line and '"batch": true' in line for line in lines)
