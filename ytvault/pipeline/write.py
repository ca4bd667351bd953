"""Every write to a note goes through here: re-read, merge into what is there now, rename
atomically if the note is still the one read, all behind one gate that a stopping daemon
closes. Claims (two devices, one vault) are writes too, and live here with the rest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar, cast

from ytvault.errors import STOPPING, NoteSkipped
from ytvault.note import claims, parse
from ytvault.note.merge import attach_callout, keep_both
from ytvault.note.parse import Kind, Stub
from ytvault.pipeline.context import Context
from ytvault.records import NamedTuple
from ytvault.vault.atomic import atomic_write, fingerprint, replace_checked
from ytvault.vault.leftovers import host_tag, process_running
from ytvault.vault.walk import attachment_dir, inside_vault

log = logging.getLogger(__name__)


R = TypeVar("R")
# (current text, the thumbnail's path from the vault root) → (new text, what the merge found)
Merge = Callable[[str, str | None], tuple[str | None, R]]


def text_only(merge: Callable[[str], str | None]) -> Merge[None]:
    """A merge of the text alone: it needs no thumbnail path and finds nothing to return."""
    return lambda current, _: (merge(current), None)


def write_note(ctx: Context, path: Path, merge: Merge[R],
               thumbnail: tuple[bytes, datetime] | None = None, keep_claim: bool = False) -> R:
    """Re-read the note, merge into what is there now, and write it atomically if it changed;
    returns what the merge that was written (or found nothing to change) found.

    `merge(current, thumbnail_path)` gives the new text, or None when the note no longer wants
    it, and what it found on the way. The thumbnail is saved only once the merge is known to
    apply, and removed again if the note is not written. Writes pass one gate, so a stopping
    daemon can close it and exit knowing that no note is half-way through a write.
    """
    with ctx.run.write_gate:
        if ctx.run.stopping.is_set():
            raise NoteSkipped(STOPPING)
        written, found = _write(ctx, path, merge, thumbnail, keep_claim)
    if written and ctx.options.on_write is not None:
        ctx.options.on_write(path)
    return found


# Each attempt more means the person saved again in the instant of our write; with a save of
# theirs in hand (in no file), ytvault tries longer before it puts it beside the note.
_ATTEMPTS, _ATTEMPTS_IN_HAND = 8, 64


def _write(ctx: Context, path: Path, merge: Merge[R], thumbnail: tuple[bytes, datetime] | None,
           keep_claim: bool) -> tuple[bool, R]:
    """`write_note` behind the gate: whether the note was written, and what the merge found.

    A save the person makes while we write is never lost (atomic.replace_checked): when the
    file we replace is not the one we read, what it holds is merged again and written again.
    Once their save is only in hand (it reached the file we took out, or came on both sides of
    the exchange), it is written back whatever happens: merged, as it is, or beside the note.
    """
    saved: Saved | None = None
    seen = _fingerprint(path)
    current, expected = reread(path)
    in_hand = False  # `current` holds a save of theirs that the file does not
    try:
        attempt = 0
        while attempt < (_ATTEMPTS_IN_HAND if in_hand else _ATTEMPTS):
            attempt += 1
            merged, found = _merge(merge, current, None, in_hand)
            if merged is not None and thumbnail is not None and saved is None:
                saved = save_thumbnail(ctx, path, *thumbnail)
            if merged is not None and saved is not None:  # the text names the thumbnail now
                merged, found = _merge(merge, current, ctx.rel(saved.path), in_hand)
            if merged is not None and not keep_claim and ours(ctx, merged):
                merged = claims.drop_claim(merged)  # the work is done: so is our claim
            if merged is None and not in_hand:
                raise NoteSkipped("the note changed while it was processed: left as it is")
            if merged is None or merged == current:
                if not in_hand:
                    return False, cast(R, found)
                merged = current  # theirs goes back as it is
            if not inside_vault(ctx.vault, path) or path.is_symlink():
                raise NoteSkipped("it is a link to a file outside the vault")
            _check_writable(path)
            data = merged.encode("utf-8", "surrogateescape")
            raced = replace_checked(path, data, expected, seen)
            if raced is None:
                if merged is current and in_hand:  # given back, not filled
                    in_hand = False  # their save is in the note now: nothing to put aside
                    raise NoteSkipped("the note changed while it was processed: left as it is")
                log.debug("%s written", path)
                if saved is not None:  # the note names it now: it stays
                    ctx.ledger.thumbnail_settled(ctx.vault, ctx.rel(saved.path))
                    saved = None
                return True, cast(R, found)
            log.info("%s: saved while ytvault wrote it: merged again", path)
            # Whatever we hold that the file does not is carried on (keep_both) until written.
            now, seen = _text(raced.now), None if raced.placed else _fingerprint(path)
            if raced.placed:  # our text is in the file; their save reached the one taken out
                current = keep_both(now, merged) if in_hand else now
                expected, in_hand = data, True
            elif raced.edited is not None:  # saves on both sides of the exchange: keep both
                held = keep_both(now, current) if in_hand else now  # and any we held already
                current = keep_both(held, _text(raced.edited))
                expected, in_hand = raced.now, True
            else:  # their save is in place: merge into it
                current = keep_both(now, current) if in_hand else now
                expected = raced.now
        if in_hand:
            aside, in_hand = _keep_aside(path, current), False
            raise NoteSkipped(f"the note kept changing while it was written: an edit made "
                              f"meanwhile is in {aside.name}; copy it into the note")
        raise NoteSkipped("the note kept changing while it was processed: left as it is")
    except FileNotFoundError:
        if in_hand:
            _keep_aside(path, current)
        raise NoteSkipped("the note vanished while it was processed: nothing written") from None
    except Exception:
        if in_hand:  # their save is in no file: it must not go with the error
            _keep_aside(path, current)
        raise
    finally:
        if saved is not None:  # the note was left as it was: so is the attachment folder
            saved.remove()
            ctx.ledger.thumbnail_settled(ctx.vault, ctx.rel(saved.path))


def _merge(merge: Merge[R], current: str, thumbnail: str | None, in_hand: bool
           ) -> tuple[str | None, R | None]:
    """`merge`, except that with a save of theirs in hand a merge that refuses it (the note
    is no longer what it asked for) gives it back as it is rather than drop it."""
    try:
        return merge(current, thumbnail)
    except NoteSkipped:
        if not in_hand:
            raise
        return None, None


def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        return fingerprint(path)
    except OSError:
        return None


def _text(raw: bytes) -> str:
    # A save that is not UTF-8 is still theirs: carried byte for byte, never merged into
    return raw.decode("utf-8", "surrogateescape")


def _keep_aside(path: Path, text: str) -> Path:
    """Save an edit that could not be put into the note beside it, in plain sight."""
    from ytvault.vault.names import free_path

    aside = free_path(path.parent, f"{path.stem} (edited while ytvault wrote it)")
    atomic_write(aside, text.encode("utf-8", "surrogateescape"))
    return aside


def _check_writable(path: Path) -> None:
    """Respect a note or folder the person made read-only, even where we could replace it (a
    rename needs only the folder's permission, and root ignores permissions altogether)."""
    if not path.stat().st_mode & stat.S_IWUSR:
        raise NoteSkipped("the note is read-only: make it writable to have it filled")
    if not path.parent.stat().st_mode & stat.S_IWUSR:
        raise NoteSkipped("its folder is read-only: make it writable to have the note filled")


def reread(path: Path) -> tuple[str, bytes]:
    """The note's text now, and its bytes (what a write must find there to replace it)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NoteSkipped("the note vanished while it was processed: nothing written") from None
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError:
        raise NoteSkipped("the note changed while it was processed: left as it is") from None


class Saved(NamedTuple):
    """A thumbnail written for a note, and the folders made for it, the deepest first."""

    path: Path
    folders: tuple[Path, ...] = ()

    def remove(self) -> None:
        """Take the thumbnail back, and the folders made for it that hold nothing else: the
        attachment folder is left as it was found."""
        self.path.unlink(missing_ok=True)
        _remove_folders(self.folders)


def _remove_folders(folders: tuple[Path, ...]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # something else is in it now (or it never was made): it stays
            return


def save_thumbnail(ctx: Context, note: Path, data: bytes, now: datetime) -> Saved:
    folder = attachment_dir(ctx.vault, note)
    made: list[Path] = []
    missing = folder
    while not missing.exists() and missing != missing.parent:
        made.append(missing)
        missing = missing.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except BaseException:
        _remove_folders(tuple(made))
        raise
    ext = ".png" if data.startswith(b"\x89PNG") else ".webp" if data[8:12] == b"WEBP" else ".jpg"
    millis = int(now.timestamp() * 1000)
    while True:  # one name per thumbnail: never overwrite an attachment
        target = folder / f"{millis}{ext}"
        # recorded before it exists: a crash before the note names it leaves it known
        ctx.ledger.thumbnail_pending(ctx.vault, ctx.rel(target), ctx.rel(note), _writer())
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            ctx.ledger.thumbnail_settled(ctx.vault, ctx.rel(target))  # someone else's
            millis += 1
            continue
        except BaseException:
            ctx.ledger.thumbnail_settled(ctx.vault, ctx.rel(target))
            _remove_folders(tuple(made))
            raise
        saved = Saved(target, tuple(made))
        os.close(fd)
        try:
            atomic_write(target, data)
        except BaseException:  # the name was taken with an empty file: give it back
            saved.remove()
            raise
        return saved


def _writer() -> str:
    return f"{host_tag()}-{os.getpid()}"


def remove_orphan_thumbnails(ctx: Context) -> list[Path]:
    """Remove the thumbnails a run wrote for a note it then never wrote (it was killed in
    between), as the ledger knows them; returns them. A thumbnail its note names stays, and
    so does one whose writer still runs."""
    removed: list[Path] = []
    for rel, note, writer in ctx.ledger.pending_thumbnails(ctx.vault):
        host, _, pid = writer.partition("-")
        if host == host_tag() and pid.isdigit() and process_running(int(pid)):
            continue  # a write in progress (a watcher, another sync)
        image = ctx.vault / rel
        try:
            named = image.name in (ctx.vault / note).read_text("utf-8", "replace")
        except OSError:
            named = False
        if not named and inside_vault(ctx.vault, image) and image.is_file():
            with contextlib.suppress(OSError):
                image.unlink()
                removed.append(image)
                log.info("removed %s, a thumbnail written for a note that never was", rel)
        ctx.ledger.thumbnail_settled(ctx.vault, rel)
    return removed


def claim_note(ctx: Context, path: Path, stub: Stub) -> bool:
    """Claim the note for this device, wait for other devices' claims to arrive, and check that
    ours stands. Raises NoteSkipped when another device has it."""
    assert ctx.options.device is not None
    device = ctx.options.device
    now = datetime.now(UTC)

    def add(current: str, _: str | None) -> tuple[str | None, tuple[str, str] | None]:
        check_still(stub, current)
        held = claims.held_elsewhere(current, device, now)
        if held is not None:
            raise NoteSkipped(f"device {held.device} is filling it")
        claimed = claims.add_claim(current, device, now, ctx.options.claim_lease)
        return claimed, (None if claimed is None else (current, claimed))

    ctx.run.claimed(path)  # before the write: a daemon stopping after it takes the claim off
    try:
        texts = write_note(ctx, path, add, keep_claim=True)
        ctx.run.claimed(path, texts=texts)
    except BaseException:
        ctx.run.claimed(path, held=False)
        raise
    if ctx.run.stopping.wait(ctx.options.claim_settle):
        return True
    current = reread(path)[0]
    held = claims.read_claim(current)
    if held is None or held.device != device:
        raise NoteSkipped(f"device {held.device if held else 'another'} claimed it first")
    check_still(stub, current)
    return True


def check_still(stub: Stub, current: str) -> None:
    """Raise NoteSkipped unless the note still asks for the work `stub` stands for: another
    device, or another process, may have done it meanwhile."""
    now = parse.classify(current)
    if now is None or now.kind is not stub.kind or now.video_id != stub.video_id:
        raise NoteSkipped("it was filled or changed meanwhile: nothing to do")


def release_note(ctx: Context, path: Path) -> None:
    """Take our claim off a note we did not fill (the fill's own write removes it otherwise)."""
    with contextlib.suppress(NoteSkipped, OSError):
        write_note(ctx, path, _unclaim(ctx, path))
    ctx.run.claimed(path, held=False)


def release_claims(ctx: Context) -> None:
    """Take our claim off every note this run claimed and did not fill: a stopping daemon
    calls this holding the write gate (closed for good), so no claim is left behind to sync to
    every device and hold the note for the lease."""
    for path in ctx.run.claimed():
        with contextlib.suppress(NoteSkipped, OSError):
            _write(ctx, path, _unclaim(ctx, path), None, keep_claim=True)
            ctx.run.claimed(path, held=False)


def _unclaim(ctx: Context, path: Path) -> Merge[None]:
    """The note without our claim: as it was before the claim if nothing changed since (the
    claim may have turned JSON properties into YAML), else without the claim's line."""
    texts = ctx.run.claim_texts(path)

    def unclaim(current: str) -> str:
        if texts is not None and current == texts[1]:
            return texts[0]
        return claims.drop_claim(current) if ours(ctx, current) else current

    return text_only(unclaim)


def ours(ctx: Context, text: str) -> bool:
    if ctx.options.device is None or claims.KEY not in text:
        return False  # no claim to look for: spare the YAML parse (every write asks)
    held = claims.read_claim(text)
    return held is not None and held.device == ctx.options.device


def attach_callout_to(ctx: Context, path: Path, stub: Stub, callout: str) -> None:
    if stub.kind is Kind.ANALYSIS:
        return  # the note is already filled; the ledger and the output carry the reason
    write_note(ctx, path, text_only(lambda current: attach_callout(current, stub, callout)))
