"""The plain command lines of `status` and `sync`, read without argparse: its import, with the
`gettext` and `locale` it loads to translate its messages, is ~3-4 ms of every start, and these
two commands are what a person (or a timer) runs most. arguments.py stays the reference: this
reads only what it is sure argparse reads the same way (tests/test_quickargs.py holds the two
equal) and leaves everything else (help, errors, every other command) to it.
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False  # no `typing`, no `pathlib`, no argparse at import: see above
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

    # what a command is handed: argparse's namespace, or quick_args's one with the same names
    Args = argparse.Namespace | SimpleNamespace

# the options given before the command (--config apart), and the names argparse stores them as
_BEFORE = {"-v": "verbose", "--verbose": "verbose", "--json": "json", "-q": "quiet",
           "--quiet": "quiet"}
# the options each command takes after its name, and what it adds to the namespace (its
# positional VAULT apart): arguments._status, arguments._sync
_AFTER = {
    "status": {"-v": "verbose", "--verbose": "verbose"},
    "sync": {**_BEFORE, "--dry-run": "dry_run", "--retry-failed": "retry_failed",
             "--batch": "batch"},
}
_DEFAULTS = {
    "status": {},
    "sync": {"dry_run": False, "retry_failed": False, "batch": False},
}


def quick_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """What `arguments.parse_args(argv)` returns, for `status` and `sync` with their usual
    options written out in full; None for anything else, and whenever argparse could read
    `argv` differently or refuse it (then parse_args reads it, and says what is wrong)."""
    flags = {"verbose": False, "json": False, "quiet": False}
    config: str | None = None
    tokens = iter(argv)
    command = ""
    for token in tokens:
        if token == "--config":
            config = next(tokens, "")  # the last one given, as argparse keeps it
            # one starting with "-" is an option to argparse (or, like "-1", a value): its call
            if not config or config.startswith("-"):
                return None
        elif token in _BEFORE:
            flags[_BEFORE[token]] = True
        else:
            command = token
            break
    after = _AFTER.get(command)
    if after is None:
        return None
    flags.update(_DEFAULTS[command])
    vault: str | None = None
    for token in tokens:
        if token in after:
            flags[after[token]] = True
        elif not token or token.startswith("-") or vault is not None:
            # `--`, -h, an abbreviation, `--opt=value`, -vq, a second VAULT: argparse's to judge
            return None
        else:
            vault = token
    if flags["json"] and flags["quiet"]:
        return None  # refused by parse_args
    if command == "status" and (flags["json"] or flags["quiet"]):
        return None  # parse_args: status prints neither
    return SimpleNamespace(config=_path(config), command=command, vault=_path(vault), **flags)


def _path(text: str | None) -> Path | None:
    """As arguments._path: pathlib is imported only when a path is given."""
    if text is None:
        return None
    from pathlib import Path

    return Path(text)
