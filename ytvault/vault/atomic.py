"""Atomic file writes: every write ytvault makes to the vault or the cache goes through here."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ytvault.records import NamedTuple
from ytvault.vault.leftovers import TEMP_MARK, host_tag


class Changed(Exception):
    """The file changed under us between reading it and replacing it."""


def fingerprint(path: Path) -> tuple[int, int, int]:
    """What tells us a file was changed by someone else: inode, size, modification time."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


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
    _write_temp(tmp, data, _mode_of(path) if mode is None else mode)
    try:
        if unchanged_since is not None and fingerprint(path) != unchanged_since:
            raise Changed(str(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class Raced(NamedTuple):
    """A save the person made while ytvault wrote: what `replace_checked` found instead of the
    text it was handed, and the state it left the file in."""

    now: bytes  # what the file holds (when `placed`, what was taken out of it: theirs)
    placed: bool  # our data is in the file (their save came too late to be kept out of it)
    edited: bytes | None = None  # their save on top of our data, in the instant it stood there


def replace_checked(path: Path, data: bytes, expected: bytes,
                    seen: tuple[int, int, int] | None = None) -> Raced | None:
    """Put `data` in place of `path` if the file still holds `expected` (what was read and
    merged into `data`), so that no save made in between is lost. None: done.

    Where the file system can, the temp file and the note are exchanged in one atomic step
    (Linux `renameat2(RENAME_EXCHANGE)`, macOS `renamex_np(RENAME_SWAP)`), and the file taken
    out is compared with `expected`: a save made at any moment before the exchange is in it. If
    it is not the file read, they are exchanged back (the person's file is in place again) and
    a `Raced` says what it holds now. A write into the taken-out file by a program that had it
    open across the exchange is caught too (`placed`: our data stays, theirs is to merge again).
    Where the exchange is refused (a file system without it) a hard link keeps hold of the
    file read while ours is renamed over it; without links, and on Windows (whose open files
    cannot be replaced), the check comes right before the rename. docs/safety.md says what each
    leaves open.

    `seen`, the file's fingerprint when it was read, spares the exchange when the file has
    visibly changed already (our text never stands in the note, even for an instant).
    """
    tmp = temp_path(path)
    _write_temp(tmp, data, _mode_of(path))
    try:
        if seen is not None and fingerprint(path) != seen:
            return Raced(path.read_bytes(), False)
        try:
            exchange(tmp, path)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
            if os.name != "posix":  # Windows: an open link would stop the replace itself
                return _replace_plain(path, tmp, expected)
            return _replace_linked(path, tmp, expected)
        return _check_taken_out(path, tmp, data, expected)
    finally:
        tmp.unlink(missing_ok=True)


# errno values that mean "this file system (or system) cannot exchange two names"
_UNSUPPORTED = frozenset(
    getattr(errno, name) for name in ("EINVAL", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EXDEV")
    if hasattr(errno, name))


def _check_taken_out(path: Path, tmp: Path, data: bytes, expected: bytes) -> Raced | None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        taken = _settled(fd)
        if taken != expected:  # a save between our read and the exchange: give it back
            try:
                exchange(tmp, path)
            except OSError:  # our file was moved away meanwhile: theirs goes back as it is
                os.link(tmp, path)
                return Raced(taken, False)
            ours = os.open(tmp, os.O_RDONLY)
            try:
                mine = _settled(ours)
            finally:
                os.close(ours)
            return Raced(taken, False, None if mine == data else mine)
        os.unlink(tmp)
        _fsync_dir(path.parent)
        late = _settled(fd)  # a program that opened the note before the exchange writes now
        return Raced(late, True) if late != expected else None
    finally:
        os.close(fd)


def _settled(fd: int) -> bytes:
    """What the open file holds once no program is writing into it.

    On Linux a read lease is granted only while no one has the file open for writing, and
    while held it makes a program that opens the file for writing wait: so a save that opened
    the note before we replaced it (an append in progress) is waited for and read, not lost
    with the file taken out. Elsewhere (or on a file that is not ours, or a file system
    without leases) it is read as it is; the caller reads it once more after the directory
    sync, for a write that came late."""
    for _ in range(100):
        if not _lease(fd):
            return _read_fd(fd)
        content = _read_fd(fd)
        if not _unlease(fd):
            return content
    return _read_fd(fd)  # a writer came back every time: what it holds now


_LEASE_WAIT_SECONDS = 2.0  # an editor keeping the note open longer: read it as it is


def _lease(fd: int) -> bool:
    """Take a read lease on `fd`, waiting for the file's writers to close it; False where no
    lease can be had."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl
    import signal

    deadline = time.monotonic() + _LEASE_WAIT_SECONDS
    pause = 0.0005
    try:  # the lease's break is signalled with SIGIO, whose default ends the process
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)  # ignored unless handled
    except OSError:
        return False
    while True:
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
            return True
        except OSError as exc:  # EAGAIN: open for writing (EACCES: not ours; EINVAL: no leases)
            if exc.errno != errno.EAGAIN or time.monotonic() > deadline:
                return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _unlease(fd: int) -> bool:
    """Give the lease back: True when a program was waiting to open the file for writing
    (it writes now: read again once it is done)."""
    import fcntl

    waiting = fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return waiting


def _replace_linked(path: Path, tmp: Path, expected: bytes) -> Raced | None:
    """The fallback: a hard link holds the file read while ours is renamed over it, so an
    append or an in-place save is still caught; a save by rename in the microseconds between
    the last check and our rename is not (no file system call closes that without exchange)."""
    guard = temp_path(path)
    try:
        os.link(path, guard)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise
        return _replace_plain(path, tmp, expected)  # no hard links here (FAT, some shares)
    try:
        fd = os.open(guard, os.O_RDONLY)
        try:
            held = _settled(fd)
            if held != expected or os.stat(path).st_ino != os.fstat(fd).st_ino:
                return Raced(path.read_bytes(), False)
            os.replace(tmp, path)
            _fsync_dir(path.parent)
            if (late := _settled(fd)) != expected:
                return Raced(late, True)
            return None
        finally:
            os.close(fd)
    finally:
        with contextlib.suppress(OSError):
            guard.unlink()


def _replace_plain(path: Path, tmp: Path, expected: bytes) -> Raced | None:
    seen = fingerprint(path)
    now = path.read_bytes()
    if now != expected or fingerprint(path) != seen:
        return Raced(path.read_bytes(), False)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return None


def _read_fd(fd: int) -> bytes:
    """The whole content of an open file, from its start."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks: list[bytes] = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o644


def _write_temp(tmp: Path, data: bytes, mode: int) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def exchange(a: Path, b: Path) -> None:
    """Swap the files named `a` and `b` in one atomic step (both must exist). OSError EINVAL,
    ENOTSUP… where the file system cannot, ENOSYS where the system has no such call."""
    _exchange_call()(os.fsencode(a), os.fsencode(b))


@functools.cache
def _exchange_call() -> Callable[[bytes, bytes], None]:
    import ctypes  # here: only a note write needs it

    def unsupported(a: bytes, b: bytes) -> None:
        raise OSError(errno.ENOSYS, "no atomic exchange on this system")

    def checked(result: int, a: bytes, b: bytes) -> None:
        if result != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), os.fsdecode(a), None, os.fsdecode(b))

    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return unsupported  # Windows: CDLL(None) is not even an error there, but a TypeError
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return unsupported
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2  # <fcntl.h>, <linux/fs.h>
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
        return lambda a, b: checked(call(at_fdcwd, a, at_fdcwd, b, rename_exchange), a, b)
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        rename_swap = 0x2  # <stdio.h>
        swap = libc.renamex_np
        swap.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: checked(swap(a, b, rename_swap), a, b)
    return unsupported


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
