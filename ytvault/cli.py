"""Command line: argument parsing and exit codes; the only place errors become messages.

Exit codes: 0 nothing failed, 1 a note failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import os
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
log = logging.getLogger("ytvault")


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

    watch = commands.add_parser(
        "watch", help="fill stubs as they appear (the daemon the login service runs)",
        description="Scan the vault, then fill stubs as they are created or changed, until "
                    "SIGINT or SIGTERM.")
    watch.add_argument("vault", nargs="?", type=Path, metavar="VAULT",
                       help="the vault folder (default: `vault` from the config)")
    watch.add_argument("--env-file", type=Path, metavar="FILE",
                       help="KEY=VALUE lines to add to the environment first "
                            "(how the login service passes the API key)")

    status = commands.add_parser("status", help="what is pending, failed and done",
                                 description="Show pending, failed and done notes, the last "
                                             "activity and whether a daemon is running.")
    status.add_argument("vault", nargs="?", type=Path, metavar="VAULT",
                        help="the vault folder (default: `vault` from the config)")

    service = commands.add_parser(
        "service", help="install, remove or check the login service that runs `watch`",
        description="Install, remove or check the per-user login service that runs "
                    "`ytvault watch VAULT` (systemd user unit, launchd agent, Windows Run entry).")
    actions = service.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("install", "write the login entry and start it"),
                         ("uninstall", "stop it and remove every file install wrote"),
                         ("status", "is it installed, is it running, where are its logs")):
        cmd = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        if action == "install":
            cmd.add_argument("vault", nargs="?", type=Path, metavar="VAULT",
                             help="the vault to watch (default: `vault` from the config)")
        cmd.add_argument("--dry-run", action="store_true",
                         help="print the files and commands; write and run nothing")
        cmd.add_argument("--platform", choices=("linux", "macos", "windows"),
                         help="render for this platform (default: this one; others need "
                              "--dry-run)")
    return parser


def _add_run_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--dry-run", action="store_true",
                     help="list what would be filled; write, fetch and call nothing")
    cmd.add_argument("--retry-failed", action="store_true",
                     help="try again notes that failed permanently or wait for a premiere")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ytvault import logs

    logs.setup(args.verbose, [os.environ.get("ANTHROPIC_API_KEY", "")])
    try:
        if args.command == "sync":
            return _sync(args)
        if args.command == "process":
            return _process(args)
        if args.command == "watch":
            return _watch(args)
        if args.command == "status":
            return _status(args)
        if args.command == "service":
            return _service(args)
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
    _log_setup(args, config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    ctx = _context(config, vault, args)
    return _report(ctx, sync(ctx))


def _process(args: argparse.Namespace) -> int:
    from ytvault.config import load_config
    from ytvault.pipeline import Outcome, process_note

    config = load_config(args.config)
    _log_setup(args, config)
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


def _watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    from ytvault.config import load_config
    from ytvault.lock import VaultLock, lock_path
    from ytvault.watcher import Watcher

    if args.env_file is not None:
        from ytvault.service import load_env_file

        os.environ.update(load_env_file(args.env_file))
    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    _log_setup(args, config, config.resolved_log_dir / "ytvault.log")
    lock = VaultLock(lock_path(config.resolved_state_dir, vault))
    if not lock.acquire():
        raise YtvaultError(f"another `ytvault watch` (pid {lock.holder()}) is already watching "
                           f"{vault}: stop it first, or let it do the work")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    ctx = _context(config, vault, argparse.Namespace(dry_run=False, retry_failed=False))
    if ctx.analyzer is None:
        log.warning("%s is not set: notes get their properties and thumbnail; the analysis "
                    "waits until it is set", config.api_key_env)
    try:
        Watcher(ctx, report=lambda outcome: _log_outcome(ctx, outcome)).run(stop)
    finally:
        lock.release()
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from ytvault.config import load_config
    from ytvault.status import render_status

    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    print(render_status(config, vault))
    return EXIT_OK


def _service(args: argparse.Namespace) -> int:
    from ytvault import service

    platform: str = args.platform or service.host_platform()
    if not args.dry_run and platform != service.host_platform():
        raise ConfigError(f"a {platform} service cannot be installed here: add --dry-run "
                          "to print it")
    env, vault, key_env = dict(os.environ), None, "ANTHROPIC_API_KEY"
    if args.action == "install":
        from ytvault.config import load_config

        config = load_config(args.config)
        vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
        key_env = config.api_key_env
        if args.config is not None:  # the service must read the config this install read
            env["YTVAULT_CONFIG"] = str(args.config.expanduser().absolute())
    plan = service.render(platform, vault, home=Path.home(), env=env, key_env=key_env)
    if args.action == "install":
        lines = service.install(plan, dry_run=args.dry_run)
    elif args.action == "uninstall":
        lines = service.uninstall(plan, dry_run=args.dry_run)
    else:
        lines = service.status(plan)
    print("\n".join(lines))
    return EXIT_OK


def _log_setup(args: argparse.Namespace, config: Config, log_file: Path | None = None) -> None:
    from ytvault import logs

    secrets = [config.api_key() or "", os.environ.get("ANTHROPIC_API_KEY", "")]
    logs.setup(args.verbose, secrets, log_file)


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
    from datetime import timedelta

    from ytvault.cache import Cache
    from ytvault.claims import device_id, vault_is_shared
    from ytvault.pipeline import Analyzer, Context
    from ytvault.state import Ledger
    from ytvault.youtube import YouTubeClient

    key = config.api_key()
    analyzer: Analyzer | None = None
    if key and not args.dry_run:
        from ytvault.analyze import ClaudeAnalyzer

        analyzer = ClaudeAnalyzer(config, key)
    ledger = Ledger(None if args.dry_run else config.resolved_state_dir / "ledger.sqlite3")
    ctx = Context(config=config, vault=vault, cache=Cache(config.resolved_cache_dir),
                  ledger=ledger, youtube=YouTubeClient(), analyzer=analyzer,
                  dry_run=args.dry_run, retry_failed=args.retry_failed,
                  claim_settle=config.claim_settle_seconds,
                  claim_lease=timedelta(minutes=config.claim_lease_minutes))
    if not args.dry_run and (config.claim_notes == "always" or (
            config.claim_notes == "auto" and vault_is_shared(vault))):
        ctx.device = device_id(config.resolved_state_dir)
    return ctx


def _report(ctx: Context, outcomes: Iterable[Outcome]) -> int:
    failed = pending = 0
    for outcome in outcomes:
        _print_outcome(ctx, outcome)
        failed += outcome.status == "failed"
        pending += outcome.analysis_pending
    if pending and ctx.analyzer is None and not ctx.dry_run:
        print(f"ytvault: {ctx.config.api_key_env} is not set: {pending} note(s) got their "
              "properties and thumbnail; set it and run `ytvault sync` again to add the analysis.",
              file=sys.stderr)
    elif ctx.analysis_refused:
        print(f"ytvault: {ctx.analysis_refused}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _line(ctx: Context, outcome: Outcome) -> str:
    line = f"{outcome.status}: {ctx.rel(outcome.note)}"
    return f"{line} — {outcome.detail}" if outcome.detail else line


def _print_outcome(ctx: Context, outcome: Outcome) -> None:
    print(_line(ctx, outcome), flush=True)


def _log_outcome(ctx: Context, outcome: Outcome) -> None:
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    log.log(level, "%s", _line(ctx, outcome))
