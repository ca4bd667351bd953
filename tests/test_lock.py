"""One daemon per vault: the lock is exclusive, its holder's pid readable by `status` and
`doctor` while it is held, and gone with the process. The Windows branch runs against a fake
msvcrt that refuses reads of a locked range, as Windows does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from ytvault.daemon import lock
from ytvault.daemon.lock import VaultLock


@pytest.mark.unit
def test_the_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "watch.lock"
    first, second = VaultLock(path), VaultLock(path)
    assert first.holder() is None
    assert first.acquire()
    assert not second.acquire()
    assert second.holder() == os.getpid()
    first.release()
    assert second.holder() is None
    assert second.acquire()
    second.release()


def test_a_dead_holder_leaves_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "watch.lock"
    code = ("import sys; from pathlib import Path; from ytvault.daemon.lock import VaultLock; "
            f"held = VaultLock(Path({str(path)!r})); assert held.acquire(); "
            "print('held', flush=True); "
            "sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    assert VaultLock(path).holder() == child.pid
    child.kill()
    child.communicate()
    assert VaultLock(path).holder() is None


class FakeMsvcrt:
    """msvcrt.locking's semantics: `nbytes` from the fd's current position, exclusive; and
    Windows': no other handle may read a locked byte."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self) -> None:
        self.locked: dict[tuple[int, int, int], int] = {}  # (dev, inode, offset) → fd

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        st, pos = os.fstat(fd), os.lseek(fd, 0, os.SEEK_CUR)
        keys = [(st.st_dev, st.st_ino, pos + i) for i in range(nbytes)]
        if mode == self.LK_UNLCK:
            for key in keys:
                if self.locked.get(key) != fd:
                    raise PermissionError(13, "Permission denied")
                del self.locked[key]
        elif any(key in self.locked for key in keys):
            raise OSError(36, "Resource deadlock avoided")
        else:
            self.locked.update(dict.fromkeys(keys, fd))

    def check_read(self, fd: int, start: int, end: int) -> None:
        st = os.fstat(fd)
        for (dev, ino, offset), owner in self.locked.items():
            if (dev, ino) == (st.st_dev, st.st_ino) and start <= offset < end and owner != fd:
                raise PermissionError(13, "Permission denied")


class Guarded:
    """A file whose reads go through the fake's check, as every read does on Windows."""

    def __init__(self, fh: IO[str], fake: FakeMsvcrt) -> None:
        self._fh, self._fake = fh, fake

    def read(self, *args: Any) -> str:
        start = self._fh.tell()
        self._fake.check_read(self._fh.fileno(), start, max(start + 1, os.fstat(
            self._fh.fileno()).st_size))
        return self._fh.read(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> Guarded:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


@pytest.mark.unit
def test_windows_lock_leaves_the_pid_readable(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMsvcrt()
    try_lock, unlock = lock.windows_locks(fake)
    monkeypatch.setattr(lock, "_try_lock", try_lock)
    monkeypatch.setattr(lock, "_unlock", unlock)
    monkeypatch.setattr(lock, "open", lambda *a, **k: Guarded(open(*a, **k), fake),  # noqa: SIM115
                        raising=False)
    path = tmp_path / "watch.lock"
    daemon, status = VaultLock(path), VaultLock(path)
    assert daemon.acquire()
    assert not status.acquire()
    assert status.holder() == os.getpid()  # no PermissionError: the pid is not locked
    daemon.release()
    assert not fake.locked and status.holder() is None
