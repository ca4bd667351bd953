"""The vault as a folder of notes: which files are notes, where attachments go, what is inside.

The walk feeds the pipeline (sync scans every note it yields; the watcher asks `is_note`);
`attachment_dir` and `inside_vault` guard the one place files are written.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import posixpath
import re
import zlib
from operator import attrgetter
from pathlib import Path

from ytvault.vault.configdir import settings_file
from ytvault.vault.leftovers import TEMP_MARK

TYPE_CHECKING = False  # no `typing` (nor dataclasses) at run time: every scan starts here
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any
_MAX_APP_JSON = 1 << 20  # a real app.json is a few KB; anything bigger is not one
_NAME = attrgetter("name")

# Names sync tools give the losing side of a conflict, matched on the file's stem.
# Only markers no person would type: `name 2.md` (iCloud), `name (1).md` (Google Drive)
# and `name-HOSTNAME.md` (OneDrive) are ordinary names too, so they are NOT skipped.
_CONFLICT_COPY = (  # compiled on first use (few names hold "conflict"), not by every start
    "|".join(
        (
            # Syncthing: name.sync-conflict-20240101-120000-ABCDEFG (device id since v0.11)
            r"\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?",
            # Dropbox `(conflicted copy 2024-01-01)`, `(Ann's conflicted copy …)`; Nextcloud
            # `(conflicted copy 2024-01-01 120000)`; Obsidian Sync `(Conflicted copy Device …)`
            r"\([^()]*\bconflicted copy\b[^()]*\)",
            # `(Conflict 2024-01-01 12-00-00)`: only with a date and a time, since a person
            # may well title a note `Balkans (Conflict 1991-2001)`
            r"\(conflict \d{4}-\d{2}-\d{2}[ T_]\d{2}[-:.]?\d{2}[-:.]?\d{2}\)",
            # Dropbox case, selective-sync and encoding conflicts: `(Case Conflict 1)`
            r"\((?:case|selective sync|encoding) conflict(?: \d+)?\)",
            # Seafile `(SFConflict ann@example.com 2024-01-01-12-00-00)`
            r"\(SFConflict [^()]*\)",
            # ownCloud clients before 2.5: name_conflict-20240101-120000
            r"_conflict-\d{8}-\d{6}",
        )
    )
)


class IgnoreFilters:
    """Obsidian's "Excluded files" (`userIgnoreFilters`), matched the way Obsidian does.

    Obsidian's metadata cache (`updateUserIgnoreFilters` / `isUserIgnored`; deobfuscated
    app.js and a reproduction of 1.13.7 found through code search) trims each entry, drops
    empty ones, compiles `/…/` entries longer than two characters as an unanchored regex and
    every other entry as a literal prefix, both case-insensitive, and skips regexes that do
    not compile. The subject is the vault-relative path with `/`. So `Archive` also excludes
    `Archived/x.md`, as it does in Obsidian.
    """

    __slots__ = ("invalid", "prefixes", "regexes")

    def __init__(self, prefixes: tuple[str, ...] = (), regexes: tuple[re.Pattern[str], ...] = (),
                 invalid: tuple[str, ...] = ()) -> None:
        self.prefixes = prefixes  # lower-cased, for one C-level startswith per path
        self.regexes = regexes
        self.invalid = invalid  # regex entries Python cannot compile (JS-only syntax)

    def __eq__(self, other: object) -> bool:  # the watcher scans again when they change
        if not isinstance(other, IgnoreFilters):
            return NotImplemented
        return (self.prefixes, self.regexes, self.invalid) == (
            other.prefixes, other.regexes, other.invalid)

    def __hash__(self) -> int:
        return hash((self.prefixes, self.regexes, self.invalid))

    def __repr__(self) -> str:
        return (f"IgnoreFilters(prefixes={self.prefixes!r}, regexes={self.regexes!r}, "
                f"invalid={self.invalid!r})")

    def __bool__(self) -> bool:
        return bool(self.prefixes or self.regexes)

    def ignores(self, rel_path: str) -> bool:
        if self.prefixes and rel_path.lower().startswith(self.prefixes):
            return True
        return any(regex.search(rel_path) for regex in self.regexes)

    def excludes(self, rel_path: str, name: str) -> bool:
        """A note the walk passes over: one Obsidian leaves out, or a sync tool's conflict copy."""
        return self.ignores(rel_path) or is_conflict_copy(name)

    def ignores_folder(self, rel_dir: str) -> bool:
        """True when every path under `rel_dir` is excluded, so the walk can skip it."""
        # A prefix that matches `dir/` matches everything below it; a regex may not.
        return (rel_dir + "/").lower().startswith(self.prefixes)


def state_name(vault: Path) -> str:
    """A name for a vault's own files in the state dir (its lock, its scan memory): the
    folder's name, for the person who looks, and a checksum of its path, to tell vaults apart.
    (zlib, not hashlib: hashlib loads OpenSSL, which `status` would pay for at start-up.)"""
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in vault.name)[:40]
    return f"{name}-{zlib.crc32(os.fsencode(str(vault))):08x}"


