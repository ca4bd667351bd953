"""Backfill benchmark: `ytvault sync` of many stubs at once against a Messages API that takes
1 s per answer — notes per second against the ideal, `concurrency` notes per second.

N stubs of cached videos (copies of the fixture videos under new ids, so every note is a
different video) in a vault of `--notes` generated notes, the fake Messages API
(tests/fakeapi.py) in this process with `--delay` seconds per answer, and `ytvault sync --json`
as a subprocess with `concurrency = C`. The rate is taken from the first request the API
received to the last note filled (so start-up, the scan and `import anthropic` are not in it),
and end to end; the ideal, the baseline of the same run, is C notes a second (every worker
always waiting on the API). Target: at least 80% of it.

`--rate-limit R` makes the API allow R requests a second (a token bucket, as the real API's
per-minute limits are); a request over it gets 429 with `retry-after`. Then the ideal is
min(C, R) notes a second, and the 429s and failed notes are counted.

    .venv/bin/python bench/backfill.py [--stubs 64] [--concurrency 8] [--delay 1]
    .venv/bin/python bench/backfill.py --concurrency 16 --rate-limit 4
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import (
    FIXTURES,
    REPO,
    YTVAULT,
    add_backfill_options,
    isolated_env,
    machine,
    median,
    script_parser,
)
from make_vault import build_vault

sys.path.insert(0, str(REPO / "tests"))
from fakeapi import FakeMessagesAPI  # tests/fakeapi.py: tests/ is not a package
from fakewire import Reply

TARGET_SHARE = 0.8
SOURCES = ["Yf1o0TQzry8", "fxGerman01C", "fxHostile1D", "fxShort001F"]  # cached, with transcripts


class TimedAPI(FakeMessagesAPI):
    """The fake API, noting when each Messages request arrived."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[float] = []

    def _take(self, path: str, headers: dict[str, str], body: Any, *,
              in_batch: bool = False) -> Reply:
        if path == "/v1/messages" and not in_batch:
            self.arrivals.append(time.monotonic())
        return super()._take(path, headers, body, in_batch=in_batch)


def clone_videos(cache: Path, count: int) -> list[str]:
    """`count` new video ids in `cache`, each a copy of a fixture video (its id and title
    changed), so each note is its own video with its own analysis call."""
    ids = []
    for i in range(count):
        source = SOURCES[i % len(SOURCES)]
        vid = f"bk{i:09d}"
        folder = cache / "videos" / vid
        shutil.copytree(FIXTURES / "cache" / "videos" / source, folder)
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        info.update(id=vid, title=f"{info['title']} (copy {i})",
                    webpage_url=f"https://www.youtube.com/watch?v={vid}")
        (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
        transcript = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))
        transcript["video_id"] = vid
        (folder / "transcript.json").write_text(json.dumps(transcript), encoding="utf-8")
        ids.append(vid)
    return ids


def run_sync(vault: Path, env: dict[str, str], *extra: str
             ) -> tuple[float, list[tuple[float, dict[str, Any]]], float, str]:
    """`ytvault sync VAULT --json [extra…]`: (start, [(time, line)], end, stderr)."""
    started = time.monotonic()
    proc = subprocess.Popen([YTVAULT, "sync", str(vault), "--json", *extra], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read() if proc.stderr
                                                        else ""), daemon=True)
    reader.start()
    lines = [(time.monotonic(), json.loads(line)) for line in proc.stdout if line.strip()]
    proc.wait()
    ended = time.monotonic()
    reader.join()
    return started, lines, ended, "".join(err)


def bare_sdk(base_url: str, count: int, concurrency: int, retries: int) -> None:
    """The baseline, in its own process: `count` Messages calls (the seed's request), from
    `concurrency` threads of one SDK client with its own retries and nothing shared: what a
    backfill is if every note is only its model call. Prints JSON: failures, end time."""
    import anthropic

    from ytvault.analysis.claude import ClaudeAnalyzer
    from ytvault.config.settings import Config
    from ytvault.models import Transcript, Video

    folder = FIXTURES / "cache" / "videos" / SOURCES[0]
    video = Video.from_info(json.loads((folder / "info.json").read_text(encoding="utf-8")))
    transcript = Transcript.from_json(json.loads((folder / "transcript.json").read_text(
        encoding="utf-8")))
    params = ClaudeAnalyzer(Config(), "sk-bench").batch_request(video, transcript)
    assert params is not None
    client = anthropic.Anthropic(api_key="sk-bench", base_url=base_url, max_retries=retries)
    client.messages.create(**params)  # warm: imports, connection, schema (not counted)
    left = list(range(count))
    failures: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not left:
                    return
                left.pop()
            try:
                client.messages.create(**params)
            except anthropic.APIError as exc:
                with lock:
                    failures.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"failures": len(failures), "ended": time.monotonic()}))


