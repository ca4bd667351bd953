"""`ytvault sync --batch`: a backfill's analyses through the Message Batches API, at half price.

The pipeline runs as it does for `sync`; only where the analysis comes from changes, by what
stands in `Context.analyzer`:

1. `Collector`: the vault is filled as `sync` fills it, but an analysis that fits in one
   request is collected instead of asked for, and its note gets its properties, thumbnail and
   an `analysis pending` callout at once. A long video's parts are asked for live: each part's
   answer must be in before their merge is asked, which would take a second batch (and up to
   another day) for the few videos over `input_token_budget`.
2. The requests go out as a batch (custom_id: the video id, so a video in two notes is asked
   for once), and the ledger records which notes each is for before anything else happens.
3. `Answers`: the vault's running batches, this run's and any that a stopped run left, are
   polled until they end; their results then stream in, and each note is written as its
   result arrives, through the pipeline like any fill (re-read, merged, written atomically).

A run that stops while a batch runs loses nothing: the next `ytvault sync --batch` (or
`sync`) finds the batch in the ledger and polls it instead of paying for it again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ytvault.analysis.claude import ClaudeAnalyzer
from ytvault.cost import Usage
from ytvault.errors import (
    AnalysisAuthError,
    AnalysisDeferred,
    AnalysisError,
    AnalysisTransientError,
)
from ytvault.models import Transcript, Video
from ytvault.note.parse import Stub
from ytvault.outcome import Outcome
from ytvault.pipeline.context import Context, videos, with_options
from ytvault.pipeline.run import find_work, process_stub, sync
from ytvault.vault.scan import Found

log = logging.getLogger(__name__)

# The API takes up to 100,000 requests and 256 MB in one batch; stay well inside both.
MAX_REQUESTS = 10_000
MAX_BYTES = 128_000_000
# Polls that fail in a row (network, 5xx) before the run stops and leaves the batch to the next.
MAX_POLL_FAILURES = 5

Report = Callable[[str, str], None]  # (batch id, what happened)


class Collector:
    """The analyzer while a batch is put together: it keeps each request for the batch."""

    def __init__(self, live: ClaudeAnalyzer) -> None:
        self.live = live
        self.requests: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def prepare(self) -> None:
        self.live.prepare()

    def analyze(self, video: Video, transcript: Transcript, usage: Usage) -> BaseModel:
        request = self.live.batch_request(video, transcript)
        if request is None:  # a long video's parts: live
            return self.live.analyze(video, transcript, usage)
        with self._lock:
            self.requests[video.id] = request
        raise AnalysisDeferred("The analysis is in a Message Batch (half price): `ytvault sync "
                               "--batch` writes it here when the batch ends, within 24 hours.")


class Answers:
    """The analyzer while a batch's results are written: the answer for each video, as its
    result came (a second note of the video gets the same answer, not paid for twice)."""

    def __init__(self, live: ClaudeAnalyzer) -> None:
        self.live = live
        self._results: dict[str, list[Any]] = {}  # video id → [result, answer or error, lock]
        self._lock = threading.Lock()

    def add(self, video_id: str, result: Any) -> None:
        with self._lock:
            self._results[video_id] = [result, None, threading.Lock()]

    def prepare(self) -> None:
        self.live.prepare()

    def analyze(self, video: Video, transcript: Transcript, usage: Usage) -> BaseModel:
        with self._lock:
            entry = self._results.get(video.id)
        if entry is None:
            raise AnalysisTransientError("this note's video was not in the batch: the next "
                                         "`ytvault sync` asks for its analysis")
        with entry[2]:
            if entry[1] is None:
                try:
                    entry[1] = self.live.batch_answer(video, transcript, entry[0], usage)
                except AnalysisError as exc:
                    entry[1] = exc
        answer: BaseModel | AnalysisError = entry[1]
        if isinstance(answer, AnalysisError):
            raise answer
        return answer


def sync_batch(ctx: Context, report: Report, *, submit: bool = True, wait: bool = True,
               found: Iterable[tuple[str, Found | Outcome]] | None = None) -> Iterator[Outcome]:
    """`sync` (of what a scan `found`, default the whole vault) with the analyses sent as
    Message Batches (without `submit`: asked live, as `sync` does), then the results of the
    vault's batches written. Without `wait`, the batches still running are left for a later
    run."""
    live = ctx.analyzer
    if not isinstance(live, ClaudeAnalyzer):  # no API key: nothing to batch
        yield from sync(ctx, found=found)
        return
    collector = Collector(live)
    deferred: dict[str, list[Outcome]] = {}
    for outcome in sync(replace(ctx, analyzer=collector) if submit else ctx, found=found):
        if outcome.analysis_pending and outcome.video_id in collector.requests:
            deferred.setdefault(outcome.video_id, []).append(outcome)
        elif not (outcome.analysis_pending and outcome.status == "skipped" and
                  ctx.ledger.note_batch(ctx.vault, ctx.rel(outcome.note))):
            yield outcome  # (a note in a running batch is told of when its batch ends)
    requests = [(vid, collector.requests[vid]) for vid in deferred]
    for chunk in _chunks(requests):
        notes = {vid: [ctx.rel(o.note) for o in deferred[vid]] for vid, _ in chunk}
        try:
            batch_id = live.submit_batch(chunk)
        except AnalysisError as exc:
            for vid, _ in chunk:
                for outcome in deferred[vid]:
                    yield Outcome(outcome.note, "failed", f"the Message Batch could not be "
                                  f"created: {exc}; its analysis waits for the next run",
                                  vid, True)
            continue
        ctx.ledger.add_batch(ctx.vault, batch_id, notes)
        report(batch_id, f"submitted: {len(chunk)} analyses for "
                         f"{sum(map(len, notes.values()))} notes, at half price")
    yield from collect(ctx, live, report, wait=wait)


def collect(ctx: Context, live: ClaudeAnalyzer, report: Report, *,
            wait: bool = True) -> Iterator[Outcome]:
    """Poll the vault's running batches until they end (once each, without `wait`), and write
    each note as its batch's result comes."""
    running = {bid: created for bid, created, _ in ctx.ledger.open_batches(ctx.vault)}
    said: dict[str, tuple[str, float]] = {}  # what was last reported, and when
    failures = 0
    while running:
        for bid, created in list(running.items()):
            try:
                ended, counts = live.batch_state(bid)
            except AnalysisTransientError as exc:
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    report(bid, f"cannot poll it ({exc}); it runs on: the next `ytvault sync "
                                "--batch` picks it up")
                    return
                continue
            except AnalysisAuthError as exc:
                # The key, not the batch: it runs on, paid for. Closing it here would ask (and
                # pay for) its notes again because a key was refused for a while.
                report(bid, f"cannot poll it ({exc}); it runs on: `ytvault sync --batch` "
                            "picks it up once the key is accepted")
                return
            except AnalysisError as exc:  # unknown to the API (another key?), or archived
                report(bid, f"cannot read it ({exc}); its notes are asked for again")
                ctx.ledger.close_batch(bid)
                del running[bid]
                continue
            failures = 0
            if ended:
                del running[bid]
                report(bid, "ended: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
                try:
                    yield from _write_results(ctx, live, bid)
                except AnalysisError as exc:
                    report(bid, f"cannot read its results ({exc}): the next `ytvault sync "
                                "--batch` reads them")
                continue
            text = f"in progress: {counts.get('processing', 0)} requests"
            last, when = said.get(bid, ("", 0.0))
            if text != last or time.monotonic() - when >= 600:  # a change, or every 10 min
                minutes = (time.time() - created) / 60
                report(bid, f"{text}, for {minutes:.0f} min")
                said[bid] = (text, time.monotonic())
        if not running or not wait:
            for bid in running:
                report(bid, "still in progress: `ytvault sync --batch` writes its notes when it "
                            "ends")
            return
        if ctx.run.stopping.wait(ctx.config.batch_poll_seconds):
            return


def _write_results(ctx: Context, live: ClaudeAnalyzer, bid: str) -> Iterator[Outcome]:
    """Each note written as the results file brings its video's result, `concurrency` at a
    time (on a shared vault each write waits for its claim to settle)."""
    items = ctx.ledger.batch_items(bid)
    answers = Answers(live)
    ctx = with_options(replace(ctx, analyzer=answers), writing_batch=True)
    writing: list[tuple[str, list[tuple[Path, Future[Outcome]]]]] = []  # as results came
    with ThreadPoolExecutor(max_workers=ctx.config.concurrency,
                            thread_name_prefix="batch") as pool:
        for vid, result in live.batch_results(bid):
            answers.add(vid, result)
            jobs = []
            for path in _notes_of(ctx, vid, items.pop(vid, [])):
                work = find_work(ctx, path)
                if isinstance(work, Stub) and work.video_id == vid:
                    jobs.append((path, pool.submit(process_stub, ctx, path, work)))
            writing.append((vid, jobs))
            yield from _written(ctx, bid, writing, wait=False)
        yield from _written(ctx, bid, writing, wait=True)
    ctx.ledger.close_batch(bid)  # requests without a result are asked for again next run
    for vid in items:
        log.warning("batch %s had no result for %s", bid, vid)


def _written(ctx: Context, bid: str,
             writing: list[tuple[str, list[tuple[Path, Future[Outcome]]]]], *,
             wait: bool) -> Iterator[Outcome]:
    """The outcomes of the videos whose notes are all written (without `wait`: those done
    so far, in order), each video then marked done in the ledger."""
    while writing and (wait or all(job.done() for _, job in writing[0][1])):
        vid, jobs = writing.pop(0)
        for path, job in jobs:
            try:
                yield job.result()
            except Exception as exc:  # a bug must not stop the other notes: report it, go on
                log.exception("unexpected error on %s", path)
                yield Outcome(path, "failed", f"unexpected error: {type(exc).__name__}: {exc}",
                              vid)
        ctx.ledger.batch_item_done(bid, vid)


def _notes_of(ctx: Context, video_id: str, recorded: list[str]) -> list[Path]:
    """The notes a result is for: those recorded, and any other note of the video that still
    waits for its analysis (renamed since, say, or pasted again)."""
    paths = [ctx.vault / note for note in recorded]
    paths += [p for p in videos(ctx).notes(video_id) if p not in paths]
    return paths


def _chunks(requests: list[tuple[str, dict[str, Any]]]
            ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    chunk: list[tuple[str, dict[str, Any]]] = []
    size = 0
    for request in requests:
        length = len(json.dumps(request[1]))
        if chunk and (len(chunk) >= MAX_REQUESTS or size + length > MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(request)
        size += length
    if chunk:
        yield chunk
