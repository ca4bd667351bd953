"""The one place that knows the order: note → video id → fetch (cache) → analyze → render →
merge/write. `process_note()` handles one note, `sync()` a whole vault with bounded concurrency.

Collaborators come in through `Context` (config, cache, ledger, a YouTube client, an analyzer
and a clock), so tests hand in fakes without patching anything here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from ytvault import claims, names, notes, obsidian
from ytvault.atomic import Changed, atomic_write, fingerprint, is_leftover
from ytvault.cache import Cache
from ytvault.config import Config
from ytvault.errors import (
    AnalysisAuthError,
    AnalysisError,
    AnalysisTransientError,
    NoteSkipped,
    PermanentError,
    TransientError,
)
from ytvault.index import VideoIndex
from ytvault.merge import attach_callout, merge_analysis, merge_note
from ytvault.models import Transcript, Video
from ytvault.notes import Kind, Stub
from ytvault.quotes import check_quotes
from ytvault.render import inline_text, render_analysis, render_callout, render_note
from ytvault.state import Ledger
from ytvault.vault import attachment_dir, inside_vault, iter_notes
from ytvault.yamltext import FrontmatterError, scalar

log = logging.getLogger(__name__)


class YouTubeSource(Protocol):
    def fetch_info(self, video_id: str) -> dict[str, Any]: ...
    def fetch_transcript(self, video_id: str, languages: Sequence[str],
                         info: dict[str, Any] | None = None) -> Transcript: ...
    def fetch_thumbnail(self, urls: Sequence[str]) -> bytes: ...


class Analyzer(Protocol):
    def analyze(self, video: Video, transcript: Transcript) -> BaseModel: ...


Status = Literal["filled", "skipped", "failed"]


@dataclass(frozen=True)
class Outcome:
    note: Path
    status: Status
    detail: str = ""
    video_id: str = ""
    analysis_pending: bool = False  # filled, but waiting for an API key


def _local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class Context:
    config: Config
    vault: Path
    cache: Cache
    ledger: Ledger
    youtube: YouTubeSource
    analyzer: Analyzer | None  # None: no API key, notes get everything but the analysis
    clock: Callable[[], datetime] = _local_now
    dry_run: bool = False
    retry_failed: bool = False
    analysis_refused: str | None = None  # set once the API refused the key: stop calling it
    honour_backoff: bool = False  # the watcher waits out transient failures; `sync` retries
    on_write: Callable[[Path], None] | None = None  # told of every note ytvault wrote
    on_queue: Callable[[Path], None] | None = None  # told of every note `sync` queues
    videos: VideoIndex | None = field(default=None, repr=False)  # see videos()
    device: str | None = None  # this device's name in claims; None: claim no notes
    claim_settle: float = 3.0
    claim_lease: timedelta = timedelta(minutes=15)
    stopping: threading.Event = field(default_factory=threading.Event)
    write_gate: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _locks: dict[Path, threading.Lock] = field(default_factory=dict, repr=False)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def lock(self, path: Path) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(path, threading.Lock())

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.vault).as_posix()
        except ValueError:
            return str(path)


def find_work(ctx: Context, path: Path) -> Stub | Outcome | None:
    """Decide from the note alone: a Stub to process, an Outcome (skipped), or None (not ours)."""
    try:
        text = notes.read_text(path)
        if text is None:
            return None
        stub = notes.classify(text)
    except NoteSkipped as exc:
        return Outcome(path, "skipped", str(exc))
    except (FileNotFoundError, NotADirectoryError):
        return Outcome(path, "skipped", "the file vanished while it was read")
    except OSError as exc:
        return Outcome(path, "skipped", f"cannot read it: {exc.strerror or exc}")
    if stub is None:
        return None
    held = claims.read_claim(text) if claims.KEY in stub.properties else None
    if held is not None and held.device != ctx.device and held.live(datetime.now(UTC)):
        return Outcome(path, "skipped", f"device {held.device} is filling it", stub.video_id)
    if path.is_symlink() or not inside_vault(ctx.vault, path):
        return Outcome(path, "skipped", "it is a link to a file outside the vault", stub.video_id)
    rel = ctx.rel(path)
    if stub.kind is Kind.FAILED and not ctx.retry_failed:
        return Outcome(path, "skipped", "it could not be filled earlier (see the note); "
                       "`ytvault sync --retry-failed` tries again", stub.video_id)
    if stub.kind is Kind.WAITING and not (ctx.retry_failed or ctx.ledger.is_due(ctx.vault, rel)):
        return Outcome(path, "skipped", "waiting for the premiere", stub.video_id)
    if ctx.honour_backoff and not ctx.ledger.is_due(ctx.vault, rel):
        return Outcome(path, "skipped", "failed earlier: waiting before the next try",
                       stub.video_id)
    if stub.kind is Kind.ANALYSIS:
        failed = notes.callout_state(text) == notes.ANALYSIS_FAILED
        if failed and not ctx.retry_failed:
            return Outcome(path, "skipped", "its analysis failed earlier (see the note); "
                           "`ytvault sync --retry-failed` tries again", stub.video_id)
        if ctx.analyzer is None or ctx.analysis_refused:
            return Outcome(path, "skipped", "analysis pending", stub.video_id, True)
    return stub


def process_note(ctx: Context, path: Path) -> Outcome | None:
    """Fill one note if it is ours to fill; None when it is not a stub at all."""
    work = find_work(ctx, path)
    if work is None or isinstance(work, Outcome):
        return work
    return process_stub(ctx, path, work)


def sync(ctx: Context, paths: Iterable[Path] | None = None) -> Iterator[Outcome]:
    """Every stub in `paths` (default: the whole vault), `concurrency` notes at a time.

    Outcomes are yielded as notes finish; notes that are not stubs yield nothing.
    """
    leftovers: list[Path] = []
    candidates = iter_notes(ctx.vault, leftovers=leftovers) if paths is None else paths
    with ThreadPoolExecutor(max_workers=ctx.config.concurrency, thread_name_prefix="note") as pool:
        futures = []
        for path in candidates:
            work = find_work(ctx, path)
            if isinstance(work, Outcome):
                yield work
            elif work is not None:
                if ctx.on_queue is not None:
                    ctx.on_queue(path)
                futures.append((path, pool.submit(process_stub, ctx, path, work)))
        for path, future in futures:
            try:
                yield future.result()
            except Exception as exc:  # a bug must not stop the other notes: report it, go on
                log.exception("unexpected error on %s", path)
                yield Outcome(path, "failed", f"unexpected error: {type(exc).__name__}: {exc}")
    if not ctx.dry_run:
        remove_leftovers(leftovers)


# A temp file younger than this, of a writer not on this machine, may be a write in progress.
LEFTOVER_AGE_SECONDS = 300.0


def remove_leftovers(paths: Iterable[Path], now: float | None = None) -> None:
    """Remove the temp files of atomic writes that a crash interrupted (never a note)."""
    now = time.time() if now is None else now
    for path in paths:
        if is_leftover(path, now, LEFTOVER_AGE_SECONDS):
            with contextlib.suppress(OSError):
                path.unlink()
                log.info("removed %s, left by an interrupted write", path)


def process_stub(ctx: Context, path: Path, stub: Stub) -> Outcome:
    with ctx.lock(path):
        claimed = False
        try:
            if ctx.device is not None and not ctx.dry_run:
                claimed = _claim(ctx, path, stub)
            return _process(ctx, path, stub)
        except NoteSkipped as exc:
            return Outcome(path, "skipped", str(exc), stub.video_id)
        except (TransientError, AnalysisTransientError) as exc:
            _record(ctx, path, stub, "transient", str(exc))
            said = "retried later" in str(exc)
            return Outcome(path, "failed", str(exc) + ("" if said else "; will retry"),
                           stub.video_id)
        except PermanentError as exc:
            _attach(ctx, path, stub, render_callout(
                "warning", notes.CANNOT_FILL,
                f"{_sentence(str(exc))} Delete this callout to try again."))
            _record(ctx, path, stub, "failed", str(exc))
            return Outcome(path, "failed", str(exc), stub.video_id)
        except OSError as exc:
            return Outcome(path, "failed", f"cannot write it: {exc.strerror or exc}", stub.video_id)
        finally:
            if claimed:
                _release(ctx, path)


def _claim(ctx: Context, path: Path, stub: Stub) -> bool:
    """Claim the note for this device, wait for other devices' claims to arrive, and check that
    ours stands. Raises NoteSkipped when another device has it."""
    assert ctx.device is not None
    device = ctx.device
    now = datetime.now(UTC)

    def add(current: str, _: str | None) -> str | None:
        _check_still(stub, current)
        held = claims.read_claim(current)
        if held is not None and held.device != device and held.live(now):
            raise NoteSkipped(f"device {held.device} is filling it")
        return claims.add_claim(current, device, now, ctx.claim_lease)

    _write(ctx, path, add, keep_claim=True)
    if ctx.stopping.wait(ctx.claim_settle):
        return True
    current = _reread(path)[0]
    held = claims.read_claim(current)
    if held is None or held.device != device:
        raise NoteSkipped(f"device {held.device if held else 'another'} claimed it first")
    _check_still(stub, current)
    return True


def _check_still(stub: Stub, current: str) -> None:
    """Raise NoteSkipped unless the note still asks for the work `stub` stands for: another
    device, or another process, may have done it meanwhile."""
    now = notes.classify(current)
    if now is None or now.kind is not stub.kind or now.video_id != stub.video_id:
        raise NoteSkipped("it was filled or changed meanwhile: nothing to do")


def _release(ctx: Context, path: Path) -> None:
    """Take our claim off a note we did not fill (the fill's own write removes it otherwise)."""
    with contextlib.suppress(NoteSkipped, OSError):
        _write(ctx, path, lambda current, _: claims.drop_claim(current)
               if _ours(ctx, current) else current)


def _ours(ctx: Context, text: str) -> bool:
    held = claims.read_claim(text)
    return held is not None and held.device == ctx.device


def _process(ctx: Context, path: Path, stub: Stub) -> Outcome:
    if ctx.dry_run:
        return Outcome(path, "filled", "dry run: nothing written", stub.video_id)
    if stub.kind is not Kind.ANALYSIS and ctx.config.duplicates == "skip":
        found = videos(ctx).notes(stub.video_id, finished=True, exclude=path)
        if found:
            return _skip_duplicate(ctx, path, stub, found[0])
    video = fetch_video(ctx, stub.video_id)
    if video.is_upcoming:
        return _wait_for_premiere(ctx, path, stub, video)
    if stub.kind is Kind.ANALYSIS:
        transcript, why = fetch_transcript(ctx, video)
        body, pending = analysis_block(ctx, video, transcript, why)
        if pending:
            return Outcome(path, "skipped", "analysis pending", stub.video_id, True)
        _write(ctx, path, lambda current, _: merge_analysis(current, body))
        _record(ctx, path, stub, "filled")
        return Outcome(path, "filled", video.title, stub.video_id)
    thumbnail = fetch_thumbnail(ctx, video)
    transcript, why = fetch_transcript(ctx, video)
    body, pending = analysis_block(ctx, video, transcript, why)
    now = ctx.clock()
    template = note_template(ctx)

    rendered_last: list[str] = []
    earlier: list[Path] = []

    def merge(current: str, thumbnail_path: str | None) -> str | None:
        thumb, embed = _thumbnail_links(ctx, path, thumbnail_path)
        rendered = render_note(video, url=stub.url, body=body, thumbnail=thumb, now=now,
                               template=template, chapter_links=ctx.config.chapter_links,
                               body_embed=embed)
        # under the write gate: a note of the same video written a moment ago counts too
        earlier[:] = videos(ctx).notes(stub.video_id, finished=True, exclude=path)
        if earlier and ctx.config.duplicates == "link":
            link = obsidian.note_link(ctx.vault, path, earlier[0])
            rendered = _with_property(rendered, "duplicate_of", scalar(link))
        rendered_last[:] = [rendered]
        return merge_note(current, rendered, stub)

    videos(ctx).notes(stub.video_id)  # build the index now, not while holding the write gate
    _write(ctx, path, merge, (thumbnail, now) if thumbnail else None)
    _record(ctx, path, stub, "pending" if pending else "filled")
    detail = video.title + ("; analysis pending" if pending else "")
    if transcript.is_empty:
        detail = video.title + "; no transcript, so no analysis"
    if earlier:
        detail += f"; this video also has a note: {ctx.rel(earlier[0])}"
    path, renamed = _after_fill(ctx, path, stub, video, rendered_last)
    return Outcome(path, "filled", detail + renamed, stub.video_id, pending)


def videos(ctx: Context) -> VideoIndex:
    """The vault's notes by video id (index.py), built on first use and shared by threads."""
    with ctx._locks_guard:
        if ctx.videos is None:
            ctx.videos = VideoIndex(ctx.vault)
        return ctx.videos


def _thumbnail_links(ctx: Context, note: Path, thumbnail: str | None
                     ) -> tuple[str | None, str | None]:
    """The thumbnail's wikilink path and Markdown embed, as the vault's link settings say."""
    if thumbnail is None:
        return None, None
    return obsidian.thumbnail_links(ctx.vault, note, ctx.vault / thumbnail)


def _with_property(rendered: str, key: str, value: str) -> str:
    """`rendered` with one more property after the template's."""
    parts = notes.split_note(rendered)
    front = (parts.frontmatter or "") + f"{key}: {value}\n"
    return notes.Parts(parts.bom, front, parts.opening, parts.closing, parts.body).text


def _after_fill(ctx: Context, path: Path, stub: Stub, video: Video,
                rendered: list[str]) -> tuple[Path, str]:
    """What follows a fill: the property types Obsidian should use, a record of the lines
    `refresh` may update later, and the optional rename of an `Untitled` note. Returns the
    note's path and, when it was renamed, a note of it for the output."""
    from ytvault.refresh import generated_lines

    obsidian.ensure_property_types_once(ctx.vault)
    videos(ctx).add(stub.video_id, path)
    if rendered:
        with contextlib.suppress(FrontmatterError):  # a template too unusual to cut: no record
            ctx.ledger.remember_generated(ctx.vault, ctx.rel(path), stub.video_id,
                                          generated_lines(rendered[0]))
    if not (ctx.config.rename_untitled and names.is_untitled(path.name)):
        return path, ""
    target = names.free_path(path.parent, names.safe_stem(video.title, video.id))
    with ctx.write_gate:
        if ctx.stopping.is_set():
            return path, ""
        try:
            names.move_no_clobber(path, target)
        except OSError as exc:
            log.warning("could not rename %s to %s: %s", path, target.name, exc)
            return path, ""
    ctx.ledger.move(ctx.vault, ctx.rel(path), ctx.rel(target))
    videos(ctx).add(stub.video_id, target)
    if ctx.on_write is not None:
        ctx.on_write(target)
    return target, f"; renamed from {path.name}"


def _skip_duplicate(ctx: Context, path: Path, stub: Stub, earlier: Path) -> Outcome:
    link = obsidian.note_link(ctx.vault, path, earlier)
    with contextlib.suppress(NoteSkipped):  # no URL line to put it under: the output says it
        _attach(ctx, path, stub, render_callout(
            "info", DUPLICATE, f"This video already has a note: {link}. ytvault leaves this "
            "one as it is (`duplicates = \"skip\"` in config.toml)."))
    return Outcome(path, "skipped", f"this video already has a note: {ctx.rel(earlier)}",
                   stub.video_id)


DUPLICATE = "already in the vault"


def fetch_video(ctx: Context, video_id: str) -> Video:
    info = ctx.cache.read_info(video_id)
    if info is None:
        info = ctx.youtube.fetch_info(video_id)
        # an upcoming or live video's metadata is still changing: fetch it again next time
        if info.get("live_status") not in ("is_upcoming", "is_live"):
            ctx.cache.write_info(video_id, info)
    return Video.from_info(info)


def fetch_transcript(ctx: Context, video: Video) -> tuple[Transcript, str]:
    """The transcript (empty when there is none) and, when YouTube said why, the reason."""
    transcript = ctx.cache.read_transcript(video.id)
    if transcript is None:
        try:
            transcript = ctx.youtube.fetch_transcript(video.id, ctx.config.transcript_languages,
                                                      video.info)
        except PermanentError as exc:  # no captions for this video, as far as YouTube says
            return Transcript(video.id, "", "", False, ()), str(exc)
        ctx.cache.write_transcript(video.id, transcript)
    return transcript, ""


def fetch_thumbnail(ctx: Context, video: Video) -> bytes | None:
    data = ctx.cache.read_thumbnail(video.id)
    if data is None:
        try:
            data = ctx.youtube.fetch_thumbnail(video.thumbnails)
        except PermanentError:
            return None  # no thumbnail at all: the note is still worth writing
        ctx.cache.write_thumbnail(video.id, data)
    return data


def analysis_block(
    ctx: Context, video: Video, transcript: Transcript, no_transcript_reason: str = ""
) -> tuple[str, bool]:
    """The text that stands above the player, and whether the analysis is still to come."""
    key = ctx.config.api_key_env
    if transcript.is_empty:
        why = f" ({no_transcript_reason})" if no_transcript_reason else ""
        return render_callout("note", "no transcript", inline_text(
            f"This video has no transcript{why}, so there is no analysis.")), False
    if ctx.analyzer is None:
        return render_callout("info", notes.ANALYSIS_PENDING,
                              f"Set `{key}` and run `ytvault sync` (or keep `ytvault watch` "
                              "running): the summary and analysis will replace this callout."), True
    if ctx.analysis_refused:
        return render_callout("info", notes.ANALYSIS_PENDING, inline_text(
            ctx.analysis_refused)), True
    try:
        return checked_analysis(ctx, video, transcript,
                                ctx.analyzer.analyze(video, transcript)), False
    except AnalysisAuthError as exc:
        ctx.analysis_refused = str(exc)
        return render_callout("info", notes.ANALYSIS_PENDING, inline_text(str(exc))), True
    except AnalysisTransientError:
        raise
    except AnalysisError as exc:
        return render_callout("warning", notes.ANALYSIS_FAILED, inline_text(
            f"{_sentence(str(exc))} Run `ytvault sync --retry-failed` to try again.")), False


def checked_analysis(ctx: Context, video: Video, transcript: Transcript,
                     analysis: BaseModel) -> str:
    """The analysis rendered once its quotes are checked against the transcript (quotes.py)."""
    config = ctx.config
    checked = check_quotes(analysis, transcript, config.sections,
                           keep_missing=config.unverified_quotes == "mark")
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
    _attach(ctx, path, stub, render_callout("info", notes.WAITING, message))
    next_attempt = float(video.release_timestamp) if video.release_timestamp else None
    _record(ctx, path, stub, "waiting", f"premieres {when}", next_attempt)
    return Outcome(path, "skipped", f"upcoming premiere: it premieres {when}", stub.video_id)


def _attach(ctx: Context, path: Path, stub: Stub, callout: str) -> None:
    if stub.kind is Kind.ANALYSIS:
        return  # the note is already filled; the ledger and the output carry the reason
    _write(ctx, path, lambda current, _: attach_callout(current, stub, callout))


Merge = Callable[[str, str | None], str | None]


def _write(ctx: Context, path: Path, merge: Merge,
           thumbnail: tuple[bytes, datetime] | None = None, keep_claim: bool = False) -> None:
    """Re-read the note, merge into what is there now, and write it atomically if it changed.

    `merge(current, thumbnail_path)` (the thumbnail's path from the vault root) gives the new
    text, or None when the note no longer wants it. The thumbnail is saved only once the
    merge is known to apply, and removed again if the note is not written. Writes pass one
    gate, so a stopping daemon can close it and exit knowing that no note is half-way through
    a write.
    """
    for _ in range(5):  # the person saved in the instant between our read and our rename
        with ctx.write_gate:
            if ctx.stopping.is_set():
                raise NoteSkipped("ytvault is stopping: the note was left as it was")
            current, seen = _reread(path)
            if merge(current, None) is None:
                raise NoteSkipped("the note changed while it was processed: left as it is")
            saved = _save_thumbnail(ctx, path, *thumbnail) if thumbnail else None
            try:
                merged = merge(current, ctx.rel(saved) if saved else None)
                if merged is not None and not keep_claim and _ours(ctx, merged):
                    merged = claims.drop_claim(merged)  # the work is done: so is our claim
                if merged is None or merged == current:
                    raise _Unchanged
                if not inside_vault(ctx.vault, path) or path.is_symlink():
                    raise NoteSkipped("it is a link to a file outside the vault")
                _check_writable(path)
                atomic_write(path, merged.encode("utf-8"), unchanged_since=seen)
            except _Unchanged:
                if saved is not None:
                    saved.unlink(missing_ok=True)
                return
            except Changed:
                if saved is not None:
                    saved.unlink(missing_ok=True)
                continue
            except BaseException:
                if saved is not None:  # the note was left as it was: so is the attachment folder
                    saved.unlink(missing_ok=True)
                raise
        if ctx.on_write is not None:
            ctx.on_write(path)
        return
    raise NoteSkipped("the note kept changing while it was processed: left as it is")


def _check_writable(path: Path) -> None:
    """Respect a note or folder the person made read-only, even where we could replace it (a
    rename needs only the folder's permission, and root ignores permissions altogether)."""
    if not path.stat().st_mode & stat.S_IWUSR:
        raise NoteSkipped("the note is read-only: make it writable to have it filled")
    if not path.parent.stat().st_mode & stat.S_IWUSR:
        raise NoteSkipped("its folder is read-only: make it writable to have the note filled")


class _Unchanged(Exception):
    pass


write_note = _write  # for refresh.py: the same gate, re-read and atomic write as a fill


def _reread(path: Path) -> tuple[str, tuple[int, int, int]]:
    try:
        seen = fingerprint(path)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NoteSkipped("the note vanished while it was processed: nothing written") from None
    try:
        return raw.decode("utf-8"), seen
    except UnicodeDecodeError:
        raise NoteSkipped("the note changed while it was processed: left as it is") from None


def _save_thumbnail(ctx: Context, note: Path, data: bytes, now: datetime) -> Path:
    folder = attachment_dir(ctx.vault, note)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".png" if data.startswith(b"\x89PNG") else ".webp" if data[8:12] == b"WEBP" else ".jpg"
    millis = int(now.timestamp() * 1000)
    while True:  # one name per thumbnail: never overwrite an attachment
        target = folder / f"{millis}{ext}"
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            millis += 1
            continue
        os.close(fd)
        atomic_write(target, data)
        return target


def _record(ctx: Context, path: Path, stub: Stub, status: str, reason: str = "",
            next_attempt: float | None = None) -> None:
    if not ctx.dry_run:
        ctx.ledger.record(ctx.vault, ctx.rel(path), stub.video_id, status, reason, next_attempt)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
