"""The daemon: watchdog events → per-note debounce → the pipeline, `concurrency` notes at a time.

It scans the vault once at start and again every `reconcile_minutes` (events can be missed:
sync tools, sleep, network mounts), follows Obsidian's Excluded files as they change, waits out
transient failures with the ledger's backoff, and stops cleanly on SIGINT/SIGTERM: the write
gate is closed, so every note is either finished or left as it was.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ytvault.outcome import Outcome
from ytvault.pipeline.context import Context, with_options
from ytvault.pipeline.run import find_work, judge, process_stub, warm_indexes
from ytvault.pipeline.write import release_claims, remove_orphan_thumbnails
from ytvault.vault.atomic import fingerprint
from ytvault.vault.configdir import settings_file
from ytvault.vault.mounts import REMOTE_FS, mount_type
from ytvault.vault.scan import Found, read_note, scan_vault
from ytvault.vault.seen import Seen
from ytvault.vault.walk import is_note, iter_notes, load_ignore_filters

log = logging.getLogger(__name__)

class Watcher:
    def __init__(self, ctx: Context, report: Callable[[Outcome], None]) -> None:
        # the daemon waits out transient failures (`sync` retries them) and knows its own writes
        ctx = with_options(ctx, on_write=self._wrote, honour_backoff=True)
        self.ctx = ctx
        self.report = report
        self.debounce = ctx.config.debounce_seconds
        self._due: dict[Path, float] = {}  # path → monotonic time it may be processed
        self._running: set[Path] = set()
        self._dirty: set[Path] = set()  # changed again while being processed
        self._written: dict[Path, tuple[int, int, int]] = {}  # our own writes, to ignore
        self._cond = threading.Condition()
        self._work: queue.Queue[Path | None] = queue.Queue()
        # Obsidian's Excluded files, read again at every scan and whenever app.json changes
        self._app_json = settings_file(ctx.vault, "app.json")
        self._filters = load_ignore_filters(ctx.vault)
        self._rescan = False  # the exclusions changed: scan now, not at the next reconcile
        # what the last scan found not to be ours: the next one opens only what changed since
        self._seen = Seen.for_vault(ctx.config.resolved_state_dir, ctx.vault,
                                    save=not ctx.options.dry_run)
        self._warmed = threading.Event()  # the model client and yt-dlp are loaded (or loading)

    # --- events in ------------------------------------------------------------------------

    def notice(self, path: Path) -> None:
        """A note was created, changed or moved here: process it once it has settled."""
        if path == self._app_json:
            self._settings_changed()
            return
        if not path.name.lower().endswith(".md") or not is_note(self.ctx.vault, path,
                                                                 self._filters):
            return
        if not self._warmed.is_set() and isinstance(read_note(path), Found):
            self._warm_up()  # the first stub: load what filling it takes while it settles
        with self._cond:
            own = self._written.get(path)
            if own is not None:
                try:
                    if fingerprint(path) == own:
                        return  # the event of our own write
                except OSError:
                    pass
                del self._written[path]
            if path in self._running:
                self._dirty.add(path)
                return
            self._due[path] = time.monotonic() + self.debounce
            self._cond.notify()

    def _settings_changed(self) -> None:
        filters = load_ignore_filters(self.ctx.vault)
        if filters == self._filters:
            return  # another of Obsidian's settings
        log.info("Obsidian's excluded files changed: scanning again")
        with self._cond:
            self._filters = filters
            self._rescan = True  # a folder no longer excluded may hold stubs
            self._cond.notify()

    def _wrote(self, path: Path) -> None:
        try:
            stamp = fingerprint(path)
        except OSError:
            return
        with self._cond:
            self._written[path] = stamp

    # --- the loop ---------------------------------------------------------------------------

    def wake(self) -> None:
        """Make the loop look at the stop event now (from a signal handler)."""
        with self._cond:
            self._cond.notify()

    def run(self, stop: threading.Event) -> None:
        observer = start_observer(self, self.ctx.config.watch_mode,
                                  self.ctx.config.poll_interval_seconds)
        workers = [threading.Thread(target=self._worker, name=f"note-{i}", daemon=True)
                   for i in range(self.ctx.config.concurrency)]
        for worker in workers:
            worker.start()
        reconcile_every = self.ctx.config.reconcile_minutes * 60
        next_scan = time.monotonic()
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_scan or self._rescan:
                    self._rescan = False
                    self.scan()
                    next_scan = time.monotonic() + reconcile_every
                self._dispatch_due()
                with self._cond:
                    wake = min([next_scan, *self._due.values()])
                    self._cond.wait(timeout=max(0.0, min(wake - time.monotonic(), 1.0)))
        finally:
            self._stop(observer)

    def _warm_up(self) -> None:
        """Load the model client and yt-dlp and build the vault's indexes, in the background,
        once there is a stub to fill: when its event arrives, so this overlaps its debounce
        (the SDK's import and a walk of a large vault). Not before: an idle daemon without them
        holds well under half the memory (docs/design.md, docs/benchmarks.md)."""
        with self._cond:
            if self._warmed.is_set():
                return
            self._warmed.set()
        youtube, analyzer = self.ctx.youtube, self.ctx.analyzer

        def warm() -> None:
            log.info("a stub to fill: loading the model client and yt-dlp")
            youtube.prepare()
            if analyzer is not None:
                analyzer.prepare()
            warm_indexes(self.ctx)

        threading.Thread(target=warm, name="warm-up", daemon=True).start()

    def scan(self) -> None:
        """Queue every note that is ours to process now (a start-up or reconciliation scan)."""
        started = time.monotonic()
        count = 0
        self._filters = load_ignore_filters(self.ctx.vault)  # excluded since: never touched
        if not self.ctx.options.dry_run:
            remove_orphan_thumbnails(self.ctx)
        for note, read in scan_vault(self.ctx.vault, self._seen, filters=self._filters,
                                     tidy=not self.ctx.options.dry_run):
            work = read if isinstance(read, Outcome) else judge(self.ctx, Path(note), read)
            if isinstance(work, Outcome):
                if _quiet(work):  # waiting out a backoff, a premiere, a key or a batch
                    self._retry_when_due(work.note)
                continue
            count += 1
            path = Path(note)
            with self._cond:
                if path not in self._running:
                    self._due.setdefault(path, 0.0)
        log.info("scanned %s in %.2f s: %d note(s) to fill", self.ctx.vault,
                 time.monotonic() - started, count)
        if count:
            self._warm_up()

    def _dispatch_due(self) -> None:
        now = time.monotonic()
        with self._cond:
            ready = [p for p, t in self._due.items() if t <= now and p not in self._running]
            for path in ready:
                del self._due[path]
                self._running.add(path)
                self._work.put(path)

    def _worker(self) -> None:
        while True:
            path = self._work.get()
            if path is None:
                return
            try:
                self._handle(path)
            except Exception:  # one note's bug must not kill the daemon
                log.exception("unexpected error on %s", path)
            finally:
                with self._cond:
                    self._running.discard(path)
                    if path in self._dirty:  # edited while we worked: look again once settled
                        self._dirty.discard(path)
                        self._due[path] = time.monotonic() + self.debounce
                    self._cond.notify()

    def _handle(self, path: Path) -> None:
        if self.ctx.run.stopping.is_set() or self._filters.ignores(self.ctx.rel(path)):
            return  # excluded in Obsidian since it was queued
        work = find_work(self.ctx, path)
        if work is None:
            return
        if isinstance(work, Outcome):
            if not _quiet(work):
                self.report(work)
            self._retry_when_due(path)
            return
        self.report(process_stub(self.ctx, path, work))
        self._retry_when_due(path)

    def _retry_when_due(self, path: Path) -> None:
        """A note that failed for now, or waits for a premiere, is looked at again when its
        backoff ends, not only at the next reconciliation scan."""
        entry = self.ctx.ledger.get(self.ctx.vault, self.ctx.rel(path))
        if entry is None or entry.next_attempt is None:
            return
        delay = max(0.0, entry.next_attempt - time.time())
        with self._cond:
            if path not in self._due:
                self._due[path] = time.monotonic() + delay + self.debounce

    def _stop(self, observer: Any) -> None:
        # Close the write gate first: from here on no note write can start, and none is
        # half-way through one, so the process may exit with model calls still in flight.
        self.ctx.run.write_gate.acquire()
        self.ctx.run.stopping.set()
        release_claims(self.ctx)  # the notes not filled are given back as they were
        for _ in range(self.ctx.config.concurrency):
            self._work.put(None)
        observer.stop()
        observer.join(timeout=5)
        log.info("stopped")


# Outcomes that the scan sees again and again; the ledger and `ytvault status` hold them.
QUIET = frozenset({
    "analysis pending", "waiting for the premiere", "failed earlier: waiting before the next try",
})


def _quiet(outcome: Outcome) -> bool:
    return outcome.detail in QUIET or outcome.detail.startswith("analysis pending")


def start_observer(watcher: Watcher, mode: str, poll_interval: float) -> Any:
    """A watchdog observer on the vault: native, or polling where native events don't arrive."""
    from watchdog.events import (
        DirCreatedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    # Only the events that can make a stub (or change Excluded files: a save of
    # .obsidian/app.json comes as one of these too). Without a filter, inotify reports every
    # open and every read-only close: the daemon's own scans (and Obsidian's indexing,
    # backups…) would each wake it twice per note.
    wanted = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
              DirCreatedEvent, DirMovedEvent]
    vault = watcher.ctx.vault
    use_polling = mode == "polling" or (mode == "auto" and needs_polling(vault))
    handler = _handler(watcher)
    if not use_polling:
        observer = Observer()
        try:
            observer.schedule(handler, str(vault), recursive=True, event_filter=wanted)
            observer.start()
            log.info("watching %s (native events)", vault)
            return observer
        except OSError as exc:  # e.g. inotify's watch limit on a very large vault
            log.warning("native file events unavailable (%s): polling every %.0f s instead",
                        exc, poll_interval)
    observer = PollingObserver(timeout=poll_interval)
    observer.schedule(handler, str(vault), recursive=True, event_filter=wanted)
    observer.start()
    log.info("watching %s (polling every %.0f s)", vault, poll_interval)
    return observer


def _handler(watcher: Watcher) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        # Plain handler, our own filtering: watchdog 7's pattern handlers match a move on its
        # source too, and an atomic save (`.x.tmp` → `x.md`) must count by its destination.
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("deleted", "opened", "closed_no_write"):
                return
            target = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
            if event.is_directory:  # a folder moved in brings its notes without their events
                if event.event_type in ("created", "moved"):
                    for note in iter_notes(target):
                        watcher.notice(note)
                return
            watcher.notice(target)

    return Handler()


def needs_polling(vault: Path) -> bool:
    """WSL's /mnt/* drives and network or FUSE mounts deliver no native events."""
    real = os.path.realpath(vault)
    try:
        with open("/proc/version", encoding="utf-8") as fh:
            wsl = "microsoft" in fh.read().lower()
    except OSError:
        wsl = False
    if wsl and real.startswith("/mnt/"):
        return True
    return mount_type(real) in REMOTE_FS
