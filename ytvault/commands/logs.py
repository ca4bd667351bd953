"""Logging: stderr for the person or the service manager, plus a rotating file in the
platform's log dir for the daemon. A filter scrubs the API key from every record."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redact(logging.Filter):
    """Replace secrets in the final message, whatever code formatted them in."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "[API key]")
            record.msg, record.args = message, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                for secret in self.secrets:
                    record.exc_text = record.exc_text.replace(secret, "[API key]")
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
