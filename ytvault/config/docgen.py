"""The configuration reference in docs/configuration.md, generated from the config schema.

    python -m ytvault.config.docgen            rewrite the table between the markers
    python -m ytvault.config.docgen --check    exit 1 if the committed table is out of date

The table is rendered from the fields of `Config` (the description, default and bounds each
`setting()` gives, the choices of a Literal), so the schema stays the one place a key is
described; tests/test_docgen.py checks the doc.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from ytvault.config.schema import BOUNDS, Setting
from ytvault.config.settings import Config

BEGIN = ("<!-- BEGIN config keys: generated from ytvault/config/settings.py by "
         "`python -m ytvault.config.docgen`; edit the descriptions there -->")
END = "<!-- END config keys -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def render_table() -> str:
    """The keys table: one row per field of `Config`, in schema order."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for field in Config.SETTINGS.values():
        meaning, default = _said_default(field.doc.strip())
        extra = _choices(field) or _bounds(field.bounds)
        if extra:
            meaning = f"{meaning} {extra}".strip()
        rows.append(f"| `{field.name}` | {default or _default(field)} | {_cell(meaning)} |")
    return "\n".join(rows) + "\n"


_SAID_DEFAULT = re.compile(
    r"\s*\(default: ([^()]*(?:\([^()]*\)[^()]*)*)\)"  # (default: the user cache dir)
    r"|; default: ([^()]*)(?=\))"  # (env X wins; default: the user cache dir)
)


def _said_default(description: str) -> tuple[str, str | None]:
    """A default the description states in words (`(default: the user cache dir)`), moved to
    the default column: for values that say little by themselves (none, a long tuple)."""
    match = _SAID_DEFAULT.search(description)
    if match is None:
        return description, None
    said = (match.group(1) or match.group(2)).strip()
    rest = description[:match.start()] + description[match.end():]
    return rest.replace(" .", ".").strip(), said


def update(text: str) -> str:
    """`text` with the part between the markers replaced by the generated table."""
    try:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"the markers are missing from the doc:\n{BEGIN}\n{END}") from None
    return f"{head}{BEGIN}\n{render_table()}{END}{tail}"


def _default(field: Setting) -> str:
    value = field.make_default()
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | dict):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    return f"`{value}`"


def _choices(field: Setting) -> str:
    if field.choices:
        values = ", ".join(f"`{v}`" for v in field.choices)
        return f"One of {values}."
    return ""


def _bounds(metadata: Mapping[str, object]) -> str:
    """`Between 1 and 64.` for two inclusive bounds, else each in words: `More than 0, at
    most 1440.`"""
    if "ge" in metadata and "le" in metadata:
        return f"Between {_num(metadata['ge'])} and {_num(metadata['le'])}."
    words = [f"{BOUNDS[name][1]} {_num(metadata[name])}" for name in BOUNDS if name in metadata]
    return (", ".join(words).capitalize() + ".") if words else ""


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ytvault.config.docgen", description=__doc__
                                     .splitlines()[0])
    parser.add_argument("doc", nargs="?", type=Path, default=DOC)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the doc is out of date; write nothing")
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    new = update(text)
    if args.check:
        if new != text:
            print(f"{args.doc} is out of date: run `python -m ytvault.config.docgen`",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        args.doc.write_text(new, encoding="utf-8")
        print(f"updated {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
