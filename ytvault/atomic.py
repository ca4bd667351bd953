"""Atomic file writes: every write ytvault makes to the vault or the cache goes through here."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

TEMP_MARK = ".ytvault-"


class Changed(Exception):
    """The file changed under us between reading it and replacing it."""


def fingerprint(path: Path) -> tuple[int, int, int]:
    """What tells us a file was changed by someone else: inode, size, modification time."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def atomic_write(
    path: Path, data: bytes, unchanged_since: tuple[int, int, int] | None = None
) -> None:
    """Write `data` to `path` so a crash leaves the old file or the new one, never a mix.

    The temp file is hidden (dot-prefixed, so Obsidian and sync tools ignore it) and sits in the
    same folder, so the final rename is atomic; the file's permission bits are kept. With
    `unchanged_since`, the file is checked right before the rename, and `Changed` is raised
    (nothing written) if someone else wrote it since that fingerprint was taken.
    """
    # The writer's pid in the name lets the next run tell a crashed write from a live one.
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if unchanged_since is not None and fingerprint(path) != unchanged_since:
            raise Changed(str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_leftover(path: Path, now: float, max_age: float) -> bool:
    """Whether `path` is the temp file of a write that will never finish: its writer is gone
    (a pid not running here), or it is older than `max_age` (a writer on another device)."""
    name = path.name
    if not (name.startswith(".") and TEMP_MARK in name and name.endswith(".tmp")):
        return False
    try:
        if now - path.stat().st_mtime > max_age:
            return True
    except OSError:
        return False
    pid = name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0]
    return pid.isdigit() and not process_running(int(pid))


def process_running(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (ours counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform that cannot tell: leave it
    return True


# A temp file younger than this, of a writer not on this machine, may be a write in progress.
LEFTOVER_AGE_SECONDS = 300.0


def remove_leftovers(paths: Iterable[Path], now: float | None = None) -> None:
    """Remove the temp files of atomic writes that a crash interrupted (never a note)."""
    now = time.time() if now is None else now
    for path in paths:
        if is_leftover(path, now, LEFTOVER_AGE_SECONDS):
            with contextlib.suppress(OSError):
                path.unlink()
                import logging  # here, not at the top: `status` starts without it

                logging.getLogger(__name__).info("removed %s, left by an interrupted write", path)
