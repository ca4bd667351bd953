"""`ytvault refresh`: bring what changes on YouTube (title, channel name, subscribers, length,
chapters, hashtags, the player's title) up to date in finished notes, without a model call.

The analysis is never touched, nor any property the person changed. How ytvault knows: the
ledger keeps the exact lines it wrote for each of these properties (`generated_lines`, at fill
time and after each refresh); a property whose lines are still those is ytvault's to update,
any other is the person's. Without a ledger record (a note filled before, a deleted ledger),
the lines are rendered again from the previous fetch in the cache. The note's other lines move
byte for byte (`yamltext.split_blocks`); the person's YAML is never dumped again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ytvault.errors import FetchError, NoteSkipped, YouTubeUnreachable
from ytvault.models import Video, metadata_settled
from ytvault.note import parse
from ytvault.note.ids import video_id
from ytvault.note.lines import UPDATED, Change, generated_lines, own_lines, refresh_text
from ytvault.note.render import render_note
from ytvault.note.yamltext import FrontmatterError, load_mapping, split_blocks
from ytvault.pipeline.context import Context, paced
from ytvault.pipeline.fetch import wait_turn
from ytvault.pipeline.run import note_template
from ytvault.pipeline.write import write_note


@dataclass(frozen=True)
class Refreshed:
    note: Path
    status: str  # refreshed | unchanged | skipped | failed
    detail: str = ""
    video_id: str = ""
    unreachable: bool = False  # failed because YouTube could not be reached at all


def refresh_note(ctx: Context, path: Path) -> Refreshed:
    """Refresh one finished note from a new fetch of its video's metadata."""
    try:
        text = parse.read_text(path)
        props = load_mapping(parse.split_note(text).frontmatter or "") if text else {}
    except (OSError, NoteSkipped, FrontmatterError) as exc:
        return Refreshed(path, "skipped", f"cannot read it: {exc}")
    url = props.get("youtube_url")
    vid = video_id(url) if isinstance(url, str) else None
    if (text is None or vid is None or not isinstance(url, str)
            or props.get("template-type") != "YouTube"):
        return Refreshed(path, "skipped", "not a finished video note (stubs are filled by "
                         "`ytvault sync`)")
    rel = ctx.rel(path)
    try:
        template = note_template(ctx)
        previous = (ctx.ledger.generated(ctx.vault, rel, vid)
                    or _from_cache(ctx, vid, url, text, template))
        wait_turn(ctx, vid)
        info = ctx.youtube.fetch_info(vid)
        fresh = generated_lines(render_note(Video.from_info(info), url=url, body="",
                                            thumbnail=None, now=ctx.clock(), template=template))
    except FetchError as exc:
        return Refreshed(path, "failed", str(exc), vid, isinstance(exc, YouTubeUnreachable))
    except (FrontmatterError, NoteSkipped) as exc:  # NoteSkipped: the run is stopping
        return Refreshed(path, "skipped", str(exc), vid)
    updated = fresh.pop(UPDATED, None)

    def merge(current: str, _: str | None) -> tuple[str, Change]:
        change = refresh_text(current, previous, fresh, updated)
        return change.text, change

    try:
        change = merge(text, None)[1] if ctx.options.dry_run else write_note(ctx, path, merge)
    except FrontmatterError as exc:
        return Refreshed(path, "skipped", str(exc), vid)
    except NoteSkipped as exc:
        return Refreshed(path, "skipped", str(exc), vid)
    if not ctx.options.dry_run:
        if metadata_settled(info):
            ctx.cache.write_info(vid, info)  # the next refresh compares with this fetch
        ctx.ledger.remember_generated(ctx.vault, rel, vid, change.lines)
    kept = f"kept your {', '.join(change.kept)}" if change.kept else ""
    if not change.changed:
        return Refreshed(path, "unchanged", kept or "up to date", vid)
    said = ", ".join(change.changed)
    detail = ("dry run: would update " if ctx.options.dry_run else "updated ") + said
    return Refreshed(path, "refreshed", "; ".join(filter(None, [detail, kept])), vid)


def refresh(ctx: Context, paths: Iterable[Path], *,
            sleep: Callable[[float], object] | None = None) -> Iterator[Refreshed]:
    """Refresh `paths` one at a time, each video's fetch paced (`ctx.fetch_pace`, made for the
    run if there is none; `sleep` is its wait) so YouTube does not take a long run for a bot."""
    ctx, pace = paced(ctx, sleep)
    try:
        for path in paths:
            if ctx.run.stopping.is_set():
                return
            yield refresh_note(ctx, path)
    except (KeyboardInterrupt, GeneratorExit):
        pace.halt()
        raise


def finished_notes(vault: Path) -> Iterator[Path]:
    """Every finished video note in the vault (what `refresh --all` refreshes)."""
    from ytvault.vault.index import describe
    from ytvault.vault.walk import iter_notes

    for path in iter_notes(vault):
        found = describe(path)
        if found is not None and found[1]:
            yield path


def _from_cache(ctx: Context, vid: str, url: str, text: str | None,
                template: str | None) -> dict[str, str]:
    """What ytvault wrote, rendered again from the previous fetch; {} when there is none."""
    info = ctx.cache.read_info(vid)
    if info is None or text is None:
        return {}
    lines = generated_lines(render_note(Video.from_info(info), url=url, body="",
                                        thumbnail=None, now=ctx.clock(), template=template))
    # the fill wrote `updated` equal to `created`: still equal means nobody changed it since
    lines.pop(UPDATED, None)
    for block in split_blocks(parse.split_note(text).frontmatter or ""):
        if block.key == "created":
            lines[UPDATED] = "updated" + own_lines(block.text)[1].removeprefix("created")
    return lines
