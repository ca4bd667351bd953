"""Logging: stderr for the person or the service manager, plus a rotating file in the
platform's log dir for the daemon. A filter scrubs every record (scrub.py)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ytvault.commands import scrub

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MESSAGE_LIMIT = 4000  # characters of one record's message: a log line, not a title's megabyte


class Redact(logging.Filter):
    """Make the final message safe (scrub.py: no key, no control characters, cut), whatever
    code formatted it; a traceback (with -v) keeps its lines, scrubbed."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        scrub.add_secrets(*secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub.printable(record.getMessage(), MESSAGE_LIMIT), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub.printable_lines(record.exc_text, MESSAGE_LIMIT)
        return True


class _NotPrinted(logging.Filter):
    """Leaves out of stderr what the command printed already (`watch`'s per-note lines on a
    terminal, which the log file keeps)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "printed", False)


def setup(verbose: bool, secrets: list[str], log_file: Path | None = None) -> None:
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG if verbose else logging.INFO if log_file else logging.WARNING)
    redact = Redact(secrets)
    if sys.stderr is not None:  # None under pythonw.exe (the Windows login entry)
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter(FORMAT))
        stderr.addFilter(redact)
        stderr.addFilter(_NotPrinted())
        if log_file is not None and not verbose:
            # A service manager keeps stderr too (journald, launchd's log file): give it the
            # problems only, so every line is not stored twice; on a terminal, `watch` prints
            # its per-note lines itself, as `sync` does (-v: every record, as `sync -v`).
            stderr.setLevel(logging.WARNING)
        root.addHandler(stderr)
    if log_file is not None:
        from logging.handlers import RotatingFileHandler  # only the daemon keeps a log file

        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        rotating.addFilter(redact)
        root.addHandler(rotating)
    # Chatty libraries log request URLs and headers at DEBUG; keep them at WARNING.
    for name in ("httpx", "httpx2", "httpcore", "httpcore2", "anthropic", "urllib3", "watchdog"):
        logging.getLogger(name).setLevel(logging.WARNING)
