"""pipeline/ledger.py: what happened to each note and when to try again, the lines `refresh`
may update, what the analyses cost, and the Message Batches in flight; kept per vault."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ytvault.cost import Usage
from ytvault.pipeline.ledger import BACKOFF_FIRST, BACKOFF_MAX, Ledger

pytestmark = pytest.mark.unit

VAULT = Path("/vaults/main")
OTHER = Path("/vaults/other")
VID = "Yf1o0TQzry8"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "state" / "ledger.sqlite3")


def test_an_outcome_is_recorded_per_vault_and_note(ledger: Ledger) -> None:
    ledger.record(VAULT, "a.md", VID, "filled")
    ledger.record(VAULT, "b.md", VID, "failed", "the video is private")
    entry = ledger.get(VAULT, "b.md")
    assert entry is not None
    assert (entry.note, entry.video_id, entry.status, entry.reason, entry.attempts) == (
        "b.md", VID, "failed", "the video is private", 1)
    assert entry.next_attempt is None
    assert ledger.get(OTHER, "b.md") is None
    assert {e.note for e in ledger.entries(VAULT)} == {"a.md", "b.md"}
    assert ledger.entries(OTHER) == []


def test_attempts_count_the_same_outcome_in_a_row(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.record(VAULT, "a.md", VID, "failed", "why")
    assert ledger.get(VAULT, "a.md").attempts == 3  # type: ignore[union-attr]
    ledger.record(VAULT, "a.md", VID, "filled")
    assert ledger.get(VAULT, "a.md").attempts == 1  # type: ignore[union-attr]


def test_a_transient_failure_backs_off_exponentially_with_jitter(ledger: Ledger) -> None:
    delays = []
    for _ in range(12):
        before = time.time()
        entry = ledger.record(VAULT, "a.md", VID, "transient", "network unreachable")
        assert entry.next_attempt is not None
        delays.append((entry.attempts, entry.next_attempt - before))
    for attempts, delay in delays:
        expected = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
        assert expected * 0.8 - 1 <= delay <= expected * 1.2 + 1, (attempts, delay)
    assert delays[-1][1] <= BACKOFF_MAX * 1.2 + 1  # capped


def test_a_note_is_due_once_its_backoff_has_passed(ledger: Ledger) -> None:
    assert ledger.is_due(VAULT, "new.md")  # never seen
    entry = ledger.record(VAULT, "a.md", VID, "transient", "429")
    assert entry.next_attempt is not None
    assert not ledger.is_due(VAULT, "a.md", now=entry.next_attempt - 1)
    assert ledger.is_due(VAULT, "a.md", now=entry.next_attempt)
    ledger.record(VAULT, "b.md", VID, "failed", "private")
    assert ledger.is_due(VAULT, "b.md")  # no backoff: whether to retry is the caller's call


def test_a_given_next_attempt_is_kept(ledger: Ledger) -> None:
    entry = ledger.record(VAULT, "a.md", VID, "waiting", "premiere", next_attempt=1234.0)
    assert entry.next_attempt == 1234.0
    assert ledger.get(VAULT, "a.md").next_attempt == 1234.0  # type: ignore[union-attr]


def test_the_generated_lines_are_kept_for_their_video(ledger: Ledger) -> None:
    lines = {"title": "title: A\n", "@player": "<iframe …></iframe>\n"}
    ledger.remember_generated(VAULT, "a.md", VID, lines)
    assert ledger.generated(VAULT, "a.md", VID) == lines
    assert ledger.generated(VAULT, "a.md", "fxGerman01C") is None  # the URL was changed
    assert ledger.generated(OTHER, "a.md", VID) is None
    ledger.remember_generated(VAULT, "a.md", VID, {"title": "title: B\n"})
    assert ledger.generated(VAULT, "a.md", VID) == {"title": "title: B\n"}


def test_a_renamed_note_takes_its_history_and_cost_along(ledger: Ledger) -> None:
    ledger.record(VAULT, "Untitled.md", VID, "filled")
    ledger.remember_generated(VAULT, "Untitled.md", VID, {"title": "title: A\n"})
    ledger.record_usage(VAULT, "Untitled.md", VID, Usage(input_tokens=10, output_tokens=5))
    ledger.record(VAULT, "Title.md", "fxGerman01C", "failed", "an older note of that name")
    ledger.record_usage(VAULT, "Title.md", "fxGerman01C", Usage(input_tokens=1))
    assert ledger.usage_totals(VAULT).notes == 2
    ledger.move(VAULT, "Untitled.md", "Title.md")
    assert ledger.get(VAULT, "Untitled.md") is None
    moved = ledger.get(VAULT, "Title.md")
    assert moved is not None and (moved.video_id, moved.status) == (VID, "filled")
    assert ledger.generated(VAULT, "Title.md", VID) == {"title": "title: A\n"}
    assert ledger.generated(VAULT, "Untitled.md", VID) is None
    assert ledger.usage_totals(VAULT).notes == 1  # what both cost stays, under the new name
    assert ledger.usage_totals(VAULT).input_tokens == 11


def usage(model: str, input_tokens: int, output_tokens: int, *calls: tuple[int, int],
          batch: bool = False) -> Usage:
    made = Usage()
    made.add(model, input_tokens, output_tokens, 7, 3, batch=batch)
    for more_in, more_out in calls:  # a retry, or the parts of a long video
        made.add(model, more_in, more_out, batch=batch)
    return made


def test_usage_totals_add_up_every_analysis_retries_included(ledger: Ledger) -> None:
    priced = usage("claude-sonnet-5-5", 1000, 100, (10, 1))
    unknown = usage("gateway-alias", 50, 5)
    batched = usage("claude-sonnet-5-5", 200, 20, batch=True)
    assert priced.cost_usd and batched.cost_usd and unknown.cost_usd is None
    ledger.record_usage(VAULT, "a.md", VID, priced)
    ledger.record_usage(VAULT, "a.md", VID, priced)  # analysed again: spent again
    ledger.record_usage(VAULT, "b.md", VID, unknown)
    ledger.record_usage(VAULT, "c.md", VID, batched)
    ledger.record_usage(OTHER, "a.md", VID, priced)
    totals = ledger.usage_totals(VAULT)
    assert totals.notes == 3
    assert totals.requests == 2 + 2 + 1 + 1
    assert totals.input_tokens == 1010 * 2 + 50 + 200
    assert totals.output_tokens == 101 * 2 + 5 + 20
    assert (totals.cache_write_tokens, totals.cache_read_tokens) == (7 * 4, 3 * 4)
    assert totals.cost_usd == pytest.approx(2 * priced.cost_usd + batched.cost_usd)
    assert totals.unpriced == 1
    assert totals.batched == 1


def test_no_usage_is_all_zeros(ledger: Ledger) -> None:
    assert tuple(ledger.usage_totals(VAULT)) == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_a_batch_is_followed_until_its_results_are_written(ledger: Ledger) -> None:
    ledger.add_batch(VAULT, "msgbatch_1", {VID: ["a.md", "copy.md"], "fxGerman01C": ["b.md"]})
    [(batch_id, created, requests)] = ledger.open_batches(VAULT)
    assert (batch_id, requests) == ("msgbatch_1", 2)
    assert created <= time.time()
    assert ledger.open_batches(OTHER) == []
    assert ledger.batch_items("msgbatch_1") == {VID: ["a.md", "copy.md"],
                                                "fxGerman01C": ["b.md"]}
    assert ledger.note_batch(VAULT, "b.md") == "msgbatch_1"
    ledger.batch_item_done("msgbatch_1", "fxGerman01C")
    assert ledger.batch_items("msgbatch_1") == {VID: ["a.md", "copy.md"]}
    assert ledger.note_batch(VAULT, "b.md") is None
    assert ledger.note_batch(VAULT, "a.md") == "msgbatch_1"
    ledger.close_batch("msgbatch_1")
    assert ledger.open_batches(VAULT) == []
    assert ledger.batch_items("msgbatch_1") == {}
    assert ledger.note_batch(VAULT, "a.md") is None


def test_a_batch_added_twice_is_not_doubled(ledger: Ledger) -> None:
    ledger.add_batch(VAULT, "msgbatch_1", {VID: ["a.md"]})
    ledger.add_batch(VAULT, "msgbatch_1", {VID: ["a.md"]})
    assert ledger.batch_items("msgbatch_1") == {VID: ["a.md"]}
    assert len(ledger.open_batches(VAULT)) == 1


def test_the_ledger_outlives_the_process(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state" / "ledger.sqlite3"  # its folder is made
    first = Ledger(path)
    first.record(VAULT, "a.md", VID, "failed", "private")
    first.add_batch(VAULT, "msgbatch_1", {VID: ["a.md"]})
    first.close()
    again = Ledger(path)
    entry = again.get(VAULT, "a.md")
    assert entry is not None and entry.reason == "private"
    assert again.note_batch(VAULT, "a.md") == "msgbatch_1"


def test_a_ledger_in_memory_keeps_nothing(tmp_path: Path) -> None:
    memory = Ledger(None)
    memory.record(VAULT, "a.md", VID, "filled")
    assert memory.get(VAULT, "a.md") is not None
    assert Ledger(None).get(VAULT, "a.md") is None
    assert list(tmp_path.iterdir()) == []
