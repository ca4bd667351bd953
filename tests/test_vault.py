"""The vault walk, Obsidian's excluded files and attachment folder, and the containment check."""

from __future__ import annotations

import json
import os
from itertools import islice
from pathlib import Path

import pytest

from ytvault.vault.scan import scan_vault
from ytvault.vault.walk import (
    attachment_dir,
    inside_vault,
    is_conflict_copy,
    is_note,
    iter_notes,
    load_ignore_filters,
    read_app_config,
)

pytestmark = pytest.mark.unit


def make(vault: Path, *names: str) -> None:
    for name in names:
        path = vault / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def app_json(vault: Path, **settings: object) -> None:
    (vault / ".obsidian").mkdir(exist_ok=True)
    (vault / ".obsidian" / "app.json").write_text(json.dumps(settings), encoding="utf-8")


def walk(vault: Path) -> list[str]:
    return [p.relative_to(vault).as_posix() for p in iter_notes(vault)]


# --- the walk ----------------------------------------------------------------------------


@pytest.mark.usefixtures("listing")
def test_walk_finds_nested_notes_in_a_stable_order(tmp_path: Path) -> None:
    make(tmp_path, "b.md", "a.md", "Sub/z.md", "Sub/Deeper/y.md", "Another/x.md")
    assert walk(tmp_path) == ["a.md", "b.md", "Another/x.md", "Sub/z.md", "Sub/Deeper/y.md"]


@pytest.mark.usefixtures("listing")
def test_walk_skips_dot_folders_dot_files_and_other_files(tmp_path: Path) -> None:
    make(
        tmp_path,
        "keep.md",
        ".obsidian/workspace.md",
        ".trash/deleted.md",
        ".git/COMMIT.md",
        "Sub/.hidden/x.md",
        ".dotnote.md",
        "Sub/.also.md",
        "image.png",
        "notes.txt",
        "README.markdown",
        "not-md.md.bak",
    )
    (tmp_path / "folder.md").mkdir()  # a folder named like a note
    assert walk(tmp_path) == ["keep.md"]


@pytest.mark.usefixtures("listing")
def test_walk_skips_prefix_and_regex_excluded_files(tmp_path: Path) -> None:
    app_json(
        tmp_path,
        userIgnoreFilters=[
            "Templates/",  # a folder
            "Archive",  # a bare prefix: also Archived/
            "Daily/2023-",  # a file-name prefix inside a folder
            "/\\.excalidraw\\.md$/",  # a regex, unanchored
            "/^people/",  # regexes are case-insensitive too
            "",  # blank entries are dropped, not a match-everything prefix
            "  ",
            "  Inbox/ ",  # entries are trimmed
            "/[unclosed/",  # a bad regex is skipped, as in Obsidian
        ],
    )
    make(
        tmp_path,
        "keep.md",
        "Templates/YouTube.md",
        "templates/lower.md",  # prefixes are case-insensitive
        "Archive/old.md",
        "Archived/older.md",
        "Daily/2023-12-31.md",
        "Daily/2024-01-01.md",
        "Drawing.excalidraw.md",
        "Sub/Sketch.excalidraw.md",
        "People/Ann.md",
        "Sub/People/Bob.md",
        "Sub/Templates/kept.md",  # a prefix only matches from the vault root
        "Inbox/new.md",
    )
    assert walk(tmp_path) == [
        "keep.md",
        "Daily/2024-01-01.md",
        "Sub/People/Bob.md",
        "Sub/Templates/kept.md",
    ]


def test_only_wholly_excluded_folders_are_pruned(tmp_path: Path) -> None:
    app_json(tmp_path, userIgnoreFilters=["Templates/", "Arch", "Daily/2023-", "/^Sub/"])
    filters = load_ignore_filters(tmp_path)
    assert filters.ignores_folder("Templates")
    assert filters.ignores_folder("templates")
    assert filters.ignores_folder("Archive")
    assert not filters.ignores_folder("Daily")  # only some of its notes are excluded
    assert not filters.ignores_folder("Sub")  # a regex may not exclude all of a folder
    assert not filters.ignores_folder("Notes")


