"""vault/atomic.py: a write leaves the old file or the new one, never a mix, and never writes
over someone else's change; temp files say whose they are, and only a dead writer's are
tidied away."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ytvault.vault import atomic
from ytvault.vault.atomic import Changed, atomic_write, fingerprint, temp_path
from ytvault.vault.leftovers import (
    LEFTOVER_AGE_SECONDS,
    TEMP_MARK,
    host_tag,
    is_leftover,
    process_running,
    remove_leftovers,
)

pytestmark = pytest.mark.unit

# Above Linux's largest pid_max (2**22): no process can have it.
NO_SUCH_PID = 2**22 + 1


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_MARK in p.name)


def test_a_write_replaces_the_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"old")
    atomic_write(note, b"new text\n")
    assert note.read_bytes() == b"new text\n"
    assert temp_files(tmp_path) == []


def test_a_new_file_is_created_readable_by_its_owner(tmp_path: Path) -> None:
    note = tmp_path / "new.md"
    atomic_write(note, b"x")
    assert note.read_bytes() == b"x"
    assert stat.S_IMODE(note.stat().st_mode) == 0o644


def test_the_files_permission_bits_are_kept(tmp_path: Path) -> None:
    note = tmp_path / "private.md"
    note.write_bytes(b"old")
    note.chmod(0o600)
    atomic_write(note, b"new")
    assert stat.S_IMODE(note.stat().st_mode) == 0o600


def test_a_mode_holds_from_the_temp_files_creation(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that holds a secret is never readable to others, not even before the rename:
    its mode is read from the open temp file, as the data reaches the disk."""
    seen: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    target = tmp_path / "service.env"
    target.write_bytes(b"old")
    target.chmod(0o644)
    atomic_write(target, b"KEY=secret", mode=0o600)
    assert seen[0] == 0o600  # the temp file's (then the folder's, on POSIX)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_change_since_the_fingerprint_is_not_written_over(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"as read")
    seen = fingerprint(note)
    note.write_bytes(b"the person saved this meanwhile")
    with pytest.raises(Changed):
        atomic_write(note, b"ours", unchanged_since=seen)
    assert note.read_bytes() == b"the person saved this meanwhile"
    assert temp_files(tmp_path) == []


def test_an_unchanged_file_is_replaced(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"as read")
    atomic_write(note, b"ours", unchanged_since=fingerprint(note))
    assert note.read_bytes() == b"ours"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"old")
    with pytest.raises(TypeError):
        atomic_write(note, "not bytes")  # type: ignore[arg-type]
    assert note.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_the_fingerprint_changes_with_any_write(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"one")
    before = fingerprint(note)
    atomic_write(note, b"two")  # same size: the inode (and the mtime) tell it apart
    assert fingerprint(note) != before


def test_the_temp_file_is_hidden_beside_the_file_and_names_its_writer(tmp_path: Path) -> None:
    tmp = temp_path(tmp_path / "note.md", pid=4242, host="cafe0123")
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".note.md" + TEMP_MARK + "cafe0123-4242-")
    assert tmp.name.endswith(".tmp")
    assert temp_path(tmp_path / "note.md") != temp_path(tmp_path / "note.md")  # random tail


def test_a_name_near_the_limit_still_gets_a_temp_file(tmp_path: Path) -> None:
    name = "é" * 120 + ".md"  # 243 bytes
    tmp = temp_path(tmp_path / name)
    assert len(os.fsencode(tmp.name)) <= 255
    atomic_write(tmp_path / name, b"x")
    assert (tmp_path / name).read_bytes() == b"x"


def test_a_dead_writer_of_this_machine_left_a_leftover(tmp_path: Path) -> None:
    dead = temp_path(tmp_path / "a.md", pid=NO_SUCH_PID)
    dead.write_bytes(b"half")
    now = dead.stat().st_mtime
    assert is_leftover(dead, now, LEFTOVER_AGE_SECONDS)


def test_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    live = temp_path(tmp_path / "a.md")  # ours: this process runs
    live.write_bytes(b"half")
    assert not is_leftover(live, live.stat().st_mtime, LEFTOVER_AGE_SECONDS)


