"""What every stage is handed: the configuration, the cache, the ledger, a YouTube client,
an analyzer and a clock (`Context`). What processing a note comes to is in outcome.py.

Collaborators come in here, so tests hand in fakes without patching anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # a scan that finds nothing to do imports none of these (pydantic, SQLite)
    from pydantic import BaseModel

    from ytvault.config.settings import Config
    from ytvault.models import Transcript, Video
    from ytvault.pipeline.ledger import Ledger
    from ytvault.vault.index import VideoIndex
    from ytvault.vault.obsidian import FileNames
    from ytvault.youtube.cache import Cache
    from ytvault.youtube.pace import FetchPace


class YouTubeSource(Protocol):
    def fetch_info(self, video_id: str) -> dict[str, Any]: ...
    def fetch_transcript(self, video_id: str, languages: Sequence[str],
                         info: dict[str, Any] | None = None) -> Transcript: ...
    def fetch_thumbnail(self, urls: Sequence[str]) -> bytes: ...


class Analyzer(Protocol):
    def analyze(self, video: Video, transcript: Transcript) -> BaseModel: ...


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
    file_names: FileNames | None = field(default=None, repr=False)  # see file_names()
    fetch_pace: FetchPace | None = None  # spaces fetches from YouTube; None: no pause
    writing_batch: bool = False  # writing a Message Batch's results: its notes are ours
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


def videos(ctx: Context) -> VideoIndex:
    """The vault's notes by video id (index.py), built on first use and shared by threads."""
    from ytvault.vault.index import VideoIndex

    with ctx._locks_guard:
        if ctx.videos is None:
            ctx.videos = VideoIndex(ctx.vault)
        return ctx.videos


def file_names(ctx: Context) -> FileNames:
    """The vault's file names (obsidian.py: how short a link may be), from one walk."""
    from ytvault.vault.obsidian import FileNames

    with ctx._locks_guard:
        if ctx.file_names is None:
            ctx.file_names = FileNames(ctx.vault)
        return ctx.file_names