@pytest.mark.usefixtures("listing")
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b"null",
        b'{"userIgnoreFilters": null}',
        b'{"userIgnoreFilters": "Templates/"}',
        b'{"userIgnoreFilters": [1, null, {}]}',
        b"\xff\xfe{}",
    ],
)
def test_any_app_json_is_tolerated(tmp_path: Path, content: bytes) -> None:
    make(tmp_path, "a.md", ".obsidian/app.json")
    (tmp_path / ".obsidian" / "app.json").write_bytes(content)
    assert not load_ignore_filters(tmp_path)
    assert walk(tmp_path) == ["a.md"]
    assert attachment_dir(tmp_path, tmp_path / "a.md") == tmp_path


def test_app_json_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / ".obsidian" / "app.json").write_bytes(
        b'\xef\xbb\xbf{"userIgnoreFilters": ["Templates/"]}')
    assert read_app_config(tmp_path) == {"userIgnoreFilters": ["Templates/"]}
    (tmp_path / ".obsidian" / "app.json").write_bytes(b'\xef\xbb\xbf\xef\xbb\xbf{}')
    assert read_app_config(tmp_path) == {}  # one BOM is taken off, as utf-8-sig does


def test_app_json_that_is_a_folder_is_tolerated(tmp_path: Path) -> None:
    (tmp_path / ".obsidian" / "app.json").mkdir(parents=True)
    assert read_app_config(tmp_path) == {}


def test_invalid_regex_is_reported(tmp_path: Path) -> None:
    app_json(tmp_path, userIgnoreFilters=["/(?<name>x)\\k<name>/", "/ok/"])
    filters = load_ignore_filters(tmp_path)
    assert filters.invalid == ("/(?<name>x)\\k<name>/",)
    assert filters.ignores("look/ok.md")


CONFLICT_COPIES = [
    "Note.sync-conflict-20240101-120000-ABCDEFG.md",  # Syncthing
    "Note.sync-conflict-20150101-120000.md",  # Syncthing before device ids
    "Note (conflicted copy 2024-01-01).md",  # Dropbox
    "Note (Ann Smith's conflicted copy 2024-01-01).md",  # Dropbox, shared folder
    "Note (Ann Smith\u2019s conflicted copy 2024-01-01) (1).md",
    "Note (conflicted copy 2024-01-01 120000).md",  # Nextcloud
    "Note (Conflicted copy MacBook 202401011200).md",  # Obsidian Sync
    "Note (Conflict 2024-01-01 12-00-00).md",
    "Note (Case Conflict).md",  # Dropbox
    "Note (Case Conflict 1).md",
    "Note (Selective Sync Conflict).md",
    "Note (SFConflict ann@example.com 2024-01-01-12-00-00).md",  # Seafile
    "Note_conflict-20240101-120000.md",  # ownCloud < 2.5
]

ORDINARY_NAMES = [
    "Note 2.md",  # iCloud's duplicate, but also a normal name
    "Note (1).md",
    "Note-MacBook.md",
    "Conflict resolution.md",
    "The Conflict (2019 film).md",
    "Balkans (Conflict 1991-2001).md",
    "Invasion (Conflict 2022-02-24).md",
    "Conflicted.md",
    "My sync-conflict notes.md",
    "Ukraine conflict 2022-02-24.md",
]


@pytest.mark.parametrize("name", CONFLICT_COPIES)
def test_conflict_copies_are_recognized(name: str) -> None:
    assert is_conflict_copy(name)


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_names_are_not_conflict_copies(name: str) -> None:
    assert not is_conflict_copy(name)


@pytest.mark.usefixtures("listing")
def test_walk_skips_conflict_copies_only(tmp_path: Path) -> None:
    make(tmp_path, *(f"Sub/{n}" for n in CONFLICT_COPIES), *(f"Sub/{n}" for n in ORDINARY_NAMES))
    assert walk(tmp_path) == [f"Sub/{n}" for n in sorted(ORDINARY_NAMES)]


