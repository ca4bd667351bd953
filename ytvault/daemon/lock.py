"""One daemon per vault: an OS file lock in the state dir, held for the daemon's lifetime.

The OS drops the lock when the process dies, however it dies, so a crash never leaves a stale
lock behind; the file also holds the owner's pid for `ytvault status`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytvault.vault.walk import state_name

TYPE_CHECKING = False  # no `typing` at run time: `status` asks who holds the lock
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any


def lock_path(state_dir: Path, vault: Path) -> Path:
    return state_dir / f"watch-{state_name(vault.resolve())}.lock"


class VaultLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        if not _try_lock(fh):
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            _unlock(self._fh)
            self._fh.close()
            self._fh = None

    def holder(self) -> int | None:
        """The pid of the daemon holding the lock, or None when no daemon is running."""
        if not self.path.exists():
            return None
        with open(self.path, "a+", encoding="utf-8") as fh:
            if _try_lock(fh):
                _unlock(fh)
                return None
            fh.seek(0)
            text = fh.read().strip()
        return int(text) if text.isdigit() else -1


# Windows locks a byte range, and no other process may read a locked range (Microsoft's
# `_locking`): the byte locked lies far past the pid, so `holder()` can still read it.
# Locking past the end of a file is allowed.
LOCKED_BYTE = 1 << 20


def windows_locks(msvcrt: Any) -> tuple[Callable[[IO[str]], bool], Callable[[IO[str]], None]]:
    """`_try_lock` and `_unlock` with msvcrt.locking (which locks from the current position)."""

    def try_lock(fh: IO[str]) -> bool:
        try:
            fh.seek(LOCKED_BYTE)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fh: IO[str]) -> None:
        fh.seek(LOCKED_BYTE)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

    return try_lock, unlock


if os.name == "nt":
    import msvcrt

    _try_lock, _unlock = windows_locks(msvcrt)

else:
    import fcntl

    def _try_lock(fh: IO[str]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
