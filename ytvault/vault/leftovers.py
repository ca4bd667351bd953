"""The temp files of atomic writes (atomic.py) that a crash left behind: how to tell one from a
write still in progress (its writer's machine and pid are in its name), and removing them.
Every scan tidies them, so this is apart from atomic.py: a scan, `status` and a no-op `sync`
never load the write path.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import zlib
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

TEMP_MARK = ".ytvault-"


@functools.cache
def host_tag() -> str:
    """A short tag of this machine's name: a synced folder holds other devices' temp files,
    whose pids mean nothing here."""
    import socket  # here: a scan with nothing to tidy never needs it

    return f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')):08x}"


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
    if sys.platform == "win32":
        return _windows_process_running(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform that cannot tell: leave it
    return True


# Windows: OpenProcess's access right to ask a process's exit code, GetExitCodeProcess's answer
# for a process that runs, and the error of a process that exists but is not ours.
_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5


def _windows_process_running(pid: int) -> bool:
    """process_running on Windows, where there is no signal 0: `os.kill(pid, 0)` sends
    CTRL_C_EVENT to the console group `pid`, and when that fails it terminates the process.
    A handle that can only read the exit code is asked for instead."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    # a HANDLE is pointer-sized: ctypes' default int result would cut it on 64-bit Windows
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:  # no such process, or one of another user's: leave its files alone
        return bool(ctypes.get_last_error() == _ERROR_ACCESS_DENIED)  # type: ignore[attr-defined]
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # cannot tell: leave it
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def temp_files(folder: Path) -> list[Path]:
    """The temp files of ytvault's writes right in `folder` (a dot-folder the walk does not
    enter, such as `.obsidian/`, where `types.json` is written)."""
    try:
        with os.scandir(folder) as it:
            return [Path(e.path) for e in it
                    if e.name.startswith(".") and TEMP_MARK in e.name and e.name.endswith(".tmp")]
    except OSError:
        return []


# A temp file younger than this, of a writer not on this machine, may be a write in progress.
LEFTOVER_AGE_SECONDS = 300.0


def remove_leftovers(paths: Iterable[Path], now: float | None = None) -> None:
    """Remove the temp files of atomic writes that a crash interrupted (never a note)."""
    now = time.time() if now is None else now
    for path in paths:
        if is_leftover(path, now, LEFTOVER_AGE_SECONDS):
            try:
                path.unlink()
            except OSError:
                continue
            import logging  # here, not at the top: `status` starts without it

            logging.getLogger(__name__).info("removed %s, left by an interrupted write", path)