@pytest.mark.usefixtures("listing")
def test_symlinked_folders_are_not_entered_and_loops_end(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    make(vault, "a.md", "Sub/b.md")
    make(outside, "secret.md")
    (vault / "Sub" / "loop").symlink_to(vault, target_is_directory=True)
    (vault / "Sub" / "self").symlink_to(vault / "Sub", target_is_directory=True)
    (vault / "out").symlink_to(outside, target_is_directory=True)
    (vault / "linked.md").symlink_to(outside / "secret.md")  # reported by the pipeline
    (vault / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    # islice: a walk that followed the loops would yield Sub/b.md endlessly, not hang here
    walked = [p.relative_to(vault).as_posix() for p in islice(iter_notes(vault), 10)]
    assert walked == ["a.md", "linked.md", "Sub/b.md"]


@pytest.mark.usefixtures("listing")
def test_walk_of_a_missing_vault_is_empty(tmp_path: Path) -> None:
    assert walk(tmp_path / "nope") == []


@pytest.mark.usefixtures("listing")
def test_is_note_agrees_with_the_walk(tmp_path: Path) -> None:
    app_json(tmp_path, userIgnoreFilters=["Templates/", "/\\.excalidraw\\.md$/"])
    conflict = "Sub/d (conflicted copy 2024-01-01).md"
    make(tmp_path, "a.md", "Sub/b.md", "Templates/t.md", "x.excalidraw.md", ".trash/c.md", conflict)
    make(tmp_path, "e.txt")
    (tmp_path / "link").symlink_to(tmp_path / "Sub", target_is_directory=True)
    everything = [p for p in tmp_path.rglob("*") if p.is_file()] + [tmp_path / "link" / "b.md"]
    walked = set(iter_notes(tmp_path))
    assert walked == {tmp_path / "a.md", tmp_path / "Sub" / "b.md"}
    for path in everything:
        assert is_note(tmp_path, path) == (path in walked), path
    assert not is_note(tmp_path, tmp_path.parent / "elsewhere.md")


@pytest.mark.usefixtures("listing")
def test_walk_finds_every_note_of_a_wide_tree(tmp_path: Path) -> None:
    # Speed is measured by bench/scan.py, not here: timed tests flake on shared machines.
    for a in range(20):
        folder = tmp_path / f"Area {a}"
        folder.mkdir()
        for n in range(100):
            (folder / f"Note {n}.md").touch()
    assert sum(1 for _ in iter_notes(tmp_path)) == 2000


@pytest.mark.usefixtures("listing")
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_a_walk_holds_one_folder_open_at_most(tmp_path: Path) -> None:
    # A folder is listed through a descriptor that is closed before the next folder is
    # opened: a vault of thousands of folders never nears the limit of open files.
    for a in range(50):
        for b in range(4):
            make(tmp_path, f"Area {a}/Part {b}/note.md", f"Area {a}/top.md")
    before = len(os.listdir("/proc/self/fd"))
    most = 0
    for _ in scan_vault(tmp_path, tidy=False):
        pass
    for _ in iter_notes(tmp_path):
        most = max(most, len(os.listdir("/proc/self/fd")) - before)
    assert most <= 2  # the folder being listed (+ the listing of /proc/self/fd itself)
    assert len(os.listdir("/proc/self/fd")) == before
    assert sum(1 for _ in iter_notes(tmp_path)) == 250


# --- attachment_dir ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "."),  # missing
        ("/", "."),
        ("", "."),
        ("./", "Notes/Sub"),
        (".", "Notes/Sub"),
        ("./assets", "Notes/Sub/assets"),
        ("./assets/img", "Notes/Sub/assets/img"),
        ("Attachments", "Attachments"),
        ("Attachments/YouTube", "Attachments/YouTube"),
        ("/Attachments/", "Attachments"),
        ("Attachments\\YouTube", "Attachments/YouTube"),
        ("../outside", "."),
        ("./../../../outside", "."),
        ("Attachments/../../outside", "."),
        ("./../Shared", "Notes/Shared"),  # up, but still inside the vault
        (42, "."),  # not a string
    ],
)
def test_attachment_dir_follows_every_setting_form(
    tmp_path: Path, setting: object, expected: str
) -> None:
    if setting is None:
        app_json(tmp_path, userIgnoreFilters=[])
    else:
        app_json(tmp_path, attachmentFolderPath=setting)
    note = tmp_path / "Notes" / "Sub" / "video.md"
    make(tmp_path, "Notes/Sub/video.md")
    assert attachment_dir(tmp_path, note) == tmp_path / expected
    assert attachment_dir(tmp_path, note.relative_to(tmp_path)) == tmp_path / expected