def read_app_config(vault: Path) -> dict[str, Any]:
    """`.obsidian/app.json` (or the override config folder's) as a dict; {} when it is missing,
    unreadable or not an object."""
    path = settings_file(vault, "app.json")
    try:
        if path.stat().st_size > _MAX_APP_JSON:
            return {}
        # a BOM taken off by hand: the utf-8-sig codec is one more import for every scan
        data = json.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except (OSError, ValueError):  # ValueError covers JSON and UTF-8 decoding errors
        return {}
    return data if isinstance(data, dict) else {}


def load_ignore_filters(vault: Path) -> IgnoreFilters:
    raw = read_app_config(vault).get("userIgnoreFilters")
    if not isinstance(raw, list):  # Obsidian stores null when the list is empty
        return IgnoreFilters()
    prefixes: list[str] = []
    regexes: list[re.Pattern[str]] = []
    invalid: list[str] = []
    for entry in raw:
        if not isinstance(entry, str) or not (text := entry.strip()):
            continue
        if len(text) > 2 and text.startswith("/") and text.endswith("/"):
            try:
                regexes.append(re.compile(text[1:-1], re.IGNORECASE))
            except re.error:
                invalid.append(entry)
        else:
            prefixes.append(text.lower())
    return IgnoreFilters(tuple(prefixes), tuple(regexes), tuple(invalid))


def is_conflict_copy(name: str) -> bool:
    # Every marker holds "conflict": a plain substring test spares the regex on most names.
    return "onflict" in name.lower() and _conflict_copy().search(name) is not None


@functools.cache
def _conflict_copy() -> re.Pattern[str]:
    return re.compile(_CONFLICT_COPY, re.IGNORECASE)


def iter_notes(
    vault: Path, filters: IgnoreFilters | None = None, leftovers: list[Path] | None = None
) -> Iterator[Path]:
    """Every `*.md` note Obsidian would index, as a Path (see `iter_note_paths`)."""
    return map(Path, iter_note_paths(vault, filters, leftovers))


def iter_note_paths(
    vault: Path, filters: IgnoreFilters | None = None, leftovers: list[Path] | None = None
) -> Iterator[str]:
    """Every `*.md` note Obsidian would index: a folder's notes by name, then its sub-folders.

    Skips dot-files and dot-folders, excluded files, and sync-conflict copies. Temp files of
    an interrupted atomic write are collected into `leftovers`, when given. Symlinked
    folders are not entered (no loops, nothing outside the vault); symlinked notes are
    yielded, so the pipeline can name one that points out of the vault and skip it.
    Paths are strings: a scan looks at every note and builds a Path for the few it keeps.
    """
    if filters is None:
        filters = load_ignore_filters(vault)
    for rel_path, path, entry in iter_markdown(vault, filters, leftovers):
        if not filters.excludes(rel_path, entry.name):
            yield path


# Listing a folder through a descriptor lets each note's stat look up one name rather than the
# whole path again (a tenth of a scan that remembers its notes). Windows lists by path.
_BY_FD = os.scandir in os.supports_fd
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


# A path longer than PATH_MAX (4096 bytes on Linux, 1024 on macOS) cannot be opened whole;
# one folder at a time, each relative to the last, it can (not on Windows: no dir_fd).
_LONG_PATHS = os.open in os.supports_dir_fd


def open_long(path: str | Path, flags: int) -> int:
    """`os.open(path, flags)`, also for a path deeper than PATH_MAX (where dir_fd exists)."""
    try:
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG or not _LONG_PATHS:
            raise
    parts = str(path).split(os.sep)
    fd = os.open(os.sep if os.path.isabs(path) else os.curdir, os.O_RDONLY | _O_DIRECTORY)
    try:
        for part in filter(None, parts[:-1]):
            inner = os.open(part, os.O_RDONLY | _O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], flags, dir_fd=fd)
    finally:
        os.close(fd)