def run_bare(args: argparse.Namespace) -> tuple[float, int, int, int]:
    """(notes/s from the first counted request to the last answer, 429s, failures,
    requests) of the bare SDK baseline against a fresh fake API."""
    api = TimedAPI(delay=args.delay, rate_limit=args.rate_limit)
    with api:
        out = subprocess.run([sys.executable, __file__, "--bare", api.base_url, str(args.stubs),
                              str(args.concurrency), str(args.retries)],
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.splitlines()[-1])
        arrivals = api.arrivals[1:]  # the warm-up call is not counted
        done = args.stubs - result["failures"]
        return done / (result["ended"] - arrivals[0]), api.limited, result["failures"], len(
            arrivals)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--bare":
        bare_sdk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return
    parser = script_parser(__doc__)
    add_backfill_options(parser)
    parser.add_argument("--notes", type=int, default=2000,
                        help="other notes in the vault (2000)")
    parser.add_argument("--rate-limit", type=float, default=0.0, metavar="R",
                        help="requests a second the API allows; 0: no limit (0)")
    parser.add_argument("--retries", type=int, default=6,
                        help="`api_max_retries`, for ytvault and the baseline (6)")
    parser.add_argument("--runs", type=int, default=1, help="ytvault runs; medians (1)")
    parser.add_argument("--tree", type=Path, metavar="DIR",
                        help="run the ytvault of another checkout (PYTHONPATH=DIR), e.g. a "
                             "`git worktree` of an earlier commit, to compare")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ytvault-backfill-"))
    try:
        vault = tmp / "vault"
        build_vault(vault, notes=args.notes, seed=0, stubs=0)
        ids = clone_videos(prepare_cache(tmp), args.stubs)
        ideal = args.concurrency / args.delay
        if args.rate_limit:
            ideal = min(ideal, args.rate_limit)
        print(f"backfill: {args.stubs} stubs in a vault of {args.notes} notes, concurrency "
              f"{args.concurrency}, API latency {args.delay:g} s"
              + (f", API limit {args.rate_limit:g} requests/s" if args.rate_limit else "")
              + (f"; ytvault from {args.tree}" if args.tree else ""))
        print(f"machine: {machine()}")
        bare, bare_429, bare_failed, bare_requests = run_bare(args)
        rates, ends, lines = [], [], []
        for run in range(args.runs):
            write_stubs(vault, ids, fresh=run > 0)
            rate, end, line = run_ytvault(args, tmp, vault)
            rates.append(rate)
            ends.append(end)
            lines.append(line)
        rate = median(rates)
        print(f"  {'':40} {'notes/s':>8} {'of ideal':>9} {'requests':>9} {'429s':>6} "
              f"{'failed':>7}")
        print(f"  {'ideal: every worker always waiting':40} {ideal:8.2f} {'100%':>9}")
        print(f"  {'bare SDK, same threads (baseline)':40} {bare:8.2f} {bare / ideal:9.0%} "
              f"{bare_requests:9d} {bare_429:6d} {bare_failed:7d}")
        for line in lines:
            print(line)
        print(f"  ytvault: {rate:.2f} notes/s (median of {args.runs}), {rate / ideal:.0%} of the "
              f"ideal (target {TARGET_SHARE:.0%}: "
              f"{'ok' if rate >= TARGET_SHARE * ideal else 'MISSED'}), {rate / bare:.2f}x the "
              f"bare SDK; end to end {median(ends):.2f} notes/s (start-up, scan and imports "
              "included)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def prepare_cache(tmp: Path) -> Path:
    cache = tmp / "cache"
    shutil.copytree(FIXTURES / "cache", cache)
    for path in cache.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return cache


def write_stubs(vault: Path, ids: list[str], *, fresh: bool) -> None:
    folder = vault / "Backfill"
    if fresh:
        shutil.rmtree(folder)
        shutil.rmtree(vault / "Attachments", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    for i, vid in enumerate(ids):
        (folder / f"Video {i:04d}.md").write_text(f"https://www.youtube.com/watch?v={vid}\n",
                                                  encoding="utf-8")


def run_ytvault(args: argparse.Namespace, tmp: Path, vault: Path) -> tuple[float, float, str]:
    """One `ytvault sync`: (notes/s from its first API request to its last note filled,
    notes/s end to end, its line of the table)."""
    shutil.rmtree(tmp / "state", ignore_errors=True)
    api = TimedAPI(delay=args.delay, rate_limit=args.rate_limit)
    with api:
        env = isolated_env(tmp, config=f"concurrency = {args.concurrency}\n"
                           f"api_max_retries = {args.retries}\nclaim_notes = \"never\"\n",
                           api_key="sk-bench", base_url=api.base_url)
        if args.tree:
            env["PYTHONPATH"] = str(args.tree.absolute())
        started, lines, ended, stderr = run_sync(vault, env)
    filled = [t for t, line in lines if line["status"] == "filled"]
    failed = [line for _, line in lines if line["status"] == "failed"]
    analysed = sum(1 for path in (vault / "Backfill").glob("*.md")
                   if "# SUMMARY" in path.read_text(encoding="utf-8"))
    if not filled or not api.arrivals:
        sys.exit(f"nothing was filled: {stderr[-2000:]}")
    rate = len(filled) / (filled[-1] - api.arrivals[0])
    ideal = args.concurrency / args.delay
    if args.rate_limit:
        ideal = min(ideal, args.rate_limit)
    label = f"ytvault sync ({len(filled)} filled, {analysed} analysed)"
    line = (f"  {label:40} {rate:8.2f} {rate / ideal:9.0%} {len(api.arrivals):9d} {api.limited:6d} "
            f"{len(failed):7d}")
    for item in failed[:3]:
        line += f"\n    failed: {item['note']}: {item['detail']}"
    return rate, len(filled) / (ended - started), line


if __name__ == "__main__":
    main()
