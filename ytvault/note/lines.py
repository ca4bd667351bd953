"""The lines of a note that `refresh` may bring up to date: the refreshable properties,
`updated` and the player, as ytvault rendered them (`generated_lines`, kept in the ledger at
fill time), and a note with those of them that are still ytvault's replaced (`refresh_text`).
Pure: the note's other lines move byte for byte (`yamltext.split_blocks`); the person's YAML is
never dumped again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ytvault.note import parse
from ytvault.note.parse import to_lf, with_newline
from ytvault.note.yamltext import lines_of, load_mapping, split_blocks

REFRESHED = ("title", "channel_name", "subscribers", "length", "chapters", "hashtags")
UPDATED = "updated"
PLAYER_KEY = "@player"  # the iframe line at the end of the body


@dataclass(frozen=True)
class Change:
    text: str  # the note after the change (the same text when nothing changed)
    changed: tuple[str, ...]  # properties updated (and "player")
    kept: tuple[str, ...]  # properties YouTube changed but the person had edited: left alone
    lines: dict[str, str]  # what ytvault wrote last for each, after this change


def generated_lines(rendered: str) -> dict[str, str]:
    """The lines of each refreshable property (and `updated`) in a note as ytvault rendered
    it, and its player line: what `refresh` compares a note with later."""
    parts = parse.split_note(rendered)
    out = {}
    for block in split_blocks(parts.frontmatter or ""):
        if block.key in (*REFRESHED, UPDATED):
            out[block.key] = own_lines(block.text)[1]
    player = next((ln for ln in lines_of(parts.body) if _is_player(ln)), None)
    if player is not None:
        out[PLAYER_KEY] = to_lf(player)
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
        lead, own = own_lines(block.text)
        if own == fresh[block.key]:
            lines[block.key] = own  # up to date, whoever wrote it
        elif own == previous.get(block.key):
            texts[i] = lead + with_newline(fresh[block.key], nl)
            lines[block.key] = fresh[block.key]
            changed.append(block.key)
        else:
            kept.append(block.key)
    body = parts.body
    old_player, new_player = previous.get(PLAYER_KEY), fresh.get(PLAYER_KEY)
    if old_player and new_player and old_player != new_player:
        at = _find_line(body, old_player)
        if at is None:
            kept.append("player")
        else:
            start, end = at
            ending = body[start:end][len(body[start:end].rstrip("\r\n")):]
            body = body[:start] + new_player.rstrip("\n") + ending + body[end:]
            lines[PLAYER_KEY] = new_player
            changed.append("player")
    if changed and updated is not None:
        for i, block in enumerate(blocks):
            lead, own = own_lines(block.text)
            if block.key == UPDATED and own == previous.get(UPDATED):
                texts[i] = lead + with_newline(updated, nl)
                lines[UPDATED] = updated
    if not changed:
        return Change(current, (), tuple(kept), lines)
    frontmatter = "".join(texts)
    load_mapping(frontmatter)  # what we write must still read as a mapping
    text = parse.Parts(parts.bom, frontmatter, parts.opening, parts.closing, body).text
    return Change(text, tuple(changed), tuple(kept), lines)


def move_updated(text: str, previous: str | None, updated: str) -> tuple[str, bool]:
    """`text` with its `updated` property's lines replaced by `updated` if they are still what
    ytvault wrote: `previous` (as recorded), or, without a record, `created`'s value (the fill
    writes both the same). Returns the text and whether it moved. Raises FrontmatterError for a
    layout that cannot be cut safely."""
    parts = parse.split_note(text)
    blocks = split_blocks(parts.frontmatter or "")
    if previous is None:
        created = next((b for b in blocks if b.key == "created"), None)
        if created is None:
            return text, False
        previous = UPDATED + own_lines(created.text)[1].removeprefix("created")
    texts = [b.text for b in blocks]
    for i, block in enumerate(blocks):
        lead, own = own_lines(block.text)
        if block.key == UPDATED and own == previous and own != to_lf(updated):
            texts[i] = lead + with_newline(updated, parts.newline)
            frontmatter = "".join(texts)
            load_mapping(frontmatter)  # what we write must still read as a mapping
            return parse.Parts(parts.bom, frontmatter, parts.opening, parts.closing,
                               parts.body).text, True
    return text, False


def own_lines(text: str) -> tuple[str, str]:
    """A block's leading comment and blank lines, and its own lines (with `\\n` endings)."""
    lines = lines_of(text)
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    return "".join(lines[:i]), to_lf("".join(lines[i:]))




def _is_player(line: str) -> bool:
    return line.startswith("<iframe ") and "youtube.com/embed/" in line


def _find_line(body: str, wanted: str) -> tuple[int, int] | None:
    offset = 0
    for line in lines_of(body):
        if to_lf(line).rstrip("\n") == wanted.rstrip("\n"):
            return offset, offset + len(line)
        offset += len(line)
    return None