def iter_markdown(
    vault: Path, filters: IgnoreFilters, leftovers: list[Path] | None = None
) -> Iterator[tuple[str, str, os.DirEntry[str]]]:
    """(vault-relative path, path, entry) of every `*.md` file in the folders Obsidian
    indexes, before the exclusions of single files (`IgnoreFilters.excludes`): a scan that
    remembers unchanged notes passes over most files before it need ask.

    Use `entry` for its name, kind and `stat()` before taking the next item (the folder's
    descriptor is closed once its files are done); its `.path` may be the bare name.
    """
    stack: list[tuple[str, str]] = [(str(vault), "")]  # (folder, its vault-relative prefix)
    while stack:
        folder, rel = stack.pop()
        fd = None
        try:
            fd = open_long(folder, os.O_RDONLY | _O_DIRECTORY) if _BY_FD else None
            try:
                listing = os.scandir(folder if fd is None else fd)
            except OSError as exc:  # by path, deeper than PATH_MAX: through a descriptor
                if fd is not None or exc.errno != errno.ENAMETOOLONG or not _LONG_PATHS:
                    raise
                fd = open_long(folder, os.O_RDONLY | _O_DIRECTORY)
                listing = os.scandir(fd)
            with listing as it:
                entries = sorted(it, key=_NAME)
        except OSError:  # vanished or unreadable mid-walk: nothing to yield from it
            if fd is not None:
                os.close(fd)
            continue
        prefix = os.path.join(folder, "")
        subfolders: list[tuple[str, str]] = []
        try:
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    if leftovers is not None and name.endswith(".tmp") and TEMP_MARK in name:
                        leftovers.append(Path(prefix + name))  # a write a crash interrupted
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not (filters and filters.ignores_folder(rel + name)):
                            subfolders.append((prefix + name, rel + name + "/"))
                        continue
                    if not name.endswith(".md") or not entry.is_file():
                        continue
                except OSError:
                    continue
                yield rel + name, prefix + name, entry
        finally:
            if fd is not None:
                os.close(fd)
        stack.extend(reversed(subfolders))


def is_note(vault: Path, path: Path, filters: IgnoreFilters | None = None) -> bool:
    """Whether `iter_notes` would yield `path`, were it a file (for the watcher's events)."""
    try:
        parts = Path(os.path.relpath(path, vault)).parts
    except ValueError:  # another drive on Windows
        return False
    if not parts or parts[0] == ".." or any(p.startswith(".") for p in parts):
        return False
    if not parts[-1].endswith(".md"):
        return False
    folder = vault
    for part in parts[:-1]:  # iter_notes never enters a symlinked folder
        folder = folder / part
        if folder.is_symlink():
            return False
    filters = load_ignore_filters(vault) if filters is None else filters
    return not filters.excludes("/".join(parts), parts[-1])


def attachment_dir(vault: Path, note: Path) -> Path:
    """Where Obsidian would save an attachment pasted into `note`; always inside the vault.

    Mirrors Obsidian's `Vault.getAvailablePathForAttachments` (as reproduced in the
    obsidian-dev-utils and import-attachments plugins): `.` or `./` is the note's folder,
    `./sub` a folder below it, anything else a path from the vault root after
    `normalizePath` (`\\` is `/`, outer slashes dropped, so `/` and `` are the root), and an
    existing folder is found case-insensitively. One difference: Obsidian falls back to the
    root when a fixed folder does not exist yet; here it is returned so the caller creates it.
    """
    setting = read_app_config(vault).get("attachmentFolderPath")
    setting = setting if isinstance(setting, str) else "/"
    note_dir = posixpath.dirname(vault_path(vault, note if note.is_absolute() else vault / note))
    if setting in (".", "./"):
        rel = note_dir
    elif setting.startswith("./"):
        rel = posixpath.join(note_dir, setting[2:])
    else:
        rel = setting
    rel = posixpath.normpath(re.sub(r"[\\/]+", "/", rel).strip("/") or ".")
    if rel == "." or rel == ".." or rel.startswith("../"):
        return vault
    target = _existing_case(vault, rel.split("/"))
    return target if inside_vault(vault, target) else vault


def inside_vault(vault: Path, path: Path) -> bool:
    """Whether `path` (relative paths are taken from the vault) really is in the vault.

    Symlinks are resolved on both sides, so a link inside the vault pointing out is outside;
    a path that does not exist yet is judged by the real path of its nearest existing parent.
    """
    real_vault = Path(os.path.realpath(vault))
    real = Path(os.path.realpath(path if path.is_absolute() else vault / path))
    return real.is_relative_to(real_vault)


def vault_path(vault: Path, path: Path) -> str:
    """`path` relative to the vault with `/`; `..`-led when it is not below the vault."""
    try:
        return path.relative_to(vault).as_posix()
    except ValueError:
        return Path(os.path.relpath(os.path.realpath(path), os.path.realpath(vault))).as_posix()


def _existing_case(vault: Path, parts: list[str]) -> Path:
    # On a case-sensitive disk, `attachments` must reuse an existing `Attachments` folder,
    # as Obsidian's case-insensitive lookup does, rather than create a twin.
    folder = vault
    for i, part in enumerate(parts):
        match = folder_named(folder, part)
        if match is None:
            return folder.joinpath(*parts[i:])
        folder = folder / match
    return folder


def folder_named(folder: Path, name: str) -> str | None:
    """The name of `folder`'s sub-folder called `name`, matched without case as Obsidian
    does (the exact name first); None when there is none."""
    if (folder / name).is_dir():
        return name
    try:
        with os.scandir(folder) as it:
            return next((e.name for e in it if e.name.lower() == name.lower() and e.is_dir()), None)
    except OSError:
        return None
