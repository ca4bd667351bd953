"""The config file's TOML table, kept parsed as JSON in the user cache dir and used while the file
is unchanged: importing `tomllib` (its regexes, `datetime`, `typing`) costs about as much as a
bare interpreter's start, and every `status` and `sync` reads the config.

Each config file has its own copy (named after its path): a `--config` file used now and then
does not push out the user's own, as one shared copy did, so both were parsed at every start.
A copy is used only when the file's path, size, mtime, ctime and inode are the ones it was
made from; any write changes the ctime, which no tool can set back. It is written only for a
file last modified more than 3 s before (a second edit within one timestamp tick of a coarse
file system would otherwise go unseen, as git's "racy" index entries), and only when every
value is one JSON keeps as it is (TOML dates are not). A missing, foreign or unreadable copy
just means the file is parsed.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from pathlib import Path

from ytvault import __version__
from ytvault.config.paths import user_dir

FORMAT = 1
RACY_NS = 3 * 1_000_000_000


def read_table(path: Path) -> dict[str, object]:
    """The TOML table in `path`. Raises what reading and parsing it raise: OSError,
    UnicodeDecodeError, tomllib.TOMLDecodeError."""
    st = os.stat(path)
    key = [FORMAT, __version__, str(path.absolute()), st.st_size, st.st_mtime_ns,
           st.st_ctime_ns, st.st_ino]
    copy = copy_path(path)
    try:
        with open(copy, encoding="utf-8") as fh:
            kept = json.load(fh)
        if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept["table"], dict):
            table: dict[str, object] = kept["table"]
            return table
    except (OSError, ValueError, KeyError):
        pass
    import tomllib

    table = tomllib.loads(path.read_text(encoding="utf-8"))
    if time.time_ns() - st.st_mtime_ns > RACY_NS:
        _keep(copy, key, table)
    return table


def copy_path(path: Path) -> Path:
    """Where the parsed copy of the config file `path` is kept."""
    tag = zlib.crc32(os.fsencode(path.absolute()))
    return user_dir("cache") / f"config.parsed-{tag:08x}.json"


def _keep(copy: Path, key: list[object], table: dict[str, object]) -> None:
    try:
        text = json.dumps({"key": key, "table": table}, ensure_ascii=False)
    except (TypeError, ValueError):  # a TOML date or time: parsed each time
        return
    if json.loads(text)["table"] != table:  # e.g. a float key JSON cannot tell apart
        return
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        temp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
        # readable by this user alone, whatever the umask: the table may hold a proxy's password
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temp, copy)  # whole or not at all: a reader never sees half of it
    except OSError:
        return  # the copy only saves time
    _forget_gone(copy)


def _forget_gone(kept: Path) -> None:
    """Remove the copies of config files that no longer exist (a copy may hold a proxy's
    password: none outlives its file), and the one shared copy earlier versions kept. Runs
    only when a copy is written, that is when a config file is new or changed."""
    import contextlib  # here, as this runs so seldom: every start reads this module

    for other in kept.parent.glob("config.parsed*.json"):
        if other == kept:
            continue
        try:
            with open(other, encoding="utf-8") as fh:
                source = json.load(fh)["key"][2]
            gone = not isinstance(source, str) or not os.path.exists(source)
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            gone = True  # unreadable or foreign: of no use to any config
        if gone or other.name == "config.parsed.json":
            with contextlib.suppress(OSError):
                other.unlink()
