"""What ytvault prints or logs, made safe for a terminal and a log file: never the API key (a
gateway may echo it back in an error), no control characters, escape sequences or bidi
overrides (a note's name or a video's title may carry them, and a terminal would act on them),
and nothing endless (a 1 MB title is cut). Every line the commands print, and every log record
(logs.py), passes through here.
"""

from __future__ import annotations

import json
import os
import re

MASK = "[API key]"
LINE_LIMIT = 1000  # characters of one printed line
VALUE_LIMIT = 300  # characters of one value in a line: a note's name, a title

_secrets: set[str] = set()
# The patterns are compiled on first use (re's own cache), not by every start: a line of plain
# ASCII naming no credential, as most are, needs none of them.
# Anthropic keys, whoever's they are, and what a gateway echoes of a request's credentials.
_KEY_LIKE = r"sk-ant-[\w-]{8,}"
_CREDENTIAL = (r"((?i:\b(?:authorization|x-api-key|api[_-]?key))['\"]?\s*[:=]\s*['\"]?"
               r"(?i:bearer\s+)?|\bBearer\s+)(?!\[API key\])[^\s'\",;}]+")
# ANSI/VT sequences whole (CSI, OSC, and two-character escapes), then any control left.
_ESCAPE = (r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
           r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)?")
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+"
# Bidirectional controls make a line display as something else than it holds.
_BIDI = r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
_JSON_UNSAFE = r"[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"


def add_secrets(*secrets: str | None) -> None:
    """Remember values never to print (the API key, under whatever variable holds it)."""
    _secrets.update(s for s in secrets if s and len(s) >= 8)


def scrub(text: str) -> str:
    """`text` without the API key or anything that looks like a credential."""
    env = os.environ.get("ANTHROPIC_API_KEY", "")
    for secret in sorted({*_secrets, *([env] if len(env) >= 8 else [])}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    if "sk-ant-" in text:
        text = re.sub(_KEY_LIKE, MASK, text)
    lowered = text.lower()  # in ASCII, what every credential _CREDENTIAL finds holds
    if not text.isascii() or "authorization" in lowered or "key" in lowered or "Bearer" in text:
        text = re.sub(_CREDENTIAL, lambda m: m.group(1) + MASK, text)
    return text


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str, limit: int = LINE_LIMIT) -> str:
    """`text` as one safe line: scrubbed, control characters and escape sequences as spaces,
    bidi controls dropped, cut at `limit` characters.

    A line is scrubbed before its bidi controls are dropped (one may stand where a word
    boundary marks a credential: `x\u2066Authorization: …`) and, when one was dropped, again
    after (one may split a key: `sk-ant-\u200e…`)."""
    if text.isascii() and text.isprintable():  # none of the controls can be in it
        return cut(scrub(text), limit)
    text = scrub(re.sub(_CONTROL, " ", re.sub(_ESCAPE, " ", text)))
    joined = re.sub(_BIDI, "", text)
    return cut(text if joined == text else scrub(joined), limit)


def printable_lines(text: str, limit: int = LINE_LIMIT) -> str:
    """Each line of `text` made `printable` (a report of several lines: doctor, status)."""
    return "\n".join(printable(line, limit) for line in text.split("\n"))


def printable_json(data: object, indent: int | None = None) -> str:
    """`data` as JSON (one line unless `indent`) that reads back the same (the key masked)
    and that a terminal shows as it is: the characters JSON leaves raw but a terminal acts
    on are escaped."""
    text = scrub(json.dumps(data, ensure_ascii=False, indent=indent))
    return re.sub(_JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)
