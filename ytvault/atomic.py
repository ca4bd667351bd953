"""Atomic file writes: every write ytvault makes to the vault or the cache goes through here."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

TEMP_MARK = ".ytvault-"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a crash leaves the old file or the new one, never a mix.

    The temp file is hidden (dot-prefixed, so Obsidian and sync tools ignore it) and sits in the
    same folder, so the final rename is atomic; the file's permission bits are kept.
    """
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{uuid.uuid4().hex[:12]}.tmp")
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
