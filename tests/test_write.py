"""pipeline/write.py: every note write re-reads the note, merges into what is there now and
renames atomically only if the note is still the one read, behind a gate a stopping run
closes; a thumbnail lives only as long as the note that names it; claims keep two devices
from filling one note."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import MakeContext

from ytvault.errors import STOPPING, NoteSkipped
from ytvault.note import claims, parse
from ytvault.note.parse import Stub
from ytvault.pipeline.context import Context, with_options
from ytvault.pipeline.write import (
    Merge,
    check_still,
    claim_note,
    release_note,
    save_thumbnail,
    text_only,
    write_note,
)
from ytvault.vault.leftovers import TEMP_MARK

pytestmark = pytest.mark.unit

STUB = "https://youtu.be/Yf1o0TQzry8\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32
NOW = datetime(2024, 3, 26, 18, 26, 2, 504000, tzinfo=UTC)


@pytest.fixture
def ctx(make_context: MakeContext) -> Context:
    return make_context(analyzer=None, youtube=object())


@pytest.fixture
def note(vault: Path) -> Path:
    path = vault / "Inbox" / "Untitled.md"
    path.parent.mkdir()
    path.write_text(STUB, encoding="utf-8")
    return path


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if ".obsidian" not in p.parts}


def stub_of(text: str) -> Stub:
    stub = parse.classify(text)
    assert stub is not None
    return stub


def append(line: str) -> Merge[None]:
    return text_only(lambda current: current + line)


def test_the_merge_is_written_and_what_it_found_returned(ctx: Context, note: Path) -> None:
    written: list[Path] = []
    ctx = with_options(ctx, on_write=written.append)

    def merge(current: str, thumbnail: str | None) -> tuple[str, str]:
        return current + "filled\n", f"found in {current!r}"

    assert write_note(ctx, note, merge) == f"found in {STUB!r}"
    assert note.read_text(encoding="utf-8") == STUB + "filled\n"
    assert written == [note]
    assert not any(TEMP_MARK in name for name in files(note.parent))


def test_the_merge_sees_the_note_as_it_is_now(ctx: Context, note: Path) -> None:
    note.write_text(STUB + "the person's line\n", encoding="utf-8")  # after the scan read it
    write_note(ctx, note, append("ours\n"))
    assert note.read_text(encoding="utf-8") == STUB + "the person's line\nours\n"


def test_an_edit_between_read_and_rename_is_merged_again(ctx: Context, note: Path) -> None:
    calls = []

    def merge(current: str) -> str:
        calls.append(current)
        if len(calls) == 1:  # the person saves in the instant after our read
            note.write_text(current + "typed meanwhile\n", encoding="utf-8")
        return current + "ours\n"

    write_note(ctx, note, text_only(merge))
    assert calls == [STUB, STUB + "typed meanwhile\n"]
    assert note.read_text(encoding="utf-8") == STUB + "typed meanwhile\nours\n"


def test_a_note_that_keeps_changing_is_left_as_it_is(ctx: Context, note: Path) -> None:
    def merge(current: str) -> str:
        note.write_text(current + "x", encoding="utf-8")
        return current + "ours\n"

    with pytest.raises(NoteSkipped, match="kept changing"):
        write_note(ctx, note, text_only(merge))
    assert "ours" not in note.read_text(encoding="utf-8")


def test_a_merge_that_no_longer_applies_writes_nothing(ctx: Context, note: Path) -> None:
    before = note.stat()
    with pytest.raises(NoteSkipped, match="changed while it was processed"):
        write_note(ctx, note, text_only(lambda current: None))
    assert note.read_text(encoding="utf-8") == STUB
    assert note.stat().st_ino == before.st_ino


def test_an_unchanged_note_is_not_written(ctx: Context, note: Path) -> None:
    written: list[Path] = []
    ctx = with_options(ctx, on_write=written.append)
    before = note.stat()
    write_note(ctx, note, text_only(lambda current: current))
    after = note.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert written == []


def test_a_stopping_run_writes_nothing(ctx: Context, note: Path) -> None:
    called = []
    ctx.run.stopping.set()
    with pytest.raises(NoteSkipped) as caught:
        write_note(ctx, note, text_only(lambda current: called.append(1) or current + "x"),
                   thumbnail=(JPEG, NOW))
    assert str(caught.value) == STOPPING
    assert called == []
    assert note.read_text(encoding="utf-8") == STUB
    assert files(note.parent.parent) == {"Inbox", "Inbox/Untitled.md"}


def test_a_write_waits_for_the_gate(ctx: Context, note: Path) -> None:
    """The gate is what a stopping daemon takes: no write happens while it is held."""
    seen_locked = []

    def merge(current: str) -> str:
        seen_locked.append(ctx.run.write_gate.locked())
        return current + "x\n"

    write_note(ctx, note, text_only(merge))
    assert seen_locked == [True]


def test_the_thumbnail_is_saved_and_named_in_the_note(ctx: Context, note: Path) -> None:
    def merge(current: str, thumbnail: str | None) -> tuple[str, str | None]:
        return current + f"![[{thumbnail}]]\n", thumbnail

    found = write_note(ctx, note, merge, thumbnail=(JPEG, NOW))
    assert found == "1711477562504.jpg"
    assert (ctx.vault / "1711477562504.jpg").read_bytes() == JPEG
    assert note.read_text(encoding="utf-8").endswith("![[1711477562504.jpg]]\n")


def attachments_in(vault: Path, folder: str) -> None:
    (vault / ".obsidian" / "app.json").write_text(json.dumps({"attachmentFolderPath": folder}))


@pytest.mark.parametrize(("merge_with_thumbnail", "skipped"), [
    (lambda current: current, False),  # nothing to change after all
    (lambda current: None, True),  # the note no longer wants it: skipped, and said so
])
def test_the_thumbnail_goes_when_the_note_is_not_written(
        ctx: Context, note: Path, merge_with_thumbnail: object, skipped: bool) -> None:
    attachments_in(ctx.vault, "Media/Thumbs")

    def merge(current: str, thumbnail: str | None) -> tuple[str | None, None]:
        if thumbnail is None:
            return current + "x\n", None
        return merge_with_thumbnail(current), None  # type: ignore[operator]

    if skipped:
        with pytest.raises(NoteSkipped, match="changed while it was processed"):
            write_note(ctx, note, merge, thumbnail=(JPEG, NOW))
    else:
        write_note(ctx, note, merge, thumbnail=(JPEG, NOW))
    assert note.read_text(encoding="utf-8") == STUB
    assert files(ctx.vault) == {"Inbox", "Inbox/Untitled.md"}  # the folders made went too


def test_the_thumbnail_goes_when_the_write_fails(ctx: Context, note: Path) -> None:
    attachments_in(ctx.vault, "Media")
    (ctx.vault / "Media").mkdir()
    (ctx.vault / "Media" / "mine.png").write_bytes(b"the person's")
    note.chmod(0o444)
    with pytest.raises(NoteSkipped, match="read-only"):
        write_note(ctx, note, lambda current, thumbnail: (current + f"{thumbnail}\n", None),
                   thumbnail=(JPEG, NOW))
    assert note.read_text(encoding="utf-8") == STUB
    assert files(ctx.vault / "Media") == {"mine.png"}  # a folder that was there stays


def test_a_retried_write_keeps_one_thumbnail(ctx: Context, note: Path) -> None:
    calls = []

    def merge(current: str, thumbnail: str | None) -> tuple[str, None]:
        calls.append(thumbnail)
        if len(calls) == 2:  # the person saves between our read and our rename
            note.write_text(current + "typed\n", encoding="utf-8")
        return current + f"{thumbnail}\n", None

    write_note(ctx, note, merge, thumbnail=(JPEG, NOW))
    images = [name for name in files(ctx.vault) if name.endswith(".jpg")]
    assert len(images) == 1
    assert note.read_text(encoding="utf-8") == STUB + "typed\n" + images[0] + "\n"


def test_a_note_that_links_out_of_the_vault_is_not_written(ctx: Context, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(STUB, encoding="utf-8")
    link = ctx.vault / "link.md"
    link.symlink_to(outside)
    with pytest.raises(NoteSkipped, match="outside the vault"):
        write_note(ctx, link, append("x\n"))
    assert outside.read_text(encoding="utf-8") == STUB
    assert link.is_symlink()


def test_a_read_only_folder_is_respected(ctx: Context, note: Path) -> None:
    note.parent.chmod(0o555)
    try:
        with pytest.raises(NoteSkipped, match="folder is read-only"):
            write_note(ctx, note, append("x\n"))
    finally:
        note.parent.chmod(0o755)
    assert note.read_text(encoding="utf-8") == STUB


def test_a_vanished_note_is_skipped(ctx: Context, note: Path) -> None:
    note.unlink()
    with pytest.raises(NoteSkipped, match="vanished"):
        write_note(ctx, note, append("x\n"))
    assert not note.exists()


def test_a_thumbnail_never_overwrites_an_attachment(ctx: Context, note: Path) -> None:
    (ctx.vault / "1711477562504.jpg").write_bytes(b"the person's image")
    saved = save_thumbnail(ctx, note, JPEG, NOW)
    assert saved.path.name == "1711477562505.jpg"
    assert (ctx.vault / "1711477562504.jpg").read_bytes() == b"the person's image"


@pytest.mark.parametrize(("data", "ext"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, ".png"),
    (b"RIFF\0\0\0\0WEBPVP8 ", ".webp"),
    (JPEG, ".jpg"),
])
def test_the_thumbnails_extension_is_its_format(ctx: Context, note: Path, data: bytes,
                                                ext: str) -> None:
    assert save_thumbnail(ctx, note, data, NOW).path.suffix == ext


# Claims: two devices, one vault.

def claiming(make_context: MakeContext, device: str) -> Context:
    return make_context(analyzer=None, youtube=object(), device=device, claim_settle=0.0)


def test_a_claim_is_written_and_dropped_by_the_fill(make_context: MakeContext,
                                                    note: Path) -> None:
    ctx = claiming(make_context, "laptop")
    assert claim_note(ctx, note, stub_of(STUB))
    held = claims.read_claim(note.read_text(encoding="utf-8"))
    assert held is not None and held.device == "laptop"
    write_note(ctx, note, append("filled\n"))
    assert claims.read_claim(note.read_text(encoding="utf-8")) is None
    assert note.read_text(encoding="utf-8") == STUB + "filled\n"


def test_another_devices_live_claim_wins(make_context: MakeContext, note: Path) -> None:
    theirs = claims.add_claim(STUB, "desktop", datetime.now(UTC), timedelta(minutes=15))
    assert theirs is not None
    note.write_text(theirs, encoding="utf-8")
    with pytest.raises(NoteSkipped, match="device desktop is filling it"):
        claim_note(claiming(make_context, "laptop"), note, stub_of(STUB))
    assert note.read_text(encoding="utf-8") == theirs


def test_an_expired_claim_is_taken_over(make_context: MakeContext, note: Path) -> None:
    stale = claims.add_claim(STUB, "desktop", datetime.now(UTC) - timedelta(hours=1),
                             timedelta(minutes=15))
    assert stale is not None
    note.write_text(stale, encoding="utf-8")
    assert claim_note(claiming(make_context, "laptop"), note, stub_of(STUB))
    held = claims.read_claim(note.read_text(encoding="utf-8"))
    assert held is not None and held.device == "laptop"


def test_a_claim_that_lost_the_race_is_seen_after_settling(make_context: MakeContext,
                                                           note: Path) -> None:
    ctx = claiming(make_context, "laptop")
    real_wait = ctx.run.stopping.wait

    def other_device_claims(timeout: float | None = None) -> bool:
        text = claims.drop_claim(note.read_text(encoding="utf-8"))
        theirs = claims.add_claim(text, "desktop", datetime.now(UTC), timedelta(minutes=15))
        assert theirs is not None
        note.write_text(theirs, encoding="utf-8")  # their sync arrived while we settled
        return real_wait(0)

    object.__setattr__(ctx.run.stopping, "wait", other_device_claims)
    with pytest.raises(NoteSkipped, match="device desktop claimed it first"):
        claim_note(ctx, note, stub_of(STUB))


def test_a_note_filled_meanwhile_is_not_claimed(make_context: MakeContext, note: Path) -> None:
    with pytest.raises(NoteSkipped, match="filled or changed meanwhile"):
        check_still(stub_of(STUB), "---\ntitle: x\n---\nnot a stub any more\n")
    check_still(stub_of(STUB), STUB)  # still the same stub: no error
    note.write_text("a plain note\n", encoding="utf-8")
    with pytest.raises(NoteSkipped, match="filled or changed meanwhile"):
        claim_note(claiming(make_context, "laptop"), note, stub_of(STUB))
    assert note.read_text(encoding="utf-8") == "a plain note\n"


def test_release_takes_only_our_claim_off(make_context: MakeContext, note: Path) -> None:
    ctx = claiming(make_context, "laptop")
    claim_note(ctx, note, stub_of(STUB))
    release_note(ctx, note)
    assert note.read_text(encoding="utf-8") == STUB  # the fences the claim brought went too
    theirs = claims.add_claim(STUB, "desktop", datetime.now(UTC), timedelta(minutes=15))
    assert theirs is not None
    note.write_text(theirs, encoding="utf-8")
    release_note(ctx, note)
    assert note.read_text(encoding="utf-8") == theirs


def test_a_write_of_a_note_claimed_elsewhere_keeps_their_claim(make_context: MakeContext,
                                                               note: Path) -> None:
    theirs = claims.add_claim(STUB, "desktop", datetime.now(UTC), timedelta(minutes=15))
    assert theirs is not None
    note.write_text(theirs, encoding="utf-8")
    write_note(claiming(make_context, "laptop"), note, append("x\n"))
    held = claims.read_claim(note.read_text(encoding="utf-8"))
    assert held is not None and held.device == "desktop"



def test_a_released_claim_gives_json_properties_back_as_they_were(
        make_context: MakeContext, note: Path) -> None:
    """The claim writes JSON properties as YAML (no line can be added to a JSON object); a
    note that is then not filled goes back to the person's bytes, not to the YAML."""
    mine = '---\n{"tags": "journal", "rating": 4.5}\n---\nhttps://youtu.be/Yf1o0TQzry8\n'
    note.write_text(mine, encoding="utf-8")
    ctx = claiming(make_context, "laptop")
    assert claim_note(ctx, note, stub_of(mine))
    assert note.read_text(encoding="utf-8").startswith("---\ntags: journal\n")
    release_note(ctx, note)
    assert note.read_text(encoding="utf-8") == mine
    assert ctx.run.claimed() == []