def test_another_devices_temp_file_is_a_leftover_only_once_old(tmp_path: Path) -> None:
    other = "0" * 8 if host_tag() != "0" * 8 else "1" * 8
    theirs = temp_path(tmp_path / "a.md", pid=NO_SUCH_PID, host=other)
    theirs.write_bytes(b"half")
    made = theirs.stat().st_mtime
    assert not is_leftover(theirs, made + 10, LEFTOVER_AGE_SECONDS)
    assert is_leftover(theirs, made + LEFTOVER_AGE_SECONDS + 1, LEFTOVER_AGE_SECONDS)


def test_only_temp_files_can_be_leftovers(tmp_path: Path) -> None:
    for name in ("note.md", ".note.md", f"note{TEMP_MARK}x-1-ab.tmp", f".note{TEMP_MARK}x.md"):
        path = tmp_path / name
        path.write_bytes(b"mine")
        assert not is_leftover(path, path.stat().st_mtime + 10**6, LEFTOVER_AGE_SECONDS), name


def test_remove_leftovers_takes_only_a_dead_writers_files(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_bytes(b"the person's")
    dead = temp_path(note, pid=NO_SUCH_PID)
    dead.write_bytes(b"half")
    live = temp_path(note)
    live.write_bytes(b"being written")
    remove_leftovers([note, dead, live])
    assert note.read_bytes() == b"the person's"
    assert not dead.exists()
    assert live.exists()


def test_process_running() -> None:
    assert process_running(os.getpid())
    assert not process_running(NO_SUCH_PID)


class _Function:
    """A kernel32 function as ctypes gives it: callable, with restype and argtypes to set."""

    def __init__(self, call: Callable[..., int]) -> None:
        self.call, self.restype, self.argtypes = call, None, None

    def __call__(self, *args: object) -> int:
        assert self.argtypes is not None, "argtypes not declared: ctypes would guess them"
        return self.call(*args)


class _Kernel32:
    """What leftovers asks of Windows' kernel32, for one process table."""

    def __init__(self, running: dict[int, int], others: set[int]) -> None:
        self.running, self.others, self.open, self.last_error = running, others, 0, 0
        for name in ("OpenProcess", "GetExitCodeProcess", "CloseHandle"):
            setattr(self, name, _Function(getattr(self, f"_{name}")))

    def _OpenProcess(self, access: int, inherit: bool, pid: int) -> int:
        assert access == 0x1000 and not inherit  # may read the exit code, nothing more
        if pid in self.others:
            self.last_error = 5  # ERROR_ACCESS_DENIED
            return 0
        if pid not in self.running:
            self.last_error = 87  # ERROR_INVALID_PARAMETER
            return 0
        self.open += 1
        return pid

    def _GetExitCodeProcess(self, handle: int, code: object) -> int:
        code._obj.value = self.running[handle]  # type: ignore[attr-defined]
        return 1

    def _CloseHandle(self, handle: int) -> int:
        self.open -= 1
        return 1


def test_process_running_on_windows_never_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no signal 0: os.kill(pid, 0) would send Ctrl+C to, or terminate, `pid`."""
    import ctypes
    import types

    from ytvault.vault import leftovers

    kernel32 = _Kernel32(running={100: 259, 101: 0}, others={200})
    monkeypatch.setattr(leftovers, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.setattr(ctypes, "WinDLL", lambda name, use_last_error: kernel32, raising=False)
    monkeypatch.setattr(ctypes, "get_last_error", lambda: kernel32.last_error, raising=False)

    def no_kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) on Windows")

    monkeypatch.setattr(leftovers.os, "kill", no_kill)
    assert leftovers.process_running(100)  # STILL_ACTIVE
    assert not leftovers.process_running(101)  # exited, a handle still open somewhere
    assert leftovers.process_running(200)  # another user's: its files are left alone
    assert not leftovers.process_running(300)  # no such process
    assert kernel32.open == 0  # every handle closed
    assert kernel32.OpenProcess.restype is not None  # a HANDLE, not ctypes' default int
