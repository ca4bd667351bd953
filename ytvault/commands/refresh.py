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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ytvault.errors import FetchError, NoteSkipped
from ytvault.models import Video
from ytvault.note import parse
from ytvault.note.ids import video_id
from ytvault.note.render import render_note
from ytvault.note.yamltext import FrontmatterError, lines_of, load_mapping, split_blocks
from ytvault.youtube.pace import FetchPace

if TYPE_CHECKING:
    from ytvault.pipeline.run import Context

REFRESHED = ("title", "channel_name", "subscribers", "length", "chapters", "hashtags")
UPDATED = "updated"
PLAYER = "@player"  # the iframe line at the end of the body


@dataclass(frozen=True)
class Change:
    text: str  # the note after the change (the same text when nothing changed)
    changed: tuple[str, ...]  # properties updated (and "player")
    kept: tuple[str, ...]  # properties YouTube changed but the person had edited: left alone
    lines: dict[str, str]  # what ytvault wrote last for each, after this change


@dataclass(frozen=True)
class Refreshed:
    note: Path
    status: str  # refreshed | unchanged | skipped | failed
    detail: str = ""
    video_id: str = ""


def generated_lines(rendered: str) -> dict[str, str]:
    """The lines of each refreshable property (and `updated`) in a note as ytvault rendered
    it, and its player line: what `refresh` compares a note with later."""
    parts = parse.split_note(rendered)
    out = {}
    for block in split_blocks(parts.frontmatter or ""):
        if block.key in (*REFRESHED, UPDATED):
            out[block.key] = _own(block.text)[1]
    player = next((ln for ln in lines_of(parts.body) if _is_player(ln)), None)
    if player is not None:
        out[PLAYER] = _norm(player)
    return out


def refresh_text(current: str, previous: Mapping[str, str], fresh: Mapping[str, str],
                 updated: str | None) -> Change:
    """`current` with each refreshable property whose lines are still `previous` (what ytvault
    wrote) replaced by `fresh`; `updated` (its new lines) only if something changed and it is
    still ytvault's. Raises FrontmatterError for a layout that cannot be cut safely."""
    parts = parse.split_note(current)
    nl = parts.newline
    blocks = split_blocks(parts.frontmatter or "")
    lines = dict(previous)
    changed: list[str] = []
    kept: list[str] = []
    texts = [b.text for b in blocks]
    for i, block in enumerate(blocks):
        if block.key not in REFRESHED or block.key not in fresh:
            continue
        lead, own = _own(block.text)
        if own == fresh[block.key]:
            lines[block.key] = own  # up to date, whoever wrote it
        elif own == previous.get(block.key):
            texts[i] = lead + _with_nl(fresh[block.key], nl)
            lines[block.key] = fresh[block.key]
            changed.append(block.key)
        else:
            kept.append(block.key)
    body = parts.body
    old_player, new_player = previous.get(PLAYER), fresh.get(PLAYER)
    if old_player and new_player and old_player != new_player:
        at = _find_line(body, old_player)
        if at is None:
            kept.append("player")
        else:
            start, end = at
            ending = body[start:end][len(body[start:end].rstrip("\r\n")):]
            body = body[:start] + new_player.rstrip("\n") + ending + body[end:]
            lines[PLAYER] = new_player
            changed.append("player")
    if changed and updated is not None:
        for i, block in enumerate(blocks):
            lead, own = _own(block.text)
            if block.key == UPDATED and own == previous.get(UPDATED):
                texts[i] = lead + _with_nl(updated, nl)
                lines[UPDATED] = updated
    if not changed:
        return Change(current, (), tuple(kept), lines)
    frontmatter = "".join(texts)
    load_mapping(frontmatter)  # what we write must still read as a mapping
    text = parse.Parts(parts.bom, frontmatter, parts.opening, parts.closing, body).text
    return Change(text, tuple(changed), tuple(kept), lines)


def refresh_note(ctx: Context, path: Path) -> Refreshed:
    """Refresh one finished note from a new fetch of its video's metadata."""
    from ytvault.pipeline.run import note_template, write_note

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
        if ctx.fetch_pace is not None and not ctx.fetch_pace.wait(vid):
            return Refreshed(path, "skipped", "ytvault is stopping: the note was left as it "
                             "was", vid)
        info = ctx.youtube.fetch_info(vid)
        fresh = generated_lines(render_note(Video.from_info(info), url=url, body="",
                                            thumbnail=None, now=ctx.clock(), template=template))
    except FetchError as exc:
        return Refreshed(path, "failed", str(exc), vid)
    except FrontmatterError as exc:
        return Refreshed(path, "skipped", str(exc), vid)
    updated = fresh.pop(UPDATED, None)
    done: list[Change] = []

    def merge(current: str, _: str | None) -> str:
        change = refresh_text(current, previous, fresh, updated)
        done[:] = [change]
        return change.text

    try:
        if ctx.dry_run:
            merge(text, None)
        else:
            write_note(ctx, path, merge)
    except FrontmatterError as exc:
        return Refreshed(path, "skipped", str(exc), vid)
    except NoteSkipped as exc:
        return Refreshed(path, "skipped", str(exc), vid)
    change = done[0]
    if not ctx.dry_run:
        if info.get("live_status") not in ("is_upcoming", "is_live"):
            ctx.cache.write_info(vid, info)  # the next refresh compares with this fetch
        ctx.ledger.remember_generated(ctx.vault, rel, vid, change.lines)
    kept = f"kept your {', '.join(change.kept)}" if change.kept else ""
    if not change.changed:
        return Refreshed(path, "unchanged", kept or "up to date", vid)
    said = ", ".join(change.changed)
    detail = ("dry run: would update " if ctx.dry_run else "updated ") + said
    return Refreshed(path, "refreshed", "; ".join(filter(None, [detail, kept])), vid)


def refresh(ctx: Context, paths: Iterable[Path], *,
            sleep: Callable[[float], object] | None = None) -> Iterator[Refreshed]:
    """Refresh `paths` one at a time, each video's fetch paced (`ctx.fetch_pace`, made for the
    run if there is none; `sleep` is its wait) so YouTube does not take a long run for a bot."""
    own_pace = ctx.fetch_pace is None
    pace = ctx.fetch_pace = ctx.fetch_pace or FetchPace(ctx.config.fetch_pause_seconds,
                                                        sleep=sleep)
    try:
        for path in paths:
            if ctx.stopping.is_set():
                return
            yield refresh_note(ctx, path)
    except (KeyboardInterrupt, GeneratorExit):
        pace.halt()
        raise
    finally:
        if own_pace:
            ctx.fetch_pace = None


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
            lines[UPDATED] = "updated" + _own(block.text)[1].removeprefix("created")
    return lines


def _own(text: str) -> tuple[str, str]:
    """A block's leading comment and blank lines, and its own lines (with `\\n` endings)."""
    lines = lines_of(text)
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    return "".join(lines[:i]), _norm("".join(lines[i:]))


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n")


def _with_nl(text: str, nl: str) -> str:
    return text if nl == "\n" else text.replace("\n", nl)


def _is_player(line: str) -> bool:
    return line.startswith("<iframe ") and "youtube.com/embed/" in line


def _find_line(body: str, wanted: str) -> tuple[int, int] | None:
    offset = 0
    for line in lines_of(body):
        if _norm(line).rstrip("\n") == wanted.rstrip("\n"):
            return offset, offset + len(line)
        offset += len(line)
    return None