def test_attachment_dir_without_any_config(tmp_path: Path) -> None:
    assert attachment_dir(tmp_path, tmp_path / "a.md") == tmp_path


def test_attachment_dir_for_a_note_at_the_root(tmp_path: Path) -> None:
    app_json(tmp_path, attachmentFolderPath="./")
    assert attachment_dir(tmp_path, tmp_path / "a.md") == tmp_path
    app_json(tmp_path, attachmentFolderPath="./assets")
    assert attachment_dir(tmp_path, tmp_path / "a.md") == tmp_path / "assets"


def test_attachment_dir_reuses_a_folder_that_differs_in_case(tmp_path: Path) -> None:
    (tmp_path / "Attachments" / "YouTube").mkdir(parents=True)
    app_json(tmp_path, attachmentFolderPath="attachments/youtube/thumbs")
    assert attachment_dir(tmp_path, tmp_path / "a.md") == tmp_path / "Attachments/YouTube/thumbs"


def test_attachment_dir_never_follows_a_link_out_of_the_vault(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    (vault / "Attachments").symlink_to(outside, target_is_directory=True)
    app_json(vault, attachmentFolderPath="Attachments")
    assert attachment_dir(vault, vault / "a.md") == vault
    (vault / "Notes").symlink_to(outside, target_is_directory=True)
    app_json(vault, attachmentFolderPath="./")
    assert attachment_dir(vault, vault / "Notes" / "a.md") == vault


def test_attachment_dir_for_a_note_outside_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    app_json(vault, attachmentFolderPath="./assets")
    assert attachment_dir(vault, tmp_path / "elsewhere" / "a.md") == vault


# --- inside_vault ------------------------------------------------------------------------


def test_inside_vault_resolves_links(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    make(vault, "a.md", "Sub/b.md")
    make(outside, "secret.md")
    (vault / "link.md").symlink_to(outside / "secret.md")
    (vault / "out").symlink_to(outside, target_is_directory=True)
    (vault / "in").symlink_to(vault / "Sub", target_is_directory=True)
    assert inside_vault(vault, vault / "a.md")
    assert inside_vault(vault, vault / "Sub" / "b.md")
    assert inside_vault(vault, vault / "Sub" / "new.md")  # not written yet
    assert inside_vault(vault, vault / "in" / "b.md")
    assert inside_vault(vault, Path("Sub/b.md"))  # relative to the vault
    assert inside_vault(vault, vault)
    assert not inside_vault(vault, vault / "link.md")
    assert not inside_vault(vault, vault / "out" / "secret.md")
    assert not inside_vault(vault, vault / "out" / "new.md")
    assert not inside_vault(vault, vault / ".." / "outside" / "secret.md")
    assert not inside_vault(vault, tmp_path / "vault-sibling" / "a.md")  # not a string prefix
    assert not inside_vault(vault, outside / "secret.md")


@pytest.mark.usefixtures("listing")
def test_inside_vault_when_the_vault_itself_is_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    make(real, "a.md")
    os.symlink(real, tmp_path / "vault", target_is_directory=True)
    vault = tmp_path / "vault"
    assert inside_vault(vault, vault / "a.md")
    assert inside_vault(vault, real / "a.md")
    assert walk(vault) == [
        "a.md"
    ]  # the vault root may be a link; only links inside are not followed
