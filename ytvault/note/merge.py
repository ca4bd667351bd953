"""Merge a rendered note into the note as it is now.

The merge functions are pure: they take the current text (re-read just before the write) and
return the new text, or None when the note no longer allows the change (the person removed the
URL, say). Every line the person wrote stays; their property values win, lists are merged.
"""

from __future__ import annotations

import re

from ytvault.errors import NoteSkipped
from ytvault.note.ids import video_id
from ytvault.note.parse import (
    ANALYSIS_FAILED,
    ANALYSIS_PENDING,
    CANNOT_FILL,
    WAITING,
    Kind,
    Parts,
    Stub,
    callout_span,
    find_url_line,
    link_text,
    split_note,
    with_newline,
)
from ytvault.note.yamltext import (
    Block,
    FrontmatterError,
    block_style,
    lines_of,
    load_mapping,
    scalar,
    split_blocks,
)

_ITEM = re.compile(r"^([ \t]*)- ")
_FLOW_LIST = re.compile(r"^([^\n]*\[)([^\n\]]*)(\][ \t]*(?:#[^\n]*)?\r?\n?)$")


def merge_note(current: str, rendered: str, stub: Stub) -> str | None:
    """The current note with the stub's URL line replaced by the rendered note.

    Raises NoteSkipped when the person's frontmatter cannot be cut into properties (see
    `check_mergeable`, which the pipeline asks before any fetch)."""
    cur = split_note(current)
    nl = cur.newline
    new = split_note(with_newline(rendered, nl))
    body = cur.body
    if stub.kind in (Kind.WAITING, Kind.FAILED):
        span = callout_span(body, (WAITING, CANNOT_FILL))
        if span is not None:  # (at the very start when the URL is a property)
            head = body[: span[0]].rstrip("\r\n")
            body = (head + nl if head else "") + body[span[1]:]
    url_line = find_url_line(body, stub.video_id)
    if url_line is not None:
        start, end = url_line
        # `[a talk](url)`: the person's words stay, as the note's first line (docs/obsidian.md)
        words = link_text(body[start:end])
        new_body = body[:start] + (words + nl if words else "") + new.body + body[end:]
    elif not body.strip() and _same_video(cur, stub):
        new_body = new.body + body
    else:
        return None
    try:
        frontmatter = merge_frontmatter(cur.frontmatter, new.frontmatter or "", nl)
    except FrontmatterError:
        raise NoteSkipped(UNMERGEABLE) from None
    return Parts(cur.bom, frontmatter, cur.opening or "---" + nl, cur.closing or "---" + nl,
                 new_body).text


def check_mergeable(frontmatter: str) -> None:
    """Raise NoteSkipped when `frontmatter`, valid YAML, is still too unusual for the merge to
    keep byte for byte (an anchor used by another key, a flow mapping): asked before anything
    is fetched or paid for, since the merge would refuse the note after the work."""
    if frontmatter.strip():
        try:
            frontmatter = block_style(frontmatter)
            split_blocks(frontmatter if frontmatter.endswith(("\n", "\r")) else frontmatter + "\n")
        except FrontmatterError:
            raise NoteSkipped(UNMERGEABLE) from None


# (the cut's own error may speak of an undefined alias: the whole, though, is valid YAML)
UNMERGEABLE = ("frontmatter layout too unusual to merge safely: write each property on a line "
               "of its own, without YAML anchors (`&`, `*`), to have it filled")


def merge_analysis(current: str, block: str) -> str | None:
    """Replace ytvault's `analysis pending`/`analysis failed` callout with the analysis block."""
    cur = split_note(current)
    span = callout_span(cur.body, (ANALYSIS_PENDING, ANALYSIS_FAILED))
    if span is None:
        return None
    body = cur.body[: span[0]] + with_newline(block, cur.newline) + cur.body[span[1]:]
    return Parts(cur.bom, cur.frontmatter, cur.opening, cur.closing, body).text


def attach_callout(current: str, stub: Stub, callout: str) -> str | None:
    """Put (or replace) ytvault's callout right after the stub's URL line, or at the start of
    an otherwise empty body when the URL is the `youtube_url` property; nothing else."""
    cur = split_note(current)
    nl = cur.newline
    body = cur.body
    span = callout_span(body, (WAITING, CANNOT_FILL))
    if span is not None:
        body = body[: span[0]] + body[span[1]:]
    callout = with_newline(callout, nl)
    url_line = find_url_line(body, stub.video_id)
    if url_line is not None:
        start, end = url_line
        line = body[start:end].rstrip("\r\n") + nl
        rest = body[end:].lstrip("\r\n")
        body = body[:start] + line + nl + callout + rest
    elif not body.strip() and _same_video(cur, stub):
        body = callout + body
    else:
        return None
    return Parts(cur.bom, cur.frontmatter, cur.opening, cur.closing, body).text


