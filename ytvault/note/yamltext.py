"""YAML as text: read a note's frontmatter with YAML 1.2 semantics (as Obsidian does), write
scalars that every reader reads back exactly, and cut frontmatter into top-level key blocks so
the merge can keep the person's lines byte for byte instead of re-dumping them.
"""

from __future__ import annotations

import functools
import re

from ytvault.records import NamedTuple

TYPE_CHECKING = False  # no `typing` (nor `threading`) at run time: `status` reads stubs with this
if TYPE_CHECKING:
    import threading
    from typing import Any

# Values that some YAML reader would turn into something other than the same string:
# YAML 1.1 (PyYAML, many plugins) booleans y/n/yes/on/off, nulls, ints (incl. sexagesimal 47:41,
# octal, hex, binary), floats, timestamps; YAML 1.2 core schema is a subset of these.
# (The writer's patterns are compiled on first use, by re's own cache: reading a stub, as
# `status` does, writes nothing.)
_TYPED_WORD = (
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|=|<<)"
)
# Anything that starts like a number and holds only number/date characters is quoted, even
# when no reader would type it: a false positive costs two quote marks, a miss changes a value.
_NUMBERISH = (
    r"[-+.0-9][-+.:0-9_a-fA-FxXoObBtTzZ \t]*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_SAFE_CHAR = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]*"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}


def needs_quotes(text: str) -> bool:
    return (
        not text
        or text != text.strip()
        or not re.fullmatch(_PLAIN_SAFE_CHAR, text)
        or text[0] in _INDICATORS
        or ": " in text
        or " #" in text
        or text.endswith(":")
        or bool(re.fullmatch(_TYPED_WORD, text))
        or bool(re.fullmatch(_NUMBERISH, text))
    )


