"""A person saving while ytvault writes: lines lost, if any (docs/safety.md, "No window").

A writer process saves a numbered line into each of a few notes every few milliseconds, each
save either an append (open, write, close, as Obsidian's own save does) or an editor's atomic
save (read, write a temp file, rename it over the note). Meanwhile this process writes the same
notes through ytvault's own write path (`write_note`) as fast as it can: a claim added, a claim
removed, over and over. At the end every line the writer saved must be in its note.

    python bench/race.py                      # 50,000 lines, the figure in docs/safety.md
    python bench/race.py --lines 3000 --json  # the short run tests/test_race.py makes
    python bench/race.py --method plain       # the fallback without exchange or hard links
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

METHODS = ("exchange", "link", "plain")


def writer(folder: Path, notes: int, lines: int, low_ms: float, high_ms: float) -> None:
    """The person: one thread per note, each saving `lines / notes` lines; prints how many."""
    done: dict[str, int] = {}

    def save(note: Path, key: str, count: int) -> None:
        rng = random.Random(key)
        for n in range(count):
            line = f"{key}-{n}\n"
            if rng.random() < 0.5:
                with open(note, "a", encoding="utf-8") as fh:  # in place, as Obsidian saves
                    fh.write(line)
            else:  # an editor's atomic save: its own temp file renamed over the note
                tmp = note.with_name(f".{note.name}.editor.tmp")
                text = note.read_text(encoding="utf-8")
                tmp.write_text(text + line, encoding="utf-8")
                os.replace(tmp, note)
            done[key] = n + 1
            time.sleep(rng.uniform(low_ms, high_ms) / 1000)

    threads = [threading.Thread(target=save, args=(
        folder / f"n{i}.md", f"w{i}", lines // notes + (i < lines % notes)))
        for i in range(notes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(done))


def race(lines: int, notes: int, method: str, low_ms: float, high_ms: float) -> dict[str, Any]:
    from ytvault.config.settings import Config
    from ytvault.errors import NoteSkipped
    from ytvault.note import claims
    from ytvault.pipeline.context import Context, RunOptions
    from ytvault.pipeline.ledger import Ledger
    from ytvault.pipeline.write import text_only, write_note
    from ytvault.vault import atomic
    from ytvault.vault.leftovers import TEMP_MARK
    from ytvault.youtube.cache import Cache
    from ytvault.youtube.client import YouTubeClient

    if method != "exchange":  # as on a file system that refuses the exchange (and links)
        def refuse(a: Path, b: Path) -> None:
            raise OSError(errno.EINVAL, "refused")

        atomic.exchange = refuse  # type: ignore[assignment]
    if method == "plain":
        def no_link(src: Any, dst: Any, **_: Any) -> None:
            raise OSError(errno.EPERM, "no hard links")

        os.link = no_link

    caught = Caught()
    logging.getLogger("ytvault.pipeline.write").addHandler(caught)
    logging.getLogger("ytvault.pipeline.write").setLevel(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="ytvault-race-") as tmp:
        root = Path(tmp)
        vault = root / "vault"
        (vault / ".obsidian").mkdir(parents=True)
        paths = [vault / f"n{i}.md" for i in range(notes)]
        for path in paths:
            path.write_text("# A note the person keeps writing\n", encoding="utf-8")
        config = Config(cache_dir=root / "cache", state_dir=root / "state")
        ctx = Context(config=config, vault=vault, cache=Cache(root / "cache"),
                      ledger=Ledger(None), youtube=YouTubeClient(), analyzer=None,
                      options=RunOptions(device="bench-race"))
        lease = timedelta(minutes=15)
        proc = subprocess.Popen(
            [sys.executable, __file__, "--writer", str(vault), "--notes", str(notes),
             "--lines", str(lines), "--every-ms", str(low_ms), str(high_ms)],
            stdout=subprocess.PIPE, text=True)
        writes = gave_up = 0
        started = time.monotonic()
        while proc.poll() is None:
            for path in paths:
                add = text_only(lambda text: claims.add_claim(
                    text, "bench-race", datetime.now(UTC), lease))
                drop = text_only(lambda text: claims.drop_claim(text))
                for merge in (add, drop):
                    try:
                        write_note(ctx, path, merge, keep_claim=True)
                        writes += 1
                    except NoteSkipped:  # it kept changing: left as it is, and said so
                        gave_up += 1
        seconds = time.monotonic() - started
        out, _ = proc.communicate()
        saved: dict[str, int] = json.loads(out)
        lost: list[str] = []
        aside = [p.name for p in vault.glob("* (edited while ytvault wrote it)*")]
        kept_aside = {line for name in aside for line in
                      (vault / name).read_text(encoding="utf-8").splitlines()}
        for i, path in enumerate(paths):
            present = set(path.read_text(encoding="utf-8").splitlines())
            key = f"w{i}"
            lost += [f"{key}-{n}" for n in range(saved.get(key, 0))
                     if f"{key}-{n}" not in present and f"{key}-{n}" not in kept_aside]
        leftovers = [p.name for p in vault.iterdir() if TEMP_MARK in p.name]
    return {"method": method, "lines": sum(saved.values()), "notes": notes,
            "writes": writes, "gave_up": gave_up, "caught": caught.count, "lost": len(lost),
            "lost_lines": lost[:20], "leftovers": leftovers, "aside": aside,
            "seconds": round(seconds, 1), "every_ms": [low_ms, high_ms]}


class Caught(logging.Handler):
    """Counts the saves ytvault caught in the middle of a write (and merged again)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "saved while ytvault wrote it" in record.getMessage():
            self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50_000, help="lines the writer saves")
    parser.add_argument("--notes", type=int, default=16, help="notes written at once")
    parser.add_argument("--every-ms", type=float, nargs=2, default=(2.0, 40.0),
                        metavar=("LOW", "HIGH"), help="pause between two saves of a note")
    parser.add_argument("--method", choices=METHODS, default="exchange",
                        help="how ytvault replaces the note (the fallbacks, forced)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--writer", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer is not None:
        writer(args.writer, args.notes, args.lines, *args.every_ms)
        return
    result = race(args.lines, args.notes, args.method, *args.every_ms)
    if args.json:
        print(json.dumps(result))
        return
    low, high = result["every_ms"]
    print(f"{result['lines']:,} lines saved (append or rename, every {low:g}-{high:g} ms) into "
          f"{result['notes']} notes while ytvault wrote them {result['writes']:,} times "
          f"({result['method']}, {result['seconds']} s)")
    print(f"  saves caught mid-write and merged again: {result['caught']:,}; writes given up "
          f"(the note kept changing, left as it was): {result['gave_up']:,}")
    print(f"  lines lost: {result['lost']}" + (f" ({', '.join(result['lost_lines'])})"
                                               if result["lost"] else ""))
    print(f"  temp files left: {len(result['leftovers'])}; edits kept beside a note: "
          f"{len(result['aside'])}")


if __name__ == "__main__":
    main()
