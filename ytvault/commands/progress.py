"""What `sync`, `process`, `new` and `refresh` print: one line per note, as it finishes.

On a terminal the lines scroll above a progress bar (rich, imported only then); piped, the
lines are plain text; `--json` prints one JSON object per line for scripts; `-q` prints only
failures. The CLI picks the mode; the commands hand in `Line`s and say how many to expect.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from ytvault.commands.scrub import LINE_LIMIT, VALUE_LIMIT, cut, printable, printable_json

Mode = Literal["auto", "plain", "json", "quiet"]


@dataclass(frozen=True)
class Line:
    status: str  # filled, skipped, failed, refreshed, unchanged, exists…
    subject: str  # the note, from the vault root (or the URL, when there is no note)
    detail: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # more for --json: video_id, link…
    failure: str = ""  # a note written, but its analysis failed: the run exits 1

    @property
    def text(self) -> str:
        """One safe line: a note's name or a video's title may hold anything (scrub.py)."""
        line = f"{printable(self.status)}: {printable(self.subject, VALUE_LIMIT)}"
        detail = printable(self.detail, LINE_LIMIT - len(line) - 3)
        return f"{line} — {detail}" if detail else line

    @property
    def json(self) -> dict[str, Any]:
        """The exact values (printed with printable_json), the detail cut as the line's is."""
        return {"status": self.status, "note": self.subject,
                "detail": cut(self.detail, LINE_LIMIT), **self.fields}


class Reporter:
    """Prints `Line`s in the chosen mode; `expect(n)` grows the bar's total."""

    def __init__(self, mode: Mode = "auto", *, label: str = "notes",
                 stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.label = label
        self.counts: Counter[str] = Counter()
        self._total = 0
        self._done = 0
        self.mode: str = mode
        if mode == "auto":
            self.mode = "bar" if is_terminal(self.stream) else "plain"
        self._bar: Any = None
        self._task: Any = None
        self._handlers: list[tuple[logging.StreamHandler[Any], Any]] = []

    def __enter__(self) -> Reporter:
        if self.mode == "bar":
            self._start_bar()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            for handler, stream in self._handlers:
                handler.setStream(stream)
            self._bar = None
            summary = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
            if summary:
                print(summary, file=self.stream, flush=True)

    def expect(self, n: int = 1) -> None:
        self._total += n
        self._update()

    def line(self, line: Line) -> None:
        self.counts[line.status] += 1
        self._done += 1
        self._total = max(self._total, self._done)
        if self.mode == "json":
            print(printable_json(line.json), file=self.stream, flush=True)
        elif self.mode == "quiet":
            if line.status == "failed":
                print(line.text, file=self.stream, flush=True)
        elif self._bar is not None:
            self._bar.console.print(line.text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line.text, file=self.stream, flush=True)
        self._update()

    def info(self, line: Line) -> None:
        """A line about the run rather than a note (a Message Batch's progress): printed like
        the others, not counted; `-q` leaves it out."""
        if self.mode == "json":
            print(printable_json(line.json), file=self.stream, flush=True)
        elif self._bar is not None:
            self._bar.console.print(line.text, markup=False, highlight=False, soft_wrap=True)
        elif self.mode != "quiet":
            print(line.text, file=self.stream, flush=True)

    def _update(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=max(self._total, 1), completed=self._done)
            self._bar.refresh()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self.stream, force_terminal=True)
        self._bar = Progress(TextColumn(f"[bold]{self.label}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                             transient=True, redirect_stdout=False, redirect_stderr=False)
        self._task = self._bar.add_task(self.label, total=None)
        self._bar.start()
        # Log records (warnings) print above the bar instead of through it.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (
                    sys.stderr, sys.__stderr__) and is_terminal(handler.stream):
                self._handlers.append((handler, handler.setStream(_ConsoleStream(console))))


class _ConsoleStream:
    """A file-like object that prints through the bar's console."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def write(self, text: str) -> int:
        if text.strip():
            self.console.print(text.rstrip("\n"), markup=False, highlight=False,
                               soft_wrap=True, style="yellow")
        return len(text)

    def flush(self) -> None:
        pass


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False
