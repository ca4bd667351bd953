"""The one place that knows the order: note → video id → fetch (cache) → analyze → render →
merge/write. `process_note()` handles one note, `sync()` a whole vault with bounded concurrency.

Collaborators come in through `Context` (config, cache, ledger, a YouTube client, an analyzer
and a clock), so tests hand in fakes without patching anything here.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ytvault.analysis.chunking import part_budgets
from ytvault.analysis.quotes import check_quotes
from ytvault.cost import Usage
from ytvault.errors import (
    AnalysisAuthError,
    AnalysisDeferred,
    AnalysisError,
    AnalysisTransientError,
    NoteSkipped,
    NoTranscript,
    PermanentError,
    TransientError,
    YouTubeUnreachable,
)
from ytvault.models import Transcript, Video
from ytvault.note import claims, parse
from ytvault.note.merge import check_mergeable, merge_note
from ytvault.note.parse import Kind, Stub
from ytvault.note.render import inline_text, render_analysis, render_callout, render_note
from ytvault.note.yamltext import scalar
from ytvault.outcome import Outcome
from ytvault.pipeline.context import Context, file_names, paced, videos
from ytvault.pipeline.fetch import fetch_thumbnail, fetch_transcript, fetch_video
from ytvault.pipeline.finish import (
    add_analysis,
    after_fill,
    link_thumbnail,
    skip_duplicate,
    with_property,
)
from ytvault.pipeline.preview import analyzes, preview
from ytvault.pipeline.write import (
    attach_callout_to,
    claim_note,
    release_note,
    remove_orphan_thumbnails,
    write_note,
)
from ytvault.records import NamedTuple
from ytvault.vault import obsidian
from ytvault.vault.scan import Found, read_note, scan_vault
from ytvault.vault.walk import inside_vault

log = logging.getLogger(__name__)


def find_work(ctx: Context, note: Path | str) -> Stub | Outcome | None:
    """Read the note and `judge` it: a Stub to process now, an Outcome (skipped: unreadable,
    claimed by another device, backing off…), or None (not ours)."""
    found = read_note(note)
    if found is None or isinstance(found, Outcome):
        return found
    return judge(ctx, Path(note), found)


def judge(ctx: Context, path: Path, found: Found) -> Stub | Outcome:
    """Whether a stub the scan found is to be worked on now, or skipped, and why: another
    device holds it, it waits out a backoff, a premiere, an API key or a Message Batch."""
    text, stub = found
    try:
        properties = stub.properties  # malformed: skipped before any work is done
        if stub.kind is not Kind.ANALYSIS:  # the fill merges properties: can it, once paid for?
            check_mergeable(stub.frontmatter)
    except NoteSkipped as exc:
        return Outcome(path, "skipped", str(exc))
    held = (claims.held_elsewhere(text, ctx.options.device, datetime.now(UTC))
            if claims.KEY in properties else None)
    if held is not None:
        return Outcome(path, "skipped", f"device {held.device} is filling it", stub.video_id)
    if not inside_vault(ctx.vault, path):
        why = ("it is a link to a file outside the vault" if path.is_symlink() or (
            Path(os.path.abspath(path)).is_relative_to(ctx.vault)) else
            f"it is not in the vault {ctx.vault}: move it there, or pass its vault")
        return Outcome(path, "skipped", why, stub.video_id)
    if path.is_symlink():
        return Outcome(path, "skipped", "it is a symbolic link: the note it points to is "
                       "filled instead", stub.video_id)
    rel = ctx.rel(path)
    if stub.kind is Kind.FAILED and not ctx.options.retry_failed:
        return Outcome(path, "skipped", "it could not be filled earlier (see the note); "
                       "`ytvault sync --retry-failed` tries again", stub.video_id)
    if stub.kind is Kind.WAITING and not (ctx.options.retry_failed
                                          or ctx.ledger.is_due(ctx.vault, rel)):
        return Outcome(path, "skipped", "waiting for the premiere", stub.video_id)
    if ctx.options.honour_backoff and not ctx.ledger.is_due(ctx.vault, rel):
        return Outcome(path, "skipped", "failed earlier: waiting before the next try",
                       stub.video_id)
    if stub.kind is Kind.ANALYSIS:
        if stub.analysis_failed and not ctx.options.retry_failed:
            return Outcome(path, "skipped", "its analysis failed earlier (see the note); "
                           "`ytvault sync --retry-failed` tries again", stub.video_id)
        if not analyzes(ctx):  # (a dry run with a key says what a run would analyse)
            return Outcome(path, "skipped", "analysis pending", stub.video_id, True)
        batch = None if ctx.options.writing_batch else ctx.ledger.note_batch(ctx.vault, rel)
        if batch is not None:
            return Outcome(path, "skipped", f"analysis pending: it is in Message Batch {batch};"
                           " `ytvault sync --batch` writes it when the batch ends",
                           stub.video_id, True)
    return stub


def process_note(ctx: Context, path: Path) -> Outcome | None:
    """Fill one note if it is ours to fill; None when it is not a stub at all."""
    work = find_work(ctx, path)
    if work is None or isinstance(work, Outcome):
        return work
    return process_stub(ctx, path, work)


def sync(ctx: Context, *, found: Iterable[tuple[str, Found | Outcome]] | None = None
         ) -> Iterator[Outcome]:
    """Every stub of the vault (or of what a scan `found` in it), `concurrency` notes at a
    time.

    Outcomes are yielded as notes finish; notes that are not stubs yield nothing.
    """
    if not ctx.options.dry_run:
        remove_orphan_thumbnails(ctx)
    if found is None:
        found = scan_vault(ctx.vault, tidy=not ctx.options.dry_run)
    ctx, pace = paced(ctx)  # what the cache lacks is fetched from YouTube, paced
    with ThreadPoolExecutor(max_workers=ctx.config.concurrency, thread_name_prefix="note") as pool:
        try:
            futures: list[tuple[Path, Future[Outcome]]] = []
            for note, read in found:
                path = Path(note)
                work = read if isinstance(read, Outcome) else judge(ctx, path, read)
                if isinstance(work, Outcome):
                    yield work
                else:
                    if not futures and not ctx.options.dry_run:  # the walks overlap the first calls
                        threading.Thread(target=warm_indexes, args=(ctx,), name="warm-up",
                                         daemon=True).start()
                    if ctx.options.on_queue is not None:
                        ctx.options.on_queue(path)
                    futures.append((path, pool.submit(process_stub, ctx, path, work)))
            for path, future in futures:
                try:
                    yield future.result()
                except Exception as exc:  # a bug must not stop the other notes: go on
                    log.exception("unexpected error on %s", path)
                    yield Outcome(path, "failed",
                                  f"unexpected error: {type(exc).__name__}: {exc}")
        except (KeyboardInterrupt, GeneratorExit):
            # Ctrl-C, or nobody reads on: the notes not started stay as they are, and none
            # waits out its turn at YouTube (the notes being written are finished).
            pace.halt()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def process_stub(ctx: Context, path: Path, stub: Stub) -> Outcome:
    with ctx.run.lock(path):
        claimed = False
        try:
            if ctx.options.device is not None and not ctx.options.dry_run:
                claimed = claim_note(ctx, path, stub)
            with ctx.run.video_lock(stub.video_id):  # one paid analysis per video per run
                return _process(ctx, path, stub)
        except NoteSkipped as exc:
            return Outcome(path, "skipped", str(exc), stub.video_id)
        except (TransientError, AnalysisTransientError) as exc:
            _record(ctx, path, stub, "transient", str(exc))
            said = "retried later" in str(exc)
            return Outcome(path, "failed", str(exc) + ("" if said else "; will retry"),
                           stub.video_id, unreachable=isinstance(exc, YouTubeUnreachable))
        except PermanentError as exc:
            _record(ctx, path, stub, "failed", str(exc))
            _attach_callout(ctx, path, stub, render_callout(
                "warning", parse.CANNOT_FILL,
                f"{_sentence(str(exc))} Delete this callout to try again."))
            return Outcome(path, "failed", str(exc), stub.video_id)
        except OSError as exc:
            return Outcome(path, "failed", f"cannot write it: {exc.strerror or exc}", stub.video_id)
        finally:
            if claimed:
                release_note(ctx, path)


def _process(ctx: Context, path: Path, stub: Stub) -> Outcome:
    if ctx.options.dry_run:  # what a run would do, from the cache and the config
        return preview(ctx, path, stub)
    if stub.kind is not Kind.ANALYSIS and ctx.config.duplicates == "skip":
        found = videos(ctx).notes(stub.video_id, finished=True, exclude=path)
        if found:
            return skip_duplicate(ctx, path, stub, found[0])
    video = fetch_video(ctx, stub.video_id)
    if video.is_upcoming:
        return _wait_for_premiere(ctx, path, stub, video)
    usage = Usage()
    if stub.kind is Kind.ANALYSIS:
        transcript, why = fetch_transcript(ctx, video)
        block = _analysis(ctx, path, stub, video, transcript, why, usage)
        if block.state == "pending":
            return Outcome(path, "skipped", "analysis pending", stub.video_id, True,
                           failure=block.failure)
        add_analysis(ctx, path, stub, video, block.text, note_template(ctx))
        _record(ctx, path, stub, *block.ledger())
        return Outcome(path, "filled", video.title + block.detail(), stub.video_id,
                       usage=_spent(usage), failure=block.failure)
    thumbnail = fetch_thumbnail(ctx, video)
    transcript, why = fetch_transcript(ctx, video)
    block = _analysis(ctx, path, stub, video, transcript, why, usage)
    body, pending = block.text, block.state == "pending"
    now = ctx.clock()
    template = note_template(ctx)


    def merge(current: str, thumbnail_path: str | None) -> tuple[str | None, Filled]:
        thumb, embed = link_thumbnail(ctx, path, thumbnail_path)
        rendered = render_note(video, url=stub.url, body=body, thumbnail=thumb, now=now,
                               template=template, chapter_links=ctx.config.chapter_links,
                               body_embed=embed)
        # under the write gate: a note of the same video written a moment ago counts too
        earlier = videos(ctx).notes(stub.video_id, finished=True, exclude=path)
        if earlier and ctx.config.duplicates == "link":
            link = obsidian.note_link(ctx.vault, path, earlier[0], file_names(ctx))
            rendered = with_property(rendered, "duplicate_of", scalar(link))
        return merge_note(current, rendered, stub), Filled(rendered, earlier)

    warm_indexes(ctx)  # now, not while holding the write gate
    filled = write_note(ctx, path, merge, (thumbnail, now) if thumbnail else None)
    _record(ctx, path, stub, *block.ledger())
    detail = video.title + block.detail()
    if filled.earlier:
        detail += f"; this video also has a note: {ctx.rel(filled.earlier[0])}"
    path, renamed = after_fill(ctx, path, stub, video, filled.rendered)
    return Outcome(path, "filled", detail + renamed, stub.video_id, pending, _spent(usage),
                   block.failure)


def _analysis(ctx: Context, path: Path, stub: Stub, video: Video, transcript: Transcript,
              why: PermanentError | None, usage: Usage) -> AnalysisBlock:
    """`analysis_block`, and what its calls cost recorded in the ledger, spent even when the
    analysis failed or the note is not written after all. Another note of the video in
    this run gets the analysis already made (the video's lock is held)."""
    made = ctx.run.analysis(video.id)
    if isinstance(made, AnalysisBlock):
        return made
    try:
        block = analysis_block(ctx, video, transcript, why, usage)
    finally:
        if usage.requests and not ctx.options.dry_run:
            ctx.ledger.record_usage(ctx.vault, ctx.rel(path), stub.video_id, usage)
    # What was paid for, made or failed, is shared; not pending (no key, a batch: nothing was
    # paid), nor "no transcript" (not cached on disk either: YouTube may add captions later)
    if block.state != "pending" and not transcript.is_empty:
        ctx.run.analysis(video.id, block)
    return block


def _spent(usage: Usage) -> Usage | None:
    return usage if usage.requests else None


def warm_indexes(ctx: Context) -> None:
    """Build the vault's indexes (which notes hold which video, the file names links need)
    if they are not built or too old: one walk each."""
    videos(ctx).notes("")
    file_names(ctx).ready()


class Filled(NamedTuple):
    """What a fill wrote: the rendered note, and the earlier notes of the same video."""

    rendered: str
    earlier: list[Path]


class AnalysisBlock(NamedTuple):
    """The text that stands above the player, and how the analysis stands: `done` (also when
    there is no transcript to analyse: `reason` says so), `pending` (no key, a batch), or
    `failed` for good (`reason`: why), until the person asks for a retry."""

    text: str
    state: Literal["done", "pending", "failed"] = "done"
    reason: str = ""
    failure: str = ""  # what went wrong (a failed analysis, a refused key): the run exits 1

    def ledger(self) -> tuple[str, str]:
        """The ledger's status and reason for the note this block fills."""
        if self.state == "failed":  # listed with its reason by `ytvault status`
            return "failed", f"analysis failed: {self.reason}"
        return ("pending" if self.state == "pending" else "filled"), self.reason

    def detail(self) -> str:
        """What the output line adds to the video's title."""
        if self.state == "failed":
            return f"; analysis failed: {self.reason}"
        if self.state == "pending":
            return "; analysis pending"
        return f"; {self.reason}" if self.reason else ""


def analysis_block(
    ctx: Context, video: Video, transcript: Transcript,
    no_transcript: PermanentError | None = None, usage: Usage | None = None,
) -> AnalysisBlock:
    """The text that stands above the player, and how the analysis stands. The model calls'
    tokens are added to `usage` when the analyzer counts them; `no_transcript`: what YouTube
    said when the transcript was asked for."""
    key = ctx.config.api_key_env
    if transcript.is_empty and no_transcript is not None and not isinstance(
            no_transcript, NoTranscript):  # the captions may be there: it is not saying
        return AnalysisBlock(render_callout("note", "transcript refused", inline_text(
            f"YouTube refused access to this video's transcript ({no_transcript}), so there "
            "is no analysis.")), reason=f"transcript refused ({no_transcript}), so no analysis")
    if transcript.is_empty:
        why = f" ({no_transcript})" if no_transcript else ""
        return AnalysisBlock(render_callout("note", "no transcript", inline_text(
            f"This video has no transcript{why}, so there is no analysis.")),
            reason="no transcript, so no analysis")
    if ctx.analyzer is None:
        return _pending(f"Set `{key}` and run `ytvault sync` (or keep `ytvault watch` "
                        "running): the summary and analysis will replace this callout.")
    if ctx.run.analysis_refused:
        return _pending(inline_text(ctx.run.analysis_refused))
    try:
        analysis = ctx.analyzer.analyze(video, transcript, usage or Usage())
        return AnalysisBlock(checked_analysis(ctx, video, transcript, analysis))
    except AnalysisDeferred as exc:
        return _pending(inline_text(str(exc)))
    except AnalysisAuthError as exc:
        ctx.run.refuse_analysis(str(exc))
        return _pending(inline_text(str(exc)))._replace(failure=str(exc))
    except AnalysisTransientError:
        raise
    except AnalysisError as exc:
        return AnalysisBlock(render_callout("warning", parse.ANALYSIS_FAILED, inline_text(
            f"{_sentence(str(exc))} Run `ytvault sync --retry-failed` to try again.")),
            "failed", str(exc), f"analysis failed: {exc}")


def _pending(message: str) -> AnalysisBlock:
    return AnalysisBlock(render_callout("info", parse.ANALYSIS_PENDING, message), "pending")


def checked_analysis(ctx: Context, video: Video, transcript: Transcript,
                     analysis: BaseModel) -> str:
    """The analysis rendered once its quotes are checked against the transcript (quotes.py)."""
    config = ctx.config
    # the model gives a few more quotes than the budget: the found ones are kept up to it
    checked = check_quotes(analysis, transcript, config.sections,
                           keep_missing=config.unverified_quotes == "mark",
                           limits=part_budgets(config.sections, transcript, video.duration))
    if checked.found or checked.missing:
        log.info("%s: %d of %d quotes found in the transcript; %d %s", video.id, checked.found,
                 checked.found + checked.missing, checked.missing,
                 "marked" if config.unverified_quotes == "mark" else "dropped")
    return render_analysis(checked.analysis, sections=config.sections, video_id=video.id,
                           quote_times=checked.links(link_found=config.quote_links))


def note_template(ctx: Context) -> str | None:
    """The person's note template (`note_template`), None for the default one."""
    path = ctx.config.note_template
    if path is None:
        return None
    path = ctx.config.resolve(path, ctx.vault)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise TransientError(f"cannot read the note template {path} ({why}): fix "
                             "`note_template` in config.toml") from None


def _wait_for_premiere(ctx: Context, path: Path, stub: Stub, video: Video) -> Outcome:
    when = "soon"
    if video.release_timestamp:
        airs = datetime.fromtimestamp(video.release_timestamp, UTC)
        when = airs.strftime("on %Y-%m-%d at %H:%M UTC")
    message = f"This video premieres {when}. ytvault fills this note after it airs."
    next_attempt = float(video.release_timestamp) if video.release_timestamp else None
    _record(ctx, path, stub, "waiting", f"premieres {when}", next_attempt)
    _attach_callout(ctx, path, stub, render_callout("info", parse.WAITING, message))
    return Outcome(path, "skipped", f"upcoming premiere: it premieres {when}", stub.video_id)


def _attach_callout(ctx: Context, path: Path, stub: Stub, callout: str) -> None:
    """Tell the person in the note why it is not filled, where the note still allows it; the
    ledger, written first, and the output say it either way."""
    try:
        attach_callout_to(ctx, path, stub, callout)
    except (NoteSkipped, OSError) as exc:
        log.info("%s: no callout written (%s)", path, exc)


def _record(ctx: Context, path: Path, stub: Stub, status: str, reason: str = "",
            next_attempt: float | None = None) -> None:
    if not ctx.options.dry_run:
        ctx.ledger.record(ctx.vault, ctx.rel(path), stub.video_id, status, reason, next_attempt)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
