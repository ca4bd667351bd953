"""The notes a scan found not to be ytvault's, remembered so the next scan need not open them.

A vault of 20,000 notes holds a handful of stubs; reading every note to find them costs more
than the rest of `sync` together. A note is remembered by its vault-relative path, size, mtime
and ctime: on Linux and macOS any write changes the ctime (which no tool can set), so a
remembered note that has changed no longer matches and is read again. (On Windows st_ctime is
the creation time: there, only a rewrite that keeps the size and sets the mtime back to the
very nanosecond would go unseen.) Notes changed in the last few seconds
are not remembered at all (a second write within one timestamp tick, of the same size, would
otherwise go unseen: git's "racy" entries). Only "not ours" is remembered; a stub, a note
waiting for its analysis or a note that could not be read is looked at on every scan.

The file lives in the state dir, one per vault: a header line, then one entry a line. A missing,
unreadable or foreign file is an empty memory; it is rewritten only when the set has changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ytvault import __version__
from ytvault.vault.walk import state_name

# Bump when what counts as "not ours" changes without a new version (parse.classify).
# 2: capitals in hosts (`YouTu.be`), consent-page and share-link addresses, and playlists or
# cut-short ids pasted alone (reported now) are no longer "not ours".
FORMAT = 2
# Changed more recently than this before the scan began: not remembered (see above; 3 s also
# covers the two-second mtime of FAT and exFAT drives).
RACY_NS = 3 * 1_000_000_000


class Seen:
    """The remembered notes of one vault, and the ones this scan confirms or adds."""

    def __init__(self, path: Path | None, vault: Path, *, save: bool = True) -> None:
        """`path` None: remember for this process only (tests, dry runs)."""
        self.path = path
        self.save_to_disk = save and path is not None
        self._header = f"ytvault-seen {FORMAT} {__version__} {vault}"
        self._known = self._load()
        self._now: set[str] = set()
        self._horizon = time.time_ns() - RACY_NS

    @classmethod
    def for_vault(cls, state_dir: Path, vault: Path, *, save: bool = True) -> Seen:
        return cls(state_dir / "scans" / f"{state_name(vault)}.seen", vault, save=save)

    def begin(self) -> None:
        """Start a new scan: what it confirms or adds becomes the memory when it ends."""
        self._now = set()
        self._horizon = time.time_ns() - RACY_NS

    def unknown(self, notes: Iterable[tuple[str, str, os.DirEntry[str]]]
                ) -> Iterator[tuple[str, str, os.DirEntry[str], str, os.stat_result]]:
        """The notes not remembered as they are now, each with its key and stat (for
        `remember`); the remembered ones are kept for the next scan and passed over.

        This loop runs once for every note of the vault, so it is written for speed: a stat, a
        string and a set lookup a note."""
        known, keep = self._known, self._now.add
        for rel_path, path, entry in notes:
            try:
                stat = entry.stat()
            except OSError:  # vanished since its folder was listed
                continue
            key = f"{rel_path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}"
            if key in known:
                keep(key)
            else:
                yield rel_path, path, entry, key, stat

    def remember(self, key: str, stat: os.stat_result) -> None:
        """The note was read and is not ours: remember it, unless it changed just now."""
        if max(stat.st_mtime_ns, stat.st_ctime_ns) < self._horizon and "\n" not in key:
            self._now.add(key)

    def end(self) -> None:
        """The scan walked the whole vault: its findings replace the memory (notes deleted or
        changed since drop out), written only when they differ."""
        if self._now == self._known:
            return
        self._known = self._now
        if not self.save_to_disk or self.path is None:
            return
        text = "\n".join((self._header, *sorted(self._known)))
        from ytvault.vault.atomic import atomic_write  # only when the memory changed

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, text.encode("utf-8", "surrogateescape"))
        except OSError as exc:  # a memory only: the next scan reads the notes instead
            import logging  # here, not at the top: `status` starts without it

            logging.getLogger(__name__).warning("cannot save the scan memory %s: %s", self.path,
                                                exc.strerror or exc)

    def __len__(self) -> int:
        return len(self._known)

    def _load(self) -> set[str]:
        if self.path is None:
            return set()
        try:
            text = self.path.read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            return set()
        header, _, rest = text.partition("\n")
        if header != self._header or not rest:
            return set()
        return set(rest.split("\n"))
