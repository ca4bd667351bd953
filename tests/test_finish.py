"""pipeline/finish.py: what follows a fill (the property types, the record `refresh` relies
on, the optional rename of an `Untitled` note), the thumbnail's links as the vault's settings
say, and a duplicate's callout."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES, MakeContext

from ytvault.models import Video
from ytvault.note import parse
from ytvault.note.lines import generated_lines
from ytvault.note.parse import Stub
from ytvault.pipeline.context import Context, file_names, videos, with_options
from ytvault.pipeline.finish import (
    DUPLICATE,
    after_fill,
    link_thumbnail,
    skip_duplicate,
    with_property,
)
from ytvault.vault.names import safe_stem

pytestmark = pytest.mark.unit

VID = "Yf1o0TQzry8"
URL = f"https://youtu.be/{VID}"
VIDEO = Video.from_info(json.loads((FIXTURES / "cache" / "videos" / VID / "info.json")
                                   .read_text(encoding="utf-8")))
RENDERED = f"""\
---
tags:
  - type/youtube
title: {VIDEO.title}
channel_name: {VIDEO.channel}
youtube_url: {URL}
template-type: YouTube
updated: 2024-03-26T15:26
---

<iframe title="x" src="https://www.youtube.com/embed/{VID}?feature=oembed"></iframe>
"""


def stub() -> Stub:
    found = parse.classify(URL + "\n")
    assert found is not None
    return found


@pytest.fixture
def ctx(make_context: MakeContext) -> Context:
    return make_context(analyzer=None, youtube=object())


def renaming(ctx: Context) -> Context:
    return replace(ctx, config=ctx.config.replace(rename_untitled=True))


def filled(vault: Path, name: str) -> Path:
    path = vault / name
    path.write_text(RENDERED, encoding="utf-8")
    return path


def test_with_property_adds_one_after_the_templates() -> None:
    text = with_property(RENDERED, "ytvault-note", "x")
    parts = parse.split_note(text)
    assert (parts.frontmatter or "").endswith("updated: 2024-03-26T15:26\nytvault-note: x\n")
    assert parts.body == parse.split_note(RENDERED).body


def test_after_fill_records_what_refresh_may_update(ctx: Context) -> None:
    path = filled(ctx.vault, "My note.md")
    assert after_fill(ctx, path, stub(), VIDEO, RENDERED) == (path, "")
    assert ctx.ledger.generated(ctx.vault, "My note.md", VID) == generated_lines(RENDERED)
    assert videos(ctx).notes(VID) == [path]


def test_after_fill_gives_obsidian_the_property_types(ctx: Context) -> None:
    after_fill(ctx, filled(ctx.vault, "a.md"), stub(), VIDEO, RENDERED)
    types = json.loads((ctx.vault / ".obsidian" / "types.json").read_text(encoding="utf-8"))
    assert types["types"]["subscribers"] == "number"
    assert types["types"]["publish_date"] == "date"


def test_a_template_too_unusual_to_cut_gets_no_record(ctx: Context) -> None:
    odd = RENDERED.replace("tags:\n", "a: &x 1\nb: *x\ntags:\n")
    path = filled(ctx.vault, "a.md")
    after_fill(ctx, path, stub(), VIDEO, odd)
    assert ctx.ledger.generated(ctx.vault, "a.md", VID) is None


def test_an_untitled_note_is_renamed_after_its_video(ctx: Context) -> None:
    written: list[Path] = []
    ctx = with_options(renaming(ctx), on_write=written.append)
    path = filled(ctx.vault, "Untitled 2.md")
    ctx.ledger.record(ctx.vault, "Untitled 2.md", VID, "filled")
    target, said = after_fill(ctx, path, stub(), VIDEO, RENDERED)
    assert target == ctx.vault / f"{safe_stem(VIDEO.title, VID)}.md"
    assert said == "; renamed from Untitled 2.md"
    assert not path.exists()
    assert target.read_text(encoding="utf-8") == RENDERED
    assert written == [target]
    assert ctx.ledger.get(ctx.vault, "Untitled 2.md") is None
    assert ctx.ledger.get(ctx.vault, target.name) is not None
    assert ctx.ledger.generated(ctx.vault, target.name, VID) == generated_lines(RENDERED)
    assert videos(ctx).notes(VID) == [target]


def test_a_rename_never_replaces_a_note(ctx: Context) -> None:
    ctx = renaming(ctx)
    taken = ctx.vault / f"{safe_stem(VIDEO.title, VID)}.md"
    taken.write_text("the person's note\n", encoding="utf-8")
    target, _ = after_fill(ctx, filled(ctx.vault, "Untitled.md"), stub(), VIDEO, RENDERED)
    assert target not in (taken, ctx.vault / "Untitled.md")
    assert target.read_text(encoding="utf-8") == RENDERED
    assert taken.read_text(encoding="utf-8") == "the person's note\n"


@pytest.mark.parametrize(("name", "config"), [
    ("My note.md", {"rename_untitled": True}),  # a name the person chose
    ("Untitled.md", {}),  # renaming is off by default
])
def test_other_notes_keep_their_name(ctx: Context, name: str, config: dict[str, bool]) -> None:
    ctx = replace(ctx, config=ctx.config.replace(**config))
    path = filled(ctx.vault, name)
    assert after_fill(ctx, path, stub(), VIDEO, RENDERED) == (path, "")
    assert path.exists()


def test_a_stopping_run_renames_nothing(ctx: Context) -> None:
    ctx = renaming(ctx)
    path = filled(ctx.vault, "Untitled.md")
    ctx.run.stopping.set()
    assert after_fill(ctx, path, stub(), VIDEO, RENDERED) == (path, "")
    assert path.exists()


def test_no_thumbnail_no_links(ctx: Context) -> None:
    assert link_thumbnail(ctx, ctx.vault / "a.md", None) == (None, None)


def test_the_thumbnails_link_follows_the_vaults_settings(ctx: Context) -> None:
    note = ctx.vault / "Inbox" / "a.md"
    note.parent.mkdir()
    (ctx.vault / "Media").mkdir()
    (ctx.vault / "Media" / "1711477562504.jpg").write_bytes(b"jpg")
    assert link_thumbnail(ctx, note, "Media/1711477562504.jpg") == ("1711477562504.jpg", None)
    (ctx.vault / ".obsidian" / "app.json").write_text(json.dumps(
        {"newLinkFormat": "relative", "useMarkdownLinks": True}))
    path, embed = link_thumbnail(ctx, note, "Media/1711477562504.jpg")
    assert path == "../Media/1711477562504.jpg"
    assert embed == "![](../Media/1711477562504.jpg)"


def test_the_shortest_link_knows_of_the_thumbnails_saved_since_the_walk(ctx: Context) -> None:
    """The vault's file names are read once; each thumbnail linked is added to them, so a
    later file of the same name is linked by its path, not by an ambiguous bare name."""
    note = ctx.vault / "a.md"
    assert file_names(ctx).unique(ctx.vault / "x.jpg")  # read now, with no image in the vault
    for folder in ("Media", "Other"):
        (ctx.vault / folder).mkdir()
        (ctx.vault / folder / "x.jpg").write_bytes(b"jpg")
    assert link_thumbnail(ctx, note, "Media/x.jpg")[0] == "x.jpg"
    assert link_thumbnail(ctx, note, "Other/x.jpg")[0] == "Other/x.jpg"


def test_a_duplicate_gets_a_callout_linking_the_earlier_note(ctx: Context) -> None:
    earlier = filled(ctx.vault, "Earlier note.md")
    path = ctx.vault / "Again.md"
    path.write_text(URL + "\n", encoding="utf-8")
    outcome = skip_duplicate(ctx, path, stub(), earlier)
    assert outcome.status == "skipped"
    assert outcome.detail == "this video already has a note: Earlier note.md"
    assert outcome.video_id == VID
    text = path.read_text(encoding="utf-8")
    assert text.startswith(URL + "\n\n")  # the person's URL stays, the callout after it
    assert f"\n> [!info] ytvault: {DUPLICATE}\n" in text
    assert "[[Earlier note]]" in text
    assert parse.callout_state(text) == DUPLICATE
