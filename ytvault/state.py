"""The ledger: what happened to each note (filled, pending, failed…) and when to try again.

One SQLite file in the state dir, shared by `sync`, `process` and the watcher. The notes
themselves stay the truth about what is done; the ledger only remembers attempts, reasons and
backoff, so losing it costs at most a retry.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    vault TEXT NOT NULL,
    note TEXT NOT NULL,
    video_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL,
    updated REAL NOT NULL,
    PRIMARY KEY (vault, note)
)
"""

# What ytvault wrote last for each property `refresh` may update (the exact lines), so a value
# the person changed since is recognised as theirs and left alone.
GENERATED_SCHEMA = """
CREATE TABLE IF NOT EXISTS generated (
    vault TEXT NOT NULL,
    note TEXT NOT NULL,
    video_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    PRIMARY KEY (vault, note)
)
"""

BACKOFF_FIRST = 60.0
BACKOFF_MAX = 6 * 3600.0


@dataclass(frozen=True)
class Entry:
    note: str
    video_id: str
    status: str  # filled | pending | waiting | failed | transient
    reason: str
    attempts: int
    next_attempt: float | None
    updated: float


class Ledger:
    def __init__(self, path: Path | None) -> None:
        """`path` None keeps the ledger in memory (dry runs, tests)."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), check_same_thread=False, timeout=30
        )
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(SCHEMA)
            self._db.execute(GENERATED_SCHEMA)

    def get(self, vault: Path, note: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT note, video_id, status, reason, attempts, next_attempt, updated"
                " FROM notes WHERE vault = ? AND note = ?",
                (str(vault), note),
            ).fetchone()
        return Entry(*row) if row else None

    def entries(self, vault: Path) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT note, video_id, status, reason, attempts, next_attempt, updated"
                " FROM notes WHERE vault = ? ORDER BY updated DESC",
                (str(vault),),
            ).fetchall()
        return [Entry(*row) for row in rows]

    def record(
        self,
        vault: Path,
        note: str,
        video_id: str,
        status: str,
        reason: str = "",
        next_attempt: float | None = None,
    ) -> Entry:
        """Record an outcome. A `transient` one backs off exponentially, with jitter."""
        now = time.time()
        previous = self.get(vault, note)
        attempts = (previous.attempts if previous and previous.status == status else 0) + 1
        if status == "transient" and next_attempt is None:
            delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
            next_attempt = now + delay * random.uniform(0.8, 1.2)
        entry = Entry(note, video_id, status, reason, attempts, next_attempt, now)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(vault), note, video_id, status, reason, attempts, next_attempt, now),
            )
        return entry

    def is_due(self, vault: Path, note: str, now: float | None = None) -> bool:
        entry = self.get(vault, note)
        return entry is None or entry.next_attempt is None or entry.next_attempt <= (
            time.time() if now is None else now
        )

    def remember_generated(self, vault: Path, note: str, video_id: str,
                           lines: Mapping[str, str]) -> None:
        """Record the lines ytvault wrote for each refreshable property of a note."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO generated VALUES (?, ?, ?, ?)",
                             (str(vault), note, video_id, json.dumps(dict(lines))))

    def generated(self, vault: Path, note: str, video_id: str) -> dict[str, str] | None:
        """The lines recorded by `remember_generated`, if they are for this video."""
        with self._lock:
            row = self._db.execute(
                "SELECT lines FROM generated WHERE vault = ? AND note = ? AND video_id = ?",
                (str(vault), note, video_id),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None

    def move(self, vault: Path, old: str, new: str) -> None:
        """A note was renamed: its history goes with it."""
        with self._lock, self._db:
            for table in ("notes", "generated"):
                self._db.execute(f"DELETE FROM {table} WHERE vault = ? AND note = ?",
                                 (str(vault), new))
                self._db.execute(f"UPDATE {table} SET note = ? WHERE vault = ? AND note = ?",
                                 (new, str(vault), old))

    def close(self) -> None:
        with self._lock:
            self._db.close()
