"""The first stage: find the notes that may be work. A note is read and classified (parse.py)
into a stub with its text, a reason to skip it, or nothing (nearly every note); a scan walks
the vault doing that, passing over from a stat alone the notes it remembers (seen.py).

Nothing here needs the context's collaborators: what they decide (claims, backoff, an API
key) is `pipeline.judge`'s. So `sync` finds out whether there is anything to do before it
loads the machinery that does it.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ytvault.errors import NoteSkipped
from ytvault.records import NamedTuple
from ytvault.vault.leftovers import remove_leftovers, temp_files
from ytvault.vault.seen import Seen
from ytvault.vault.walk import (
    IgnoreFilters,
    iter_markdown,
    iter_note_paths,
    load_ignore_filters,
    open_long,
)

CONFIG_FOLDER = ".obsidian"  # where ytvault writes Obsidian's settings (obsidian.py)

TYPE_CHECKING = False  # no `typing` at run time: every `sync` and `status` scans
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ytvault.note.parse import Stub
    from ytvault.outcome import Outcome


class Found(NamedTuple):
    """A note that asks for work, as it was read."""

    text: str
    stub: Stub


def read_note(note: Path | str) -> Found | Outcome | None:
    """Read one note: a stub with its text, an Outcome (skipped: unreadable, unsafe to touch),
    or None when it is not ytvault's.

    A scan calls this on every note it cannot pass over: `note` may be a plain string (the
    walk's), and a Path is only made for the few that are ours.
    """
    # Imported here: a scan that remembers every note reads none, and starts without it.
    # (`import a.b` of a loaded module is a dict lookup; `from a import b` is not.)
    import ytvault.note.parse as parse

    try:
        text = parse.read_text(note)
        if text is None:
            return None
        stub = parse.classify(text)
    except NoteSkipped as exc:
        return _skipped(note, str(exc))
    except (FileNotFoundError, NotADirectoryError):
        return _skipped(note, "the file vanished while it was read")
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return _too_deep(note)
        return _skipped(note, f"cannot read it: {exc.strerror or exc}")
    return None if stub is None else Found(text, stub)


def _skipped(note: Path | str, why: str, video_id: str = "") -> Outcome:
    from ytvault.outcome import Outcome  # here: most scans skip no note

    return Outcome(Path(note), "skipped", why, video_id)


def _too_deep(note: Path | str) -> Outcome | None:
    """A note deeper than PATH_MAX: read (one folder at a time) to tell whether it is a stub,
    which ytvault cannot write there, and says so; any other note is passed over quietly."""
    import ytvault.note.parse as parse

    why = ("its path is longer than this system allows (PATH_MAX): move it, or a folder "
           "above it, closer to the vault's root")
    try:
        text = parse.read_text(note, open_long)
        stub = parse.classify(text) if text is not None else None
    except NoteSkipped:
        return _skipped(note, why)
    except OSError as exc:
        return _skipped(note, f"cannot read it: {exc.strerror or exc}")
    return None if stub is None else _skipped(note, why, stub.video_id)


def scan_vault(vault: Path, seen: Seen | None = None, *, filters: IgnoreFilters | None = None,
               tidy: bool = True) -> Iterator[tuple[str, Found | Outcome]]:
    """Every note of the vault that asks for work or must be reported, with what was read.

    With `seen`, a note remembered as not ours and unchanged since is not opened, and the
    memory is updated when the walk ends. With `tidy`, the temp files of writes a crash
    interrupted are removed once the walk is done.
    """
    leftovers: list[Path] = []
    if filters is None:
        filters = load_ignore_filters(vault)
    if seen is None:
        for path in iter_note_paths(vault, filters, leftovers):
            found = read_note(path)
            if found is not None:
                yield path, found
    else:
        seen.begin()
        # (remembered means read and not ours: excluded or not, there is nothing to do)
        notes = iter_markdown(vault, filters, leftovers)
        for rel_path, path, entry, key, stat in seen.unknown(notes):
            if filters.excludes(rel_path, entry.name):
                continue
            found = read_note(path)
            if found is None:
                seen.remember(key, stat)
            else:
                yield path, found
        seen.end()
    if tidy:  # the config folder too: Obsidian's types.json is written there
        remove_leftovers([*leftovers, *temp_files(vault / CONFIG_FOLDER)])
