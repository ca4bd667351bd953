"""Batch benchmark: `ytvault sync --batch` against a live `ytvault sync` of the same backfill,
measured in the same run — the estimated cost of the two, the batch's flow (submitted, polled,
each note written as its result comes), and a restart while the batch runs.

N stubs of cached videos (copies of the fixture videos under new ids, as bench/backfill.py
makes them), the fake Messages API (tests/fakeapi.py) in this process, `ytvault` as a
subprocess. The fake ends a batch at its `--polls`-th retrieve; ytvault polls every
`--poll-seconds`. Costs are summed from each note's usage in `--json` (the fake counts a
request's JSON at 4 characters a token; the prices are cost.py's). Then the same backfill
again, killed with SIGKILL once its batch is submitted and polled, and run again: it must
poll the same batch (one batch created in all) and fill every note.

    .venv/bin/python bench/batch.py [--stubs 64] [--concurrency 8]
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from backfill import clone_videos, prepare_cache, run_sync, write_stubs
from common import REPO, YTVAULT, add_backfill_options, isolated_env, machine, script_parser

sys.path.insert(0, str(REPO / "tests"))
from fakeapi import FakeMessagesAPI  # tests/fakeapi.py: tests/ is not a package


def spent(lines: list[tuple[float, dict[str, Any]]]) -> tuple[float, int, int]:
    """(estimated USD, requests, notes with usage) summed from `--json` lines."""
    usages = [line["usage"] for _, line in lines if line.get("usage")]
    return (sum(u["cost_usd"] or 0 for u in usages), sum(u["requests"] for u in usages),
            len(usages))


def analysis_of(note: Path) -> str:
    """The note's analysis (the body from the first heading to the player)."""
    text = note.read_text(encoding="utf-8")
    return text[text.index("# SUMMARY"):text.index("<iframe")] if "# SUMMARY" in text else ""


def main() -> None:
    parser = script_parser(__doc__)
    add_backfill_options(parser)
    parser.add_argument("--polls", type=int, default=4,
                        help="the fake ends a batch at this retrieve (4)")
    parser.add_argument("--poll-seconds", type=float, default=1.0,
                        help="`batch_poll_seconds` (1.0)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ytvault-batch-"))
    try:
        vault = tmp / "vault"
        (vault / ".obsidian").mkdir(parents=True)
        ids = clone_videos(prepare_cache(tmp), args.stubs)
        config = (f"concurrency = {args.concurrency}\nclaim_notes = \"never\"\n"
                  f"batch_poll_seconds = {args.poll_seconds}\n")
        print(f"batch: {args.stubs} stubs, concurrency {args.concurrency}, live latency "
              f"{args.delay:g} s; the fake ends a batch at poll {args.polls}, ytvault polls "
              f"every {args.poll_seconds:g} s")
        print(f"machine: {machine()}")

        write_stubs(vault, ids, fresh=False)
        with FakeMessagesAPI(delay=args.delay) as api:
            env = isolated_env(tmp, config=config, api_key="sk-bench", base_url=api.base_url)
            started, lines, ended, err = run_sync(vault, env)
        live_cost, live_requests, live_notes = spent(lines)
        live_analyses = {p.name: analysis_of(p) for p in (vault / "Backfill").glob("*.md")}
        print(f"  live sync (baseline): {live_notes} notes analysed, {live_requests} requests, "
              f"est. ${live_cost:.4f}, {ended - started:.1f} s")

        write_stubs(vault, ids, fresh=True)
        shutil.rmtree(tmp / "state")
        with FakeMessagesAPI(delay=args.delay, batch_polls=args.polls) as api:
            env = isolated_env(tmp, config=config, api_key="sk-bench", base_url=api.base_url)
            started, lines, ended, err = run_sync(vault, env, "--batch")
            creates = [r.body for r in api.batch_creates]
        cost, requests, notes = spent(lines)
        said = {line["detail"].split(":")[0]: t for t, line in lines if line["status"] == "batch"}
        filled = [t for t, line in lines if line["status"] == "filled"]
        same = sum(analysis_of(p) == live_analyses[p.name] and bool(live_analyses[p.name])
                   for p in (vault / "Backfill").glob("*.md"))
        print(f"  sync --batch: {len(creates)} batch of "
              f"{sum(len(c['requests']) for c in creates)} requests; {notes} notes analysed, "
              f"{requests} requests, est. ${cost:.4f}: {cost / live_cost:.2f} of the live cost")
        if "submitted" in said and "ended" in said and filled:
            print(f"    submitted {said['submitted'] - started:.1f} s after the start, ended "
                  f"{said['ended'] - started:.1f} s; {len(filled)} notes written in "
                  f"{filled[-1] - said['ended']:.2f} s after it ended "
                  f"({len(filled) / max(filled[-1] - said['ended'], 1e-6):.0f} notes/s), each "
                  "as its result was read")
        print(f"    {same} of {args.stubs} notes have the same analysis as the live run's")
        if err.strip():
            print("    stderr:", err.strip()[-800:])

        write_stubs(vault, ids, fresh=True)
        shutil.rmtree(tmp / "state")
        with FakeMessagesAPI(delay=args.delay, batch_polls=10**6) as api:
            env = isolated_env(tmp, config=config, api_key="sk-bench", base_url=api.base_url)
            started = time.monotonic()
            proc = subprocess.Popen([YTVAULT, "sync", str(vault), "--batch"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while not api.batch_creates or sum(
                    1 for r in api.requests if re.search(r"/batches/[^/]+$", r.path)) < 2:
                if proc.poll() is not None or time.monotonic() - started > 600:
                    sys.exit("the first run ended before its batch was polled")
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            pending = sum("analysis pending" in p.read_text(encoding="utf-8")
                          for p in (vault / "Backfill").glob("*.md"))
            api.batch_polls = 0  # the batch ends at the next poll
            _, lines, _, err = run_sync(vault, env, "--batch")
            created = len(api.batch_creates)
        filled = [line for _, line in lines if line["status"] == "filled"]
        print(f"  restart: killed (SIGKILL) with its batch running and {pending} notes pending;"
              f" the next run polled it: {created} batch created in all, {len(filled)} notes "
              "filled " + ("(ok)" if created == 1 and len(filled) == args.stubs else "(MISSED)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
