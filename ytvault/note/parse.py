"""Read a note and decide what ytvault may do with it: the first step of the pipeline.

A note is split byte-exactly into BOM, frontmatter and body (joining the parts gives the text
back), then classified: a fresh stub, a note waiting for its analysis or for a premiere, a note
whose earlier failure the person may want retried, or nothing to do with ytvault.
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path

from ytvault.errors import NoteSkipped
from ytvault.note.ids import pasted, video_id
from ytvault.note.yamltext import FrontmatterError, lines_of, load_mapping
from ytvault.records import NamedTuple

TYPE_CHECKING = False  # no `typing` at run time: `status` reads stubs with this
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# A stub is a URL and a few properties; a note waiting for its analysis is a generated note.
# Anything larger is passed over unread beyond this many bytes.
MAX_NOTE_BYTES = 512 * 1024

# ytvault's own callouts: `> [!kind] ytvault: <state>` followed by more `>` lines. (Compiled
# when first used: only a note holding "] ytvault: " is looked at with it.)
CALLOUT = r"^> \[!(\w+)\] ytvault: (.*)$"
ANALYSIS_PENDING = "analysis pending"
ANALYSIS_FAILED = "analysis failed"
WAITING = "waiting for the premiere"
CANNOT_FILL = "cannot fill this note"

_BODY_URL = re.compile(
    r"""(?:
        <(?P<angle>[^<>\s]+)>                                  # <url>
      | !?\[[^\[\]\n]*\]\((?P<link><?[^()\s<>]+>?)\)           # [text](url) and ![](url)
      | (?P<bare>\S+)                                          # url
    )""",
    re.X,
)


class Kind(Enum):
    STUB = "stub"  # fill everything
    ANALYSIS = "analysis"  # a finished note whose analysis is pending or failed
    WAITING = "waiting"  # a stub whose video is an upcoming premiere
    FAILED = "failed"  # a stub that could not be filled; retried only when asked


class Parts(NamedTuple):
    bom: str
    frontmatter: str | None  # the text between the fences, None when there is no frontmatter
    opening: str  # "---\n" as written (or "")
    closing: str  # "---\n" as written (or "")
    body: str

    @property
    def text(self) -> str:
        return self.bom + self.opening + (self.frontmatter or "") + self.closing + self.body

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in (self.opening or self.body) else "\n"


class Stub:
    """A note ytvault has work on: what kind, which video, the URL as pasted. A plain class,
    not a dataclass: `status` and the scan make these, and dataclasses import `inspect`."""

    __slots__ = ("_properties", "analysis_failed", "frontmatter", "kind", "url", "video_id")

    def __init__(self, kind: Kind, video_id: str, url: str, frontmatter: str = "",
                 analysis_failed: bool = False) -> None:
        self.kind = kind
        self.video_id = video_id
        self.url = url  # the URL as the person pasted it
        self.frontmatter = frontmatter  # parsed into `properties` when first asked for
        self.analysis_failed = analysis_failed  # ANALYSIS: the analysis failed, not pending
        self._properties: dict[str, Any] | None = None

    @property
    def properties(self) -> dict[str, Any]:
        """The note's properties; NoteSkipped when its frontmatter is malformed. Parsed on
        demand: `status`, which only counts stubs, never loads the YAML parser."""
        if self._properties is None:
            try:
                self._properties = load_mapping(self.frontmatter)
            except FrontmatterError as exc:
                raise NoteSkipped(str(exc)) from None
        return self._properties

    def _key(self) -> tuple[Kind, str, str, str, bool]:
        return self.kind, self.video_id, self.url, self.frontmatter, self.analysis_failed

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, Stub) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Stub(kind={self.kind!r}, video_id={self.video_id!r}, url={self.url!r}, "
                f"analysis_failed={self.analysis_failed!r})")


def split_note(text: str) -> Parts:
    """Split `text` into its parts; raises NoteSkipped for frontmatter that never closes."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rest = text[len(bom):]
    first_end = rest.find("\n") + 1 or len(rest)
    if rest[:first_end].rstrip("\r\n") != "---":
        return Parts(bom, None, "", "", rest)
    start = first_end
    while start < len(rest):  # line by line to the closing fence, without splitting the body
        end = rest.find("\n", start) + 1 or len(rest)
        line = rest[start:end].rstrip("\r\n")
        if line.startswith("---") and not line[3:].strip(" \t"):  # `---`, maybe spaces after
            return Parts(bom, rest[first_end:start], rest[:first_end], rest[start:end],
                         rest[end:])
        start = end
    raise NoteSkipped("frontmatter is never closed with a `---` line")


