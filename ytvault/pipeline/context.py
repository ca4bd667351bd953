"""What every stage is handed: the configuration, the cache, the ledger, a YouTube client,
an analyzer and a clock (`Context`). What processing a note comes to is in outcome.py.

Collaborators come in here, so tests hand in fakes without patching anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # a scan that finds nothing to do imports none of these (pydantic, SQLite)
    from pydantic import BaseModel

    from ytvault.config.settings import Config
    from ytvault.cost import Usage
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
    def list_playlist(self, playlist_id: str) -> list[str]: ...

    def prepare(self) -> None:
        """Load what the first fetch needs (yt-dlp), so that it starts at once."""
        ...


class Analyzer(Protocol):
    def analyze(self, video: Video, transcript: Transcript, usage: Usage) -> BaseModel:
        """The analysis of a video from its transcript; the model calls' tokens are added to
        `usage`. Raises AnalysisError (AnalysisTransientError: try again later)."""
        ...

    def prepare(self) -> None:
        """Load what the first analysis needs (the SDK), so that it starts at once."""
        ...


def _local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class RunOptions:
    """How this run treats the notes: what the command or the daemon asked for."""

    dry_run: bool = False
    retry_failed: bool = False
    honour_backoff: bool = False  # the watcher waits out transient failures; `sync` retries
    writing_batch: bool = False  # writing a Message Batch's results: its notes are ours
    device: str | None = None  # this device's name in claims; None: claim no notes
    claim_settle: float = 3.0
    claim_lease: timedelta = timedelta(minutes=15)
    on_write: Callable[[Path], None] | None = None  # told of every note ytvault wrote
    on_queue: Callable[[Path], None] | None = None  # told of every note `sync` queues


KEPT_ANALYSES = 256  # the analyses a run keeps for further notes of their video

class RunState:
    """What the threads of one run share as it goes: the stop signal, the write gate, one lock
    per note, the vault's indexes (built on first use), and a refused API key. Every variant of
    a context (`dataclasses.replace`) shares its run's state."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.write_gate = threading.Lock()
        self._guard = threading.Lock()
        self._locks: dict[Path, threading.Lock] = {}
        self._videos: VideoIndex | None = None
        self._file_names: FileNames | None = None
        self._refused: str | None = None
        # notes this run claimed and has not released → (their text before, with the claim)
        self._claims: dict[Path, tuple[str, str] | None] = {}
        self._video_locks: dict[str, threading.Lock] = {}
        self._analyses: OrderedDict[str, object] = OrderedDict()  # video id → its analysis

    def lock(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())

    def claimed(self, path: Path | None = None, held: bool = True,
                texts: tuple[str, str] | None = None) -> list[Path]:
        """Note that this run claimed `path` (`held`; `texts`: the note before the claim and
        with it), or released it; the notes it holds."""
        with self._guard:
            if path is not None and held:
                self._claims[path] = texts or self._claims.get(path)
            elif path is not None:
                self._claims.pop(path, None)
            return sorted(self._claims)

    def claim_texts(self, path: Path) -> tuple[str, str] | None:
        """The note as it was before this run claimed it, and as the claim left it."""
        with self._guard:
            return self._claims.get(path)

    def video_lock(self, video_id: str) -> threading.Lock:
        """One video's notes are filled one at a time in a run, so that the second finds the
        first (the `duplicates` setting) and its analysis, and pays for none."""
        with self._guard:
            return self._video_locks.setdefault(video_id, threading.Lock())

    def analysis(self, video_id: str, made: object = None) -> object:
        """The analysis this run made of a video (`made`: keep it), or None."""
        with self._guard:
            if made is not None:
                self._analyses[video_id] = made
                while len(self._analyses) > KEPT_ANALYSES:  # a watcher runs for months
                    self._analyses.popitem(last=False)
            return self._analyses.get(video_id)

    @property
    def analysis_refused(self) -> str | None:
        """Why the API refused the key, once it has: no more calls are made in this run."""
        return self._refused

    def refuse_analysis(self, reason: str) -> None:
        with self._guard:
            self._refused = self._refused or reason

    def videos(self, vault: Path) -> VideoIndex:
        from ytvault.vault.index import VideoIndex

        with self._guard:
            if self._videos is None:
                self._videos = VideoIndex(vault)
            return self._videos

    def file_names(self, vault: Path) -> FileNames:
        from ytvault.vault.obsidian import FileNames

        with self._guard:
            if self._file_names is None:
                self._file_names = FileNames(vault)
            return self._file_names


@dataclass(frozen=True)
class Context:
    """The collaborators every stage is handed, the run's options, and its shared state.
    Frozen: a stage that needs a variant (another analyzer, its own pace) makes one with
    `dataclasses.replace`."""

    config: Config
    vault: Path
    cache: Cache
    ledger: Ledger
    youtube: YouTubeSource
    analyzer: Analyzer | None  # None: no API key, notes get everything but the analysis
    clock: Callable[[], datetime] = _local_now
    fetch_pace: FetchPace | None = None  # spaces fetches from YouTube; None: no pause
    options: RunOptions = RunOptions()
    run: RunState = field(default_factory=RunState, repr=False, compare=False)

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.vault).as_posix()
        except ValueError:
            return str(path)


def with_options(ctx: Context, **changes: Any) -> Context:
    """`ctx` with some of its run options changed."""
    return replace(ctx, options=replace(ctx.options, **changes))


def paced(ctx: Context, sleep: Callable[[float], object] | None = None
          ) -> tuple[Context, FetchPace]:
    """`ctx` with a pace for its fetches from YouTube, and that pace: its own if it has one,
    else a new one for this run (`sleep` its wait)."""
    if ctx.fetch_pace is not None:
        return ctx, ctx.fetch_pace
    from ytvault.youtube.pace import FetchPace

    pace = FetchPace(ctx.config.fetch_pause_seconds, sleep=sleep)
    return replace(ctx, fetch_pace=pace), pace


def videos(ctx: Context) -> VideoIndex:
    """The vault's notes by video id (index.py), built on first use and shared by threads."""
    return ctx.run.videos(ctx.vault)


def file_names(ctx: Context) -> FileNames:
    """The vault's file names (obsidian.py: how short a link may be), from one walk."""
    return ctx.run.file_names(ctx.vault)
