"""What follows a fill: property types, the record `refresh` relies on, the optional rename
of an `Untitled` note, and the links and callouts about duplicates and thumbnails."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from ytvault.models import Video
from ytvault.note import parse
from ytvault.note.lines import UPDATED, generated_lines, move_updated
from ytvault.note.merge import merge_analysis
from ytvault.note.parse import Stub
from ytvault.note.render import render_callout, render_note
from ytvault.note.yamltext import FrontmatterError
from ytvault.outcome import Outcome
from ytvault.pipeline.context import Context, file_names, videos
from ytvault.pipeline.write import attach_callout_to, write_note
from ytvault.vault import names, obsidian

log = logging.getLogger(__name__)


def link_thumbnail(ctx: Context, note: Path, thumbnail: str | None
                     ) -> tuple[str | None, str | None]:
    """The thumbnail's wikilink path and Markdown embed, as the vault's link settings say."""
    if thumbnail is None:
        return None, None
    image = ctx.vault / thumbnail
    names = file_names(ctx)
    names.add(image)
    return obsidian.thumbnail_links(ctx.vault, note, image, names)


def with_property(rendered: str, key: str, value: str) -> str:
    """`rendered` with one more property after the template's."""
    parts = parse.split_note(rendered)
    front = (parts.frontmatter or "") + f"{key}: {value}\n"
    return parse.Parts(parts.bom, front, parts.opening, parts.closing, parts.body).text


def after_fill(ctx: Context, path: Path, stub: Stub, video: Video,
                rendered: str) -> tuple[Path, str]:
    """What follows a fill: the property types Obsidian should use, a record of the lines
    `refresh` may update later, and the optional rename of an `Untitled` note. Returns the
    note's path and, when it was renamed, a note of it for the output."""
    obsidian.ensure_property_types_once(ctx.vault)
    videos(ctx).add(stub.video_id, path)
    file_names(ctx).add(path)
    with contextlib.suppress(FrontmatterError):  # a template too unusual to cut: no record
        ctx.ledger.remember_generated(ctx.vault, ctx.rel(path), stub.video_id,
                                      generated_lines(rendered))
    if not (ctx.config.rename_untitled and names.is_untitled(path.name)):
        return path, ""
    target = names.free_path(path.parent, names.safe_stem(video.title, video.id))
    with ctx.run.write_gate:
        if ctx.run.stopping.is_set():
            return path, ""
        try:
            names.move_no_clobber(path, target)
        except OSError as exc:
            log.warning("could not rename %s to %s: %s", path, target.name, exc)
            return path, ""
    ctx.ledger.move(ctx.vault, ctx.rel(path), ctx.rel(target))
    videos(ctx).add(stub.video_id, target)
    file_names(ctx).add(target)
    if ctx.options.on_write is not None:
        ctx.options.on_write(target)
    return target, f"; renamed from {path.name}"


def add_analysis(ctx: Context, path: Path, stub: Stub, video: Video, block: str,
                 template: str | None) -> None:
    """Put the analysis in place of its callout in a filled note, and move `updated` to now
    when it is still what ytvault wrote (the note changed; a date the person set stays)."""
    rel = ctx.rel(path)
    record = ctx.ledger.generated(ctx.vault, rel, stub.video_id)
    rendered = render_note(video, url=stub.url, body="", thumbnail=None, now=ctx.clock(),
                           template=template)
    updated: str | None = None
    with contextlib.suppress(FrontmatterError):  # a template too unusual to cut: no `updated`
        updated = generated_lines(rendered).get(UPDATED)

    def merge(current: str, _: str | None) -> tuple[str | None, bool]:
        merged = merge_analysis(current, block)
        if merged is None or updated is None:
            return merged, False
        try:
            return move_updated(merged, record.get(UPDATED) if record else None, updated)
        except FrontmatterError:  # the person's layout is too unusual to cut: leave it
            return merged, False

    if write_note(ctx, path, merge) and record is not None and updated is not None:
        ctx.ledger.remember_generated(ctx.vault, rel, stub.video_id,
                                      {**record, UPDATED: updated})


def skip_duplicate(ctx: Context, path: Path, stub: Stub, earlier: Path) -> Outcome:
    link = obsidian.note_link(ctx.vault, path, earlier, file_names(ctx))
    attach_callout_to(ctx, path, stub, render_callout(
        "info", DUPLICATE, f"This video already has a note: {link}. ytvault leaves this "
        "one as it is (`duplicates = \"skip\"` in config.toml)."))
    return Outcome(path, "skipped", f"this video already has a note: {ctx.rel(earlier)}",
                   stub.video_id)


DUPLICATE = "already in the vault"