# Most notes are smaller than this: one read() answers for them without a stat first.
_FIRST_READ = 64 * 1024


def read_text(path: Path | str, opener: Callable[[Path | str, int], int] = os.open
              ) -> str | None:
    """The note's text, or None when it is too large, binary or not UTF-8 (never a stub).

    This runs on every note of every scan, so it is plain system calls: no buffered file
    object, and no decoding unless the bytes mention YouTube at all. `opener`: os.open, or
    one that reaches a path deeper than PATH_MAX.
    """
    fd = opener(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, _FIRST_READ)
        if len(data) == _FIRST_READ:
            if os.fstat(fd).st_size > MAX_NOTE_BYTES:
                return None
            data += _read_rest(fd)
    finally:
        os.close(fd)
    # (lowered: phone keyboards write `YouTu.be`; a copy costs less than a case-blind search)
    if b"youtu" not in data.lower() or len(data) > MAX_NOTE_BYTES or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_rest(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1024 * 1024):
        chunks.append(chunk)
    return b"".join(chunks)


def classify(text: str) -> Stub | None:
    """What ytvault should do with a note's text, or None: not ours, pass it over quietly.

    Notes found not ours are remembered by the scan (seen.py) until they change: a change that
    makes more notes stubs must come with a new version or a bump of `seen.FORMAT`.

    Raises NoteSkipped when the note looks like a stub but cannot be handled safely.
    """
    try:
        parts = split_note(text)
    except NoteSkipped:
        # A `---` rule atop a page of prose is no stub: say so only of what ends as one would.
        if _line_url(text.rstrip().rsplit("\n", 1)[-1]) is None:
            return None
        raise
    body_url = _body_url(parts.body)
    if body_url is None:
        _refuse_other_link(parts.body)
    # most notes that mention YouTube are prose or finished notes: cheap tests first
    state = callout_state(parts.body) if "] ytvault: " in parts.body else None
    fm_url_possible = parts.frontmatter is not None and "youtube_url" in parts.frontmatter
    if body_url is None and state is None and not (fm_url_possible and not parts.body.strip()):
        return None
    frontmatter = parts.frontmatter or ""
    if body_url is not None:  # a stub whatever its properties say (checked by pipeline.judge)
        return _stub(Kind.STUB, body_url, frontmatter)
    try:
        props = load_mapping(frontmatter)
    except FrontmatterError as exc:
        if not parts.body.strip():
            raise NoteSkipped(str(exc)) from None
        return None
    fm_url = props.get("youtube_url")
    if not parts.body.strip():
        if isinstance(fm_url, str) and not _is_finished(props):
            _refuse_other_link(fm_url)
            return _stub(Kind.STUB, fm_url, frontmatter)
        return None
    if state is None:
        return None
    if state in (ANALYSIS_PENDING, ANALYSIS_FAILED):
        if not isinstance(fm_url, str):
            return None
        return _stub(Kind.ANALYSIS, fm_url, frontmatter, state == ANALYSIS_FAILED)
    span = callout_span(parts.body, (WAITING, CANNOT_FILL))
    if span is None or parts.body[span[1]:].strip():
        return None
    before = parts.body[: span[0]]
    if before.strip():
        url = _body_url(before)
    else:  # the callout stands alone: the URL is the `youtube_url` property (merge.attach_callout)
        url = fm_url if isinstance(fm_url, str) and not _is_finished(props) else None
    if url is None:
        return None
    return _stub(Kind.WAITING if state == WAITING else Kind.FAILED, url, frontmatter)


