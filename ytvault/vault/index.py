"""Which notes hold which video: the vault's finished video notes and its stubs, by video id.

`new` skips a video that already has a note; the pipeline links a stub to the earlier note of
the same video; `refresh --all` finds the finished notes. One walk builds it, reading only the
notes' text (a `youtube_url:` and a `template-type: YouTube` line: no YAML parsing, so a
large vault stays fast); every answer is checked against the note itself before it is used.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from ytvault.errors import NoteSkipped
from ytvault.note import parse
from ytvault.note.ids import video_id
from ytvault.vault.walk import iter_notes

_URL_LINE = re.compile(r"^youtube_url:[ \t]*(.*?)[ \t]*\r?$", re.M)
_FINISHED = re.compile(r"^template-type:[ \t]*([\"']?)YouTube\1[ \t]*\r?$", re.M)


def describe(path: Path) -> tuple[str, bool] | None:
    """(video id, whether it is a finished note) for a note that holds one video; None for
    any other note, and for one that cannot be read."""
    try:
        text = parse.read_text(path)
        if text is None:
            return None
        parts = parse.split_note(text)
    except (OSError, NoteSkipped):
        return None
    front = parts.frontmatter or ""
    match = _URL_LINE.search(front)
    if match:
        vid = video_id(match.group(1).strip("\"'"))
        if vid is not None:
            return vid, _FINISHED.search(front) is not None
    try:
        stub = parse.classify(text)
    except NoteSkipped:
        return None
    return (stub.video_id, False) if stub is not None else None


class VaultIndex:
    """Something known about the vault from one walk, walked again when older than `max_age`
    seconds (the watcher runs for days; a `sync` walks once). Safe to share between threads:
    subclasses read and change their data under `_lock`, after `_fresh()`."""

    def __init__(self, vault: Path, *, max_age: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.vault = vault
        self.max_age = max_age
        self._clock = clock
        self._built: float | None = None
        self._lock = threading.Lock()

    def ready(self) -> None:
        """Walk now if needed, so a caller that holds the write gate later finds it ready."""
        with self._lock:
            self._fresh()

    def _fresh(self) -> None:
        if self._built is None or self._clock() - self._built > self.max_age:
            self._build()
            self._built = self._clock()

    def _build(self) -> None:
        raise NotImplementedError


class VideoIndex(VaultIndex):
    """Notes by video id."""

    def __init__(self, vault: Path, *, max_age: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(vault, max_age=max_age, clock=clock)
        self._by_id: dict[str, list[Path]] = {}

    def notes(self, vid: str, *, finished: bool = False,
              exclude: Path | None = None) -> list[Path]:
        """The notes of video `vid` (only finished ones with `finished`), checked just now,
        `exclude` left out; in the vault's walk order."""
        with self._lock:
            self._fresh()
            candidates = list(self._by_id.get(vid, ()))
        found = []
        for path in candidates:
            if exclude is not None and _same(path, exclude):
                continue
            now = describe(path)
            if now is not None and now[0] == vid and (now[1] or not finished):
                found.append(path)
        return found

    def add(self, vid: str, path: Path) -> None:
        """Tell the index of a note written since it was built."""
        with self._lock:
            paths = self._by_id.setdefault(vid, [])
            if path not in paths:
                paths.append(path)

    def _build(self) -> None:
        by_id: dict[str, list[Path]] = defaultdict(list)
        for path in iter_notes(self.vault):
            found = describe(path)
            if found is not None:
                by_id[found[0]].append(path)
        self._by_id = dict(by_id)


def _same(a: Path, b: Path) -> bool:
    try:
        return a == b or a.samefile(b)
    except OSError:
        return False
