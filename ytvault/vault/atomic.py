"""Atomic file writes: every write ytvault makes to the vault or the cache goes through here."""

from __future__ import annotations

import contextlib
import functools
import os
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

TEMP_MARK = ".ytvault-"


class Changed(Exception):
    """The file changed under us between reading it and replacing it."""


def fingerprint(path: Path) -> tuple[int, int, int]:
    """What tells us a file was changed by someone else: inode, size, modification time."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


@functools.cache
def host_tag() -> str:
    """A short tag of this machine's name: a synced folder holds other devices' temp files,
    whose pids mean nothing here."""
    import socket  # here: a scan with nothing to tidy never needs it

    return f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')):08x}"


def temp_path(path: Path, pid: int | None = None, host: str | None = None) -> Path:
    """The hidden temp file a write of `path` goes through, named after its writer's machine
    and pid, so the next run can tell a crashed write of its own from a live one."""
    pid = os.getpid() if pid is None else pid
    host = host_tag() if host is None else host
    tail = f"{TEMP_MARK}{host}-{pid}-{os.urandom(4).hex()}.tmp"
    name = path.name
    while len(os.fsencode(f".{name}{tail}")) > _MAX_NAME_BYTES and len(name) > 1:
        name = name[:-1]  # a note named near the limit still gets a temp file beside it
    return path.with_name(f".{name}{tail}")


_MAX_NAME_BYTES = 255  # ext4, APFS, NTFS (in UTF-16 units there, fewer than these bytes)


def atomic_write(
    path: Path, data: bytes, unchanged_since: tuple[int, int, int] | None = None,
    mode: int | None = None,
) -> None:
    """Write `data` to `path` so a crash leaves the old file or the new one, never a mix.

    The temp file is hidden (dot-prefixed, so Obsidian and sync tools ignore it) and sits in the
    same folder, so the final rename is atomic; the file's permission bits are kept, or set to
    `mode` from the temp file's creation on (a file that holds a secret is never readable to
    others, not even for a moment). With `unchanged_since`, the file is checked right before the
    rename, and `Changed` is raised (nothing written) if someone else wrote it since that
    fingerprint was taken.
    """
    tmp = temp_path(path)
    if mode is None:
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
    """Whether `path` is the temp file of a write that will never finish: one of this
    machine's whose writer is gone (its pid not running), or one older than `max_age` (a
    writer on another device, or of a name without a host tag, may still be writing)."""
    name = path.name
    if not (name.startswith(".") and TEMP_MARK in name and name.endswith(".tmp")):
        return False
    try:
        if now - path.stat().st_mtime > max_age:
            return True
    except OSError:
        return False
    host, _, rest = name.rsplit(TEMP_MARK, 1)[1].partition("-")
    pid = rest.split("-", 1)[0]
    return host == host_tag() and pid.isdigit() and not process_running(int(pid))


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