def quote(text: str) -> str:
    """A double-quoted YAML scalar, escaped so YAML 1.1 and 1.2 readers agree on it."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not re.fullmatch(_PLAIN_SAFE_CHAR, ch) or ch == "\x85":
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def scalar(text: str) -> str:
    """`text` as a YAML scalar: plain where that is unambiguous, double-quoted otherwise."""
    return quote(text) if needs_quotes(text) else text


class FrontmatterError(ValueError):
    """The frontmatter is not YAML, or not a mapping."""


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def lines_of(text: str) -> list[str]:
    """Lines with their endings, split at `\n` only: what Obsidian calls a line (str.splitlines
    would also split at \x1c, \x85, \u2028… and move the person's text around)."""
    return _LINE.findall(text)


@functools.cache
def _loaders() -> threading.local:
    import threading  # with ruamel.yaml, not before: a stub of plain lines is never parsed

    return threading.local()


def _yaml() -> Any:
    # ruamel's loader is not thread-safe: one per thread. `safe` builds plain dicts and lists;
    # version 1.2 is what Obsidian reads (`no` is a string, `47:41` is a string).
    loader = getattr(_loaders(), "yaml", None)
    if loader is None:
        from ruamel.yaml import YAML

        loader = YAML(typ="safe", pure=True)
        loader.version = (1, 2)
        _loaders().yaml = loader
    return loader


def load_mapping(text: str) -> dict[str, Any]:
    """Parse frontmatter text; an empty one is `{}`. Raises FrontmatterError otherwise."""
    if not text.strip():
        return {}
    try:
        data = _yaml().load(text)
    except Exception as exc:  # ruamel raises many unrelated types for bad input
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FrontmatterError(f"malformed YAML frontmatter ({first})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontmatterError("frontmatter is not a mapping of properties")
    return {str(k): v for k, v in data.items()}


class Block(NamedTuple):
    """One top-level property: its key, its value, and its exact lines (comments before it too)."""

    key: str | None  # None for trailing comments or blank lines after the last key
    value: Any
    text: str


_KEY_START = r"[^\s#\-]|-[^\s\-]"  # (compiled on first use: the merge's, not a scan's)


def split_blocks(text: str) -> list[Block]:
    """Cut frontmatter text into top-level blocks, each re-parsed on its own to check the cut.

    Raises FrontmatterError when the cut does not reproduce the whole mapping (an anchor used
    across keys, say): the merge then refuses to touch the note rather than guess.
    """
    lines = lines_of(text)
    chunks: list[list[str]] = []
    pending: list[str] = []
    for line in lines:
        starts_key = bool(re.match(_KEY_START, line)) and not line.startswith(("---", "..."))
        if starts_key:
            chunks.append([*pending, line])
            pending = []
        elif chunks and not _is_comment_or_blank(line):
            chunks[-1].extend([*pending, line])
            pending = []
        else:
            pending.append(line)
    blocks: list[Block] = []
    for chunk in chunks:
        chunk_text = "".join(chunk)
        data = load_mapping(chunk_text)
        if len(data) != 1:
            raise FrontmatterError("frontmatter layout too unusual to merge safely")
        ((key, value),) = data.items()
        blocks.append(Block(key, value, chunk_text))
    if pending:
        blocks.append(Block(None, None, "".join(pending)))
    whole = load_mapping(text)
    if [b.key for b in blocks if b.key is not None] != list(whole) or any(
        b.key is not None and whole[b.key] != b.value for b in blocks
    ):
        raise FrontmatterError("frontmatter layout too unusual to merge safely")
    return blocks


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def block_style(frontmatter: str, nl: str = "\n") -> str:
    """Frontmatter that is one flow mapping (JSON, `{"tags": "journal"}`, which Obsidian reads
    and saves as YAML) written in block style, one property a line, so the merge can cut it;
    any other frontmatter as it is. Where the block style would lose something (it would not
    read back the same, or the flow held comments), the original follows it as comment lines.

    Raises FrontmatterError when the flow mapping is not valid YAML."""
    if not frontmatter.lstrip().startswith("{"):
        return frontmatter
    data = load_mapping(frontmatter)
    out = "".join(_emit(key, value, 0) for key, value in data.items())
    try:
        kept = not _may_comment(frontmatter) and _same(load_mapping(out), data)
    except FrontmatterError:
        kept = False
    if not kept:
        out += "# ytvault wrote the properties above from these, as they were:\n"
        # each line of theirs a comment line: YAML ends a line at a lone \r too
        out += "".join(f"# {line}".rstrip() + "\n"
                       for line in re.split(r"\r\n|\r|\n", frontmatter.strip("\r\n")))
    return out if nl == "\n" else out.replace("\n", nl)


def _may_comment(flow: str) -> bool:
    """Whether a flow mapping may hold a YAML comment (JSON has none; a YAML flow's `#` may be
    one, and would be lost)."""
    if "#" not in flow:
        return False
    import json  # only here: JSON properties are rare

    try:
        json.loads(flow)
    except ValueError:
        return True
    return False


def _emit(key: object, value: object, indent: int) -> str:
    head = f"{' ' * indent}{scalar(str(key))}:"
    if isinstance(value, dict) and value:
        return head + "\n" + "".join(_emit(k, v, indent + 2) for k, v in value.items())
    if isinstance(value, list) and value:
        return head + "\n" + "".join(_item(v, indent + 2) for v in value)
    return head + (" " + _flat(value) if value is not None else "") + "\n"


def _item(value: object, indent: int) -> str:
    if isinstance(value, dict) and value:
        inner = "".join(_emit(k, v, indent + 2) for k, v in value.items())
    elif isinstance(value, list) and value:
        inner = "".join(_item(v, indent + 2) for v in value)
    else:
        return f"{' ' * indent}- {_flat(value)}\n"
    return f"{' ' * indent}- {inner[indent + 2:]}"  # the first line goes after the dash


def _flat(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str):
        return scalar(value)
    isoformat = getattr(value, "isoformat", None)  # a date, read from a YAML flow mapping
    return str(isoformat()) if callable(isoformat) else scalar(str(value))


def _same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (1, 1.0 and True are not the same)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN reads back as NaN
