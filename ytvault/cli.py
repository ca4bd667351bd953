"""Command line: argument parsing and exit codes; the only place errors become messages.

Exit codes: 0 nothing failed, 1 a note failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ytvault import __version__
from ytvault.errors import ConfigError, YtvaultError

if TYPE_CHECKING:
    from ytvault.config import Config
    from ytvault.pipeline import Context, Outcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ytvault",
        description="Turn YouTube URLs pasted into Obsidian notes into full video notes.",
    )
    parser.add_argument("--version", action="version", version=f"ytvault {__version__}")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="config file (default: $YTVAULT_CONFIG, else the user config dir)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what happens, step by step")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sync = commands.add_parser("sync", help="fill every stub note in a vault once",
                               description="Fill every stub note in the vault once.")
    sync.add_argument("vault", nargs="?", type=Path, metavar="VAULT",
                      help="the vault folder (default: `vault` from the config)")
    _add_run_options(sync)

    process = commands.add_parser("process", help="fill the named notes",
                                  description="Fill the named stub notes.")
    process.add_argument("notes", nargs="+", type=Path, metavar="NOTE")
    process.add_argument("--vault", type=Path, metavar="VAULT",
                         help="the vault the notes are in (default: the folder holding "
                              "`.obsidian` above them, else `vault` from the config)")
    _add_run_options(process)
    return parser


def _add_run_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--dry-run", action="store_true",
                     help="list what would be filled; write, fetch and call nothing")
    cmd.add_argument("--retry-failed", action="store_true",
                     help="try again notes that failed permanently or wait for a premiere")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.command == "sync":
            return _sync(args)
        if args.command == "process":
            return _process(args)
    except ConfigError as exc:
        print(f"ytvault: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except YtvaultError as exc:
        print(f"ytvault: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ytvault: interrupted; every note is as it was or finished", file=sys.stderr)
        return 130
    raise AssertionError(args.command)  # argparse only lets known commands through


def _sync(args: argparse.Namespace) -> int:
    from ytvault.config import load_config
    from ytvault.pipeline import sync

    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    ctx = _context(config, vault, args)
    return _report(ctx, sync(ctx))


def _process(args: argparse.Namespace) -> int:
    from ytvault.config import load_config
    from ytvault.pipeline import Outcome, process_note

    config = load_config(args.config)
    paths = [p.expanduser().absolute() for p in args.notes]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path} is not a file: name the notes to fill")
    root = args.vault or _enclosing_vault(paths[0]) or config.vault
    vault = _vault(root, "pass --vault or set `vault` in config.toml")
    ctx = _context(config, vault, args)

    def outcomes() -> Iterable[Outcome]:
        for path in paths:
            outcome = process_note(ctx, path)
            yield outcome or Outcome(path, "skipped", "not a stub: nothing to fill")

    return _report(ctx, outcomes())


def _vault(path: Path | None, hint: str) -> Path:
    if path is None:
        raise ConfigError(f"no vault given: {hint}")
    path = path.expanduser().absolute()
    if not path.is_dir():
        raise ConfigError(f"vault {path} is not a folder: {hint}")
    return path


def _enclosing_vault(note: Path) -> Path | None:
    for folder in note.parents:
        if (folder / ".obsidian").is_dir():
            return folder
    return None


def _context(config: Config, vault: Path, args: argparse.Namespace) -> Context:
    from ytvault.cache import Cache
    from ytvault.pipeline import Analyzer, Context
    from ytvault.state import Ledger
    from ytvault.youtube import YouTubeClient

    key = config.api_key()
    analyzer: Analyzer | None = None
    if key and not args.dry_run:
        from ytvault.analyze import ClaudeAnalyzer

        analyzer = ClaudeAnalyzer(config, key)
    ledger = Ledger(None if args.dry_run else config.resolved_state_dir / "ledger.sqlite3")
    return Context(config=config, vault=vault, cache=Cache(config.resolved_cache_dir),
                   ledger=ledger, youtube=YouTubeClient(), analyzer=analyzer,
                   dry_run=args.dry_run, retry_failed=args.retry_failed)


def _report(ctx: Context, outcomes: Iterable[Outcome]) -> int:
    failed = pending = 0
    for outcome in outcomes:
        line = f"{outcome.status}: {ctx.rel(outcome.note)}"
        print(f"{line} — {outcome.detail}" if outcome.detail else line, flush=True)
        failed += outcome.status == "failed"
        pending += outcome.analysis_pending
    if pending and ctx.analyzer is None and not ctx.dry_run:
        print(f"ytvault: {ctx.config.api_key_env} is not set: {pending} note(s) got their "
              "properties and thumbnail; set it and run `ytvault sync` again to add the analysis.",
              file=sys.stderr)
    elif ctx.analysis_refused:
        print(f"ytvault: {ctx.analysis_refused}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
