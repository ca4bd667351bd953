"""The vault's own settings, each checked for its effect on real files in a temp vault:
attachment folder × link format × Markdown links for the thumbnail, property types in
types.json, excluded files and `.trash`, duplicates, and the rename of `Untitled` notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, SEED_URL, MakeContext, props
from fakeapi import FakeMessagesAPI

from ytvault.config.settings import Config
from ytvault.note.parse import split_note
from ytvault.pipeline.run import process_note, sync
from ytvault.vault import obsidian

THUMB = "1711477562504.jpg"
SEED = (FIXTURES / "seed-note.md").read_bytes()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def app_json(vault: Path, **settings: Any) -> None:
    (vault / ".obsidian" / "app.json").write_text(json.dumps(settings))


def config(cache_dir: Path, tmp_path: Path, **keys: Any) -> Config:
    return Config(cache_dir=cache_dir, state_dir=tmp_path / "state", **keys)


# --- the thumbnail: where it goes and how it is linked ---------------------------------------

LINKS = [
    # (app.json, note, where the file goes, property's link path, the body's embed)
    ({}, "n.md", THUMB, THUMB, f"![[{THUMB}]]"),
    ({"attachmentFolderPath": "/"}, "Inbox/n.md", THUMB, THUMB, f"![[{THUMB}]]"),
    ({"attachmentFolderPath": "./"}, "Inbox/n.md", f"Inbox/{THUMB}", THUMB, f"![[{THUMB}]]"),
    ({"attachmentFolderPath": "./assets", "newLinkFormat": "relative"}, "Inbox/n.md",
     f"Inbox/assets/{THUMB}", f"assets/{THUMB}", f"![[assets/{THUMB}]]"),
    ({"attachmentFolderPath": "Attachments", "newLinkFormat": "relative"}, "Inbox/n.md",
     f"Attachments/{THUMB}", f"../Attachments/{THUMB}", f"![[../Attachments/{THUMB}]]"),
    ({"attachmentFolderPath": "Attachments", "newLinkFormat": "absolute"}, "Inbox/n.md",
     f"Attachments/{THUMB}", f"Attachments/{THUMB}", f"![[Attachments/{THUMB}]]"),
    ({"attachmentFolderPath": "Media Files", "newLinkFormat": "absolute",
      "useMarkdownLinks": True}, "n.md", f"Media Files/{THUMB}", f"Media Files/{THUMB}",
     f"![](Media%20Files/{THUMB})"),
    ({"useMarkdownLinks": True}, "Inbox/n.md", THUMB, THUMB, f"![]({THUMB})"),
    ({"attachmentFolderPath": "./", "useMarkdownLinks": True, "newLinkFormat": "relative"},
     "Inbox/n.md", f"Inbox/{THUMB}", THUMB, f"![]({THUMB})"),
]


@pytest.mark.parametrize(("settings", "name", "where", "link", "embed"), LINKS)
def test_thumbnail_follows_attachment_folder_and_link_settings(
        vault: Path, cache_dir: Path, tmp_path: Path, make_context: MakeContext,
        settings: dict[str, Any], name: str, where: str, link: str, embed: str) -> None:
    app_json(vault, **settings)
    note = write(vault / name, SEED_URL + "\n")
    outcome = process_note(make_context(analyzer=None), note)
    assert outcome is not None and outcome.status == "filled"
    assert (vault / where).read_bytes() == (cache_dir / "videos/Yf1o0TQzry8/thumbnail.jpg"
                                            ).read_bytes()
    assert props(note)["thumbnail"] == f"![[{link}]]"  # properties hold wikilinks
    body = split_note(note.read_text()).body
    assert body.startswith(f"\n{embed}\n# ") or body.startswith(f"\n{embed}\n> [!info]")


def test_shortest_link_is_the_full_path_when_the_name_is_not_unique(
        vault: Path, make_context: MakeContext) -> None:
    app_json(vault, attachmentFolderPath="Attachments")
    write(vault / "Old" / THUMB, "another file of the same name")
    write(vault / ".trash" / "x" / THUMB, "Obsidian does not index .trash: not counted")
    note = write(vault / "n.md", SEED_URL + "\n")
    process_note(make_context(analyzer=None), note)
    assert props(note)["thumbnail"] == f"![[Attachments/{THUMB}]]"
    assert f"\n![[Attachments/{THUMB}]]\n" in note.read_text()


def test_default_settings_keep_the_golden_note(vault: Path, cache_dir: Path, tmp_path: Path,
                                               make_context: MakeContext, api: object) -> None:
    (vault / ".obsidian" / "app.json").write_text(
        '{"newLinkFormat": "shortest", "useMarkdownLinks": false, "attachmentFolderPath": "/"}')
    note = write(vault / "Untitled.md", SEED_URL + "\n")
    process_note(make_context(config=config(cache_dir, tmp_path, quote_links=False)), note)
    assert note.read_bytes() == SEED


def test_link_path_and_markdown_embed_units(tmp_path: Path) -> None:
    vault = tmp_path
    write(vault / "a" / "b" / "x y.png", "")
    note, image = vault / "c" / "n.md", vault / "a" / "b" / "x y.png"
    assert obsidian.link_path(vault, note, image, "relative") == "../a/b/x y.png"
    assert obsidian.link_path(vault, note, image, "absolute") == "a/b/x y.png"
    assert obsidian.link_path(vault, note, image, "shortest") == "x y.png"
    assert obsidian.markdown_embed("a b/50% (1).png") == "![](a%20b/50%25%20%281%29.png)"
    write(vault / "Talk.md", "")
    assert obsidian.note_link(vault, note, vault / "Talk.md") == "[[Talk]]"
    assert obsidian.open_uri(Path("/x/My Vault"), Path("/x/My Vault/In box/N#1.md")) == (
        "obsidian://open?vault=My%20Vault&file=In%20box%2FN%231.md")


# --- property types ----------------------------------------------------------------------------


def test_property_types_are_added_to_a_new_types_json(vault: Path,
                                                      make_context: MakeContext) -> None:
    note = write(vault / "n.md", SEED_URL + "\n")
    process_note(make_context(analyzer=None), note)
    types = vault / ".obsidian" / "types.json"
    assert types.read_text() == json.dumps({"types": obsidian.PROPERTY_TYPES}, indent=2)
    assert json.loads(types.read_text())["types"] == {
        "tags": "tags", "aliases": "aliases", "chapters": "multitext", "hashtags": "multitext",
        "subscribers": "number", "publish_date": "date"}


def test_property_types_only_where_absent_and_nothing_else_disturbed(tmp_path: Path) -> None:
    (tmp_path / ".obsidian").mkdir()
    types = tmp_path / ".obsidian" / "types.json"
    original = ('{\n  "types": {\n    "aliases": "aliases",\n    "subscribers": "text",\n'
                '    "rating": "number",\n    "tags": "tags"\n  },\n  "other": [1, 2]\n}\n')
    types.write_text(original)
    types.chmod(0o600)
    added = obsidian.ensure_property_types(tmp_path)
    assert added == ["chapters", "hashtags", "publish_date"]
    data = json.loads(types.read_text())
    assert list(data["types"]) == ["aliases", "subscribers", "rating", "tags", "chapters",
                                   "hashtags", "publish_date"]
    assert data["types"]["subscribers"] == "text"  # the person's choice stays
    assert data["other"] == [1, 2] and types.read_text().endswith("}\n")
    assert types.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in types.parent.iterdir()] == ["types.json"]  # no temp file left
    stamp = types.stat().st_mtime_ns, types.stat().st_ino
    assert obsidian.ensure_property_types(tmp_path) == []
    assert (types.stat().st_mtime_ns, types.stat().st_ino) == stamp  # not rewritten


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"types": "text"}'])
def test_property_types_leave_a_file_they_cannot_read(tmp_path: Path, content: str) -> None:
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / ".obsidian" / "types.json").write_text(content)
    assert obsidian.ensure_property_types(tmp_path) == []
    assert (tmp_path / ".obsidian" / "types.json").read_text() == content


def test_no_types_json_in_a_folder_obsidian_never_opened(tmp_path: Path) -> None:
    assert obsidian.ensure_property_types(tmp_path) == []
    assert not (tmp_path / ".obsidian").exists()


# --- excluded files and .trash ----------------------------------------------------------------


def test_excluded_files_and_trash_are_left_alone(vault: Path, make_context: MakeContext) -> None:
    app_json(vault, userIgnoreFilters=["Archive/", "/^Private/"])
    stubs = [write(vault / p, SEED_URL + "\n")
             for p in ("Archive/a.md", "Private notes/b.md", ".trash/c.md")]
    fresh = write(vault / "Inbox/d.md", "https://youtu.be/fxShort001F\n")
    outcomes = list(sync(make_context(analyzer=None)))
    assert [o.note for o in outcomes] == [fresh]
    assert all(p.read_text() == SEED_URL + "\n" for p in stubs)


# --- duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["link", "fill", "skip"])
def test_a_stub_for_a_video_with_a_finished_note(vault: Path, cache_dir: Path, tmp_path: Path,
                                                 make_context: MakeContext, mode: str) -> None:
    first = write(vault / "Talks/First.md", SEED_URL + "\n")
    ctx = make_context(analyzer=None, config=config(cache_dir, tmp_path, duplicates=mode))
    assert process_note(ctx, first) is not None
    again = write(vault / "Inbox/Again.md", "https://www.youtube.com/watch?v=Yf1o0TQzry8\n")
    outcome = process_note(ctx, again)
    assert outcome is not None and "Talks/First.md" in outcome.detail  # never silently
    text = again.read_text()
    if mode == "skip":
        assert outcome.status == "skipped"
        assert text.startswith("https://www.youtube.com/watch?v=Yf1o0TQzry8\n\n> [!info] "
                               "ytvault: already in the vault\n")
        assert "[[First]]" in text
        assert again not in [o.note for o in sync(ctx)]  # no longer a stub: not reported
        assert again.read_text() == text
        return
    assert outcome.status == "filled"
    assert props(again)["title"] == props(first)["title"]
    if mode == "link":
        assert props(again)["duplicate_of"] == "[[First]]"
    else:
        assert "duplicate_of" not in props(again)
    assert "duplicate_of" not in props(first)


@pytest.mark.parametrize("mode", ["link", "fill", "skip"])
def test_stubs_of_one_video_in_one_run_share_one_analysis(
        vault: Path, cache_dir: Path, tmp_path: Path, make_context: MakeContext,
        api: FakeMessagesAPI, mode: str) -> None:
    """At any concurrency: the second note waits for the first, gets its analysis (one model
    call, paid once) and what `duplicates` says."""
    stubs = [write(vault / f"Inbox/{i}.md", f"https://youtu.be/Yf1o0TQzry8?t={i}\n")
             for i in range(3)]
    write(vault / "Other.md", "https://youtu.be/fxGerman01C\n")
    ctx = make_context(config=config(cache_dir, tmp_path, duplicates=mode, concurrency=4))
    outcomes = {o.note: o for o in sync(ctx)}
    assert len(api.message_requests) == 2  # one per video, not one per note
    seed = [outcomes[p] for p in stubs]
    filled = [o for o in seed if o.status == "filled"]
    if mode == "skip":
        assert len(filled) == 1 and [o.status for o in seed].count("skipped") == 2
        assert all("already has a note" in o.detail for o in seed if o.status == "skipped")
        return
    assert len(filled) == 3
    summaries = {p.read_text().split("# SUMMARY")[1].split("# IDEAS")[0] for p in stubs}
    assert len(summaries) == 1  # the one analysis, in every note
    linked = [p for p in stubs if "duplicate_of" in props(p)]
    assert len(linked) == (2 if mode == "link" else 0)
    assert sum(o.usage is not None for o in seed) == 1  # what was spent, reported once


def test_a_finished_note_in_the_trash_is_not_an_earlier_note(vault: Path,
                                                            make_context: MakeContext) -> None:
    write(vault / ".trash/Old.md", "---\nyoutube_url: https://youtu.be/Yf1o0TQzry8\n"
          "template-type: YouTube\nchannel_name: x\n---\n")
    note = write(vault / "n.md", SEED_URL + "\n")
    outcome = process_note(make_context(analyzer=None), note)
    assert outcome is not None and "also has a note" not in outcome.detail
    assert "duplicate_of" not in props(note)


# --- renaming Untitled notes -------------------------------------------------------------------

TITLE = ("Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, Spies, Microsoft, "
         "& Enlightenment")


def test_untitled_notes_keep_their_name_by_default(vault: Path,
                                                   make_context: MakeContext) -> None:
    note = write(vault / "Untitled.md", SEED_URL + "\n")
    outcome = process_note(make_context(analyzer=None), note)
    assert outcome is not None and outcome.status == "filled", outcome
    assert outcome.note == note and note.is_file() and props(note)["title"] == TITLE
    assert sorted(p.name for p in vault.glob("*.md")) == ["Untitled.md"]


def test_untitled_notes_are_renamed_when_asked(vault: Path, cache_dir: Path, tmp_path: Path,
                                               make_context: MakeContext) -> None:
    ctx = make_context(analyzer=None, config=config(cache_dir, tmp_path, rename_untitled=True))
    write(vault / "Inbox" / f"{TITLE}.md", "a note of the person's with that name")
    note = write(vault / "Inbox/Untitled 3.md", SEED_URL + "\n")
    named = write(vault / "Inbox/My talk.md", "https://youtu.be/fxShort001F\n")
    outcomes = {o.note.name: o for o in sync(ctx)}
    assert not note.exists() and named.is_file()  # only Untitled notes are renamed
    renamed = vault / "Inbox" / f"{TITLE} 1.md"
    assert outcomes[renamed.name].detail.endswith("; renamed from Untitled 3.md")
    assert props(renamed)["title"] == TITLE
    assert (vault / "Inbox" / f"{TITLE}.md").read_text() == "a note of the person's with that name"
    entry = ctx.ledger.get(vault, f"Inbox/{TITLE} 1.md")
    assert entry is not None and entry.status == "pending"
    assert ctx.ledger.get(vault, "Inbox/Untitled 3.md") is None
    assert ctx.ledger.generated(vault, f"Inbox/{TITLE} 1.md", "Yf1o0TQzry8")


def test_a_property_url_stub_of_a_video_with_a_finished_note_says_so_in_its_body(
        vault: Path, cache_dir: Path, tmp_path: Path, make_context: MakeContext) -> None:
    first = write(vault / "Talks/First.md", SEED_URL + "\n")
    ctx = make_context(analyzer=None, config=config(cache_dir, tmp_path, duplicates="skip"))
    assert process_note(ctx, first) is not None
    stub = "---\nyoutube_url: https://youtu.be/Yf1o0TQzry8\n---\n"
    again = write(vault / "Inbox/Again.md", stub)
    outcome = process_note(ctx, again)
    assert outcome is not None and outcome.status == "skipped"
    assert "Talks/First.md" in outcome.detail
    text = again.read_text()
    assert text.startswith(stub + "> [!info] ytvault: already in the vault\n")
    assert "[[First]]" in text
    assert again not in [o.note for o in sync(ctx)]  # no longer a stub: not reported
    assert again.read_text() == text