def merge_frontmatter(person: str | None, generated: str, nl: str = "\n") -> str:
    """Generated properties in template order, each replaced by the person's where they set
    one (lists merged), then the person's other properties in their own order. Properties
    written as JSON are written as YAML first, as Obsidian saves them (`block_style`)."""
    if person is None or not person.strip():
        return generated
    person = block_style(person, nl)
    if not person.endswith(("\n", "\r")):
        person += nl
    mine = split_blocks(person)
    theirs = {b.key: b for b in mine if b.key is not None}
    out: list[str] = []
    for gen in split_blocks(generated):
        own = theirs.pop(gen.key, None) if gen.key is not None else None
        if own is None:
            out.append(gen.text)
        elif _is_empty(own.value):
            out.append(_leading_comments(own.text) + gen.text)
        else:
            out.append(_merge_lists(own, gen, nl))
    out += [b.text for b in mine if b.key is None or b.key in theirs]
    return "".join(out)


def _merge_lists(own: Block, gen: Block, nl: str) -> str:
    if gen.key == "tags" and isinstance(own.value, str) and isinstance(gen.value, list):
        return _text_tags(own, gen.value, nl)
    if not (isinstance(own.value, list) and isinstance(gen.value, list)):
        return own.text
    missing = [item for item in gen.value if item not in own.value]
    if not missing:
        return own.text
    lines = lines_of(own.text)
    items = [i for i, line in enumerate(lines) if _ITEM.match(line)]
    if items:
        indent = _ITEM.match(lines[items[0]]).group(1)  # type: ignore[union-attr]
        last = items[-1]
        # an item may span lines (a long quoted string): insert after its continuation
        while last + 1 < len(lines) and lines[last + 1][: len(indent) + 1].isspace():
            last += 1
        added = "".join(f"{indent}- {scalar(str(item))}{nl}" for item in missing)
        return "".join(lines[: last + 1]) + added + "".join(lines[last + 1:])
    match = _FLOW_LIST.match(own.text.lstrip("\r\n")) if len(lines) == 1 else None
    if match:
        head, inner, tail = match.groups()
        joined = ", ".join(scalar(str(item)) for item in missing)
        return f"{head}{inner.rstrip()}{', ' if inner.strip() else ''}{joined}{tail}"
    return own.text


# How Obsidian reads a text `tags` value: one tag, or several between commas and spaces
# (`tags: book, business`, `tags: a b`).
_TAG_SEPARATORS = re.compile(r"[,\s]+")


def _text_tags(own: Block, generated: list[object], nl: str) -> str:
    """A text `tags` value as the list Obsidian reads it, with the generated tags it lacks;
    its comments are kept (one after the value moves after `tags:`)."""
    tags = [t for t in _TAG_SEPARATORS.split(own.value) if t]
    missing = [str(t) for t in generated if t not in tags]
    if not missing:
        return own.text
    lead = _leading_comments(own.text)
    lines = lines_of(own.text[len(lead):])
    key, _, value = lines[0].rstrip("\r\n").partition(":")
    comment = _trailing_comment(value, own.value) if len(lines) == 1 else ""
    later = [ln.rstrip("\r\n") for ln in lines[1:] if ln.lstrip().startswith("#")]
    items = "".join(f"  - {scalar(t)}{nl}" for t in [*tags, *missing])
    return f"{lead}{key}:{comment}{nl}{items}" + "".join(ln + nl for ln in later)


def _trailing_comment(value: str, parsed: object) -> str:
    """The `  # comment` after a one-line value, with the space before it ("" when none)."""
    for at in (i for i, ch in enumerate(value) if ch == "#" and value[i - 1:i].isspace()):
        try:
            if load_mapping("k:" + value[:at]).get("k") == parsed:
                return value[len(value[:at].rstrip()):]
        except FrontmatterError:
            continue
    return ""


def _leading_comments(text: str) -> str:
    lines = lines_of(text)
    keep = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            break
        keep.append(line)
    return "".join(keep)


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _same_video(cur: Parts, stub: Stub) -> bool:
    try:
        url = load_mapping(cur.frontmatter or "").get("youtube_url")
    except FrontmatterError:
        return False
    return isinstance(url, str) and video_id(url) == stub.video_id



def keep_both(first: str, second: str) -> str:
    """Every line of both texts, in order, once where they agree: what a write caught between
    two saves of the person leaves (docs/safety.md), so that neither save loses a line. Lines
    are the person's own (split at `\n` only, endings kept); a last line without its ending
    gets one only where another line follows it."""
    import difflib  # here: only that rare race needs it

    a, b = lines_of(first), lines_of(second)
    pieces: list[str] = []
    matcher = difflib.SequenceMatcher(None, [_bare(x) for x in a], [_bare(x) for x in b],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pieces.extend(a[i1:i2])
        if tag != "equal":
            pieces.extend(b[j1:j2])
    nl = "\r\n" if "\r\n" in first + second else "\n"
    return "".join(piece if piece.endswith("\n") or i == len(pieces) - 1 else piece + nl
                   for i, piece in enumerate(pieces))


def _bare(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")
