"""The ledger: what happened to each note (filled, pending, failed…) and when to try again.

One SQLite file in the state dir, shared by `sync`, `process` and the watcher. The notes
themselves stay the truth about what is done; the ledger only remembers attempts, reasons and
backoff, so losing it costs at most a retry.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from ytvault.cost import Usage
from ytvault.records import NamedTuple

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

# The tokens and estimated cost of each analysis (cost.py): a row per analysis made, so the
# totals are what was spent, retries included.
USAGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    vault TEXT NOT NULL,
    note TEXT NOT NULL,
    video_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    cost_usd REAL,
    batch INTEGER NOT NULL,
    at REAL NOT NULL
)
"""

# Message Batches in flight (batch.py): which notes each request (custom_id: the video id) is
# for, and which results are written, so a run that stopped resumes polling instead of paying
# for a second batch.
BATCH_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    vault TEXT NOT NULL,
    created REAL NOT NULL,
    requests INTEGER NOT NULL,
    status TEXT NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id TEXT NOT NULL,
    custom_id TEXT NOT NULL,
    vault TEXT NOT NULL,
    note TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, custom_id, note)
)
""",
)

# Thumbnails written for a note whose write has not happened yet, with their writer
# (host tag and pid): one left here by a writer that is gone belongs to a note never written.
THUMBNAIL_SCHEMA = """
CREATE TABLE IF NOT EXISTS thumbnails (
    vault TEXT NOT NULL,
    path TEXT NOT NULL,
    note TEXT NOT NULL,
    writer TEXT NOT NULL,
    PRIMARY KEY (vault, path)
)
"""

BACKOFF_FIRST = 60.0
BACKOFF_MAX = 6 * 3600.0


class UsageTotals(NamedTuple):
    notes: int  # notes with an analysis recorded
    requests: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_usd: float  # of the analyses whose model has a known price
    unpriced: int  # analyses without an estimate (a model the price table does not know)
    batched: int  # analyses made through the Message Batches API


class Entry(NamedTuple):
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
            for schema in (USAGE_SCHEMA, *BATCH_SCHEMA, THUMBNAIL_SCHEMA):
                self._db.execute(schema)

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

    def unfinished_videos(self) -> set[str]:
        """The videos of every vault's notes that are not finished (analysis pending, waiting,
        failing): `ytvault cache prune` keeps what they will need."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT video_id FROM notes WHERE status != 'filled'").fetchall()
        return {row[0] for row in rows}

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
            import random  # here: `status` reads the ledger without it

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
            for table in ("usage", "batch_items"):  # what was spent stays spent: no DELETE
                self._db.execute(f"UPDATE OR IGNORE {table} SET note = ? WHERE vault = ? "
                                 "AND note = ?", (new, str(vault), old))

    # Thumbnails written before their note (write.py): what a crash in between leaves.

    def thumbnail_pending(self, vault: Path, path: str, note: str, writer: str) -> None:
        """Record a thumbnail about to be written for `note`, before it is written."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO thumbnails VALUES (?, ?, ?, ?)",
                             (str(vault), path, note, writer))

    def thumbnail_settled(self, vault: Path, path: str) -> None:
        """The note naming the thumbnail was written, or the thumbnail removed."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM thumbnails WHERE vault = ? AND path = ?",
                             (str(vault), path))

    def pending_thumbnails(self, vault: Path) -> list[tuple[str, str, str]]:
        """(thumbnail path, note, writer) of every thumbnail recorded and not settled."""
        with self._lock:
            return self._db.execute("SELECT path, note, writer FROM thumbnails WHERE vault = ?",
                                    (str(vault),)).fetchall()

    # What the analyses cost.

    def record_usage(self, vault: Path, note: str, video_id: str, usage: Usage) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(vault), note, video_id, usage.model, usage.input_tokens,
                 usage.output_tokens, usage.cache_write_tokens, usage.cache_read_tokens,
                 usage.requests, usage.cost_usd, int(usage.batch), time.time()))

    def usage_totals(self, vault: Path) -> UsageTotals:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(DISTINCT note), COALESCE(SUM(requests), 0),"
                " COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
                " COALESCE(SUM(cache_write_tokens), 0), COALESCE(SUM(cache_read_tokens), 0),"
                " COALESCE(SUM(cost_usd), 0), COUNT(*) - COUNT(cost_usd),"
                " COALESCE(SUM(batch), 0) FROM usage WHERE vault = ?", (str(vault),)).fetchone()
        return UsageTotals(*row)

    # Message Batches.

    def add_batch(self, vault: Path, batch_id: str, items: Mapping[str, list[str]]) -> None:
        """A batch just created: `items` maps each request's custom_id to its notes."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, 'running')",
                             (batch_id, str(vault), time.time(), len(items)))
            self._db.executemany(
                "INSERT OR IGNORE INTO batch_items VALUES (?, ?, ?, ?, 0)",
                [(batch_id, cid, str(vault), note) for cid, notes in items.items()
                 for note in notes])

    def open_batches(self, vault: Path) -> list[tuple[str, float, int]]:
        """(batch id, created, requests) of the batches whose results are not all written."""
        with self._lock:
            return self._db.execute(
                "SELECT batch_id, created, requests FROM batches WHERE vault = ? AND "
                "status = 'running' ORDER BY created", (str(vault),)).fetchall()

    def batch_items(self, batch_id: str) -> dict[str, list[str]]:
        """custom_id → the notes whose result is not written yet."""
        with self._lock:
            rows = self._db.execute("SELECT custom_id, note FROM batch_items WHERE batch_id = ?"
                                    " AND done = 0 ORDER BY rowid", (batch_id,)).fetchall()
        items: dict[str, list[str]] = {}
        for cid, note in rows:
            items.setdefault(cid, []).append(note)
        return items

    def batch_item_done(self, batch_id: str, custom_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE batch_items SET done = 1 WHERE batch_id = ? AND "
                             "custom_id = ?", (batch_id, custom_id))

    def close_batch(self, batch_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE batches SET status = 'done' WHERE batch_id = ?",
                             (batch_id,))
            self._db.execute("UPDATE batch_items SET done = 1 WHERE batch_id = ?", (batch_id,))

    def note_batch(self, vault: Path, note: str) -> str | None:
        """The running batch that will write this note's analysis, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT i.batch_id FROM batch_items i JOIN batches b USING (batch_id) WHERE"
                " i.vault = ? AND i.note = ? AND i.done = 0 AND b.status = 'running'",
                (str(vault), note)).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