def callout_state(text: str) -> str | None:
    """The state named by the first ytvault callout in `text` (`analysis pending`…), if any."""
    for line in lines_of(text):
        match = re.match(CALLOUT, line.rstrip("\r\n"))
        if match:
            return match.group(2).strip()
    return None


def find_url_line(body: str, vid: str) -> tuple[int, int] | None:
    """Character span of the first body line that is only a URL of video `vid`."""
    offset = 0
    for line in lines_of(body):
        url = _line_url(line)
        if url is not None and video_id(url) == vid:
            return offset, offset + len(line)
        offset += len(line)
    return None


def callout_span(body: str, states: tuple[str, ...]) -> tuple[int, int] | None:
    """Character span of ytvault's callout in one of `states`, with the blank line after it."""
    offset = 0
    lines = lines_of(body)
    for i, line in enumerate(lines):
        match = re.match(CALLOUT, line.rstrip("\r\n"))
        if match and match.group(2).strip() in states:
            end = offset + len(line)
            for following in lines[i + 1:]:
                if not following.startswith(">") and following.strip():
                    break
                end += len(following)
                if not following.strip():
                    break
            return offset, end
        offset += len(line)
    return None


def _stub(kind: Kind, url: str, frontmatter: str, analysis_failed: bool = False) -> Stub | None:
    vid = video_id(url.strip())
    return None if vid is None else Stub(kind, vid, url.strip(), frontmatter, analysis_failed)


def _is_finished(props: dict[str, Any]) -> bool:
    return props.get("template-type") == "YouTube" and bool(props.get("channel_name"))


def _line_url(line: str) -> str | None:
    url = _line_link(line)
    return url if url is not None and video_id(url) is not None else None


def _line_link(line: str) -> str | None:
    """The address when the line is only one link, in any of the pasted forms."""
    match = _BODY_URL.fullmatch(line.strip())
    if not match:
        return None
    url = match.group("angle") or match.group("link") or match.group("bare") or ""
    return url.removeprefix("<").removesuffix(">")


def link_text(line: str) -> str:
    """The words of a `[text](url)` or `![text](url)` line, as written; "" for other forms,
    and for a text that only repeats the address."""
    match = _BODY_URL.fullmatch(line.strip())
    if not match or match.group("link") is None:
        return ""
    text = line.strip()
    text = text[text.index("[") + 1 : text.rindex("](")].strip()
    address = match.group("link").removeprefix("<").removesuffix(">")
    return "" if text in (address, f"<{address}>") else text


def _refuse_other_link(body: str) -> None:
    """Raise NoteSkipped when `body` is one YouTube address that names no video: a playlist,
    or a video's address whose id is not one (cut short when copied). Such a note is not a
    stub and is never written to, but the person pasted it for ytvault: say what to do."""
    line = body.strip()
    url = _line_link(line) if line and "\n" not in line else None
    found = pasted(url) if url else None
    if found is None:
        return
    kind, value = found
    if kind == "playlist":
        import shlex  # only here: the scan of every note never needs it

        raise NoteSkipped(f"a playlist, not a video: `ytvault new {shlex.quote(url or '')}` "
                          "makes a note for each of its videos (this note is left as it is)")
    if kind == "bad id":
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise NoteSkipped(f"`{shown}` is not a YouTube video id (11 letters, digits, `-` or "
                          "`_`): copy the video's address again and paste it over this one")


def _body_url(body: str) -> str | None:
    """The URL when the body is only one YouTube video URL, in any of the pasted forms."""
    line = body.strip()
    return _line_url(line) if line and "\n" not in line else None


def to_lf(text: str) -> str:
    """`text` with every line ending `\n`."""
    return text.replace("\r\n", "\n")


def with_newline(text: str, nl: str) -> str:
    """`text` (ending its lines `\n` or `\r\n`) with every line ending `nl`."""
    return text if nl == "\n" else to_lf(text).replace("\n", nl)
