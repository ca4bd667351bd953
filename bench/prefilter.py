"""Prefilter benchmark: what finding `youtu` in any case (`YouTu.be`) costs the scan, against
the case-sensitive test it replaced, on the 20,000-note vault.

The scan reads every note it does not remember and classifies only those that mention YouTube;
that test (`parse.read_text`) runs once per note read. Both forms run here on the same bytes,
held in memory (so the disk is out of the comparison), interleaved, medians of `--runs`; then
the whole scan without memory, for scale.

    .venv/bin/python bench/prefilter.py [--vault DIR] [--runs 7]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from common import add_vault_options, fmt_ms, machine, median, script_parser
from make_vault import ensure_vault

from ytvault.vault.scan import scan_vault
from ytvault.vault.walk import iter_notes


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = script_parser(__doc__)
    add_vault_options(parser)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    vault: Path = ensure_vault(args.vault, args.notes)
    notes = []
    for path in iter_notes(vault):
        fd = os.open(path, os.O_RDONLY)
        try:
            notes.append(os.read(fd, 64 * 1024))  # what read_text's first read gets
        finally:
            os.close(fd)
    forms = {
        "b'youtu' in data": lambda: sum(b"youtu" in d for d in notes),
        "b'youtu' in data.lower()": lambda: sum(b"youtu" in d.lower() for d in notes),
    }
    assert len({fn() for fn in forms.values()}) == 1  # the vault's notes: same answer
    times: dict[str, list[float]] = {name: [] for name in forms}
    for _ in range(args.runs):
        for name, fn in forms.items():
            times[name].append(timed(fn))
    scan = [timed(lambda: list(scan_vault(vault, tidy=False))) for _ in range(3)]
    print(machine())
    print(f"{len(notes)} notes, {sum(map(len, notes)) / 1e6:.1f} MB; medians of {args.runs}")
    for name, values in times.items():
        print(f"  {name:<28} {fmt_ms(median(values))}")
    extra = median(times["b'youtu' in data.lower()"]) - median(times["b'youtu' in data"])
    print(f"  → {fmt_ms(extra).strip()} more per scan that reads every note; that scan itself "
          f"(scan_vault, no memory, median of 3): {fmt_ms(median(scan)).strip()}")


if __name__ == "__main__":
    main()
