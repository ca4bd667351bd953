"""Command line: each command run, and exit codes; the only place errors become messages. The
commands and their options are declared in arguments.py (argv.py reads the plain `status` and
`sync` lines without it).

Exit codes: 0 nothing failed, 1 a note failed, 2 a usage or configuration error; `watch`
also exits 1 when another watcher holds the vault, and 70 when it crashed (so the login service
restarts a crash, and not what a restart cannot mend).
"""

from __future__ import annotations

import os
import sys

from ytvault.commands.argv import quick_args
from ytvault.commands.report import (
    EXIT_FAILED,
    EXIT_OK,
    first_failure,
    key_hint,
    output_mode,
    print_lines,
    report_outcomes,
    say,
)
from ytvault.errors import ConfigError, YtvaultError

TYPE_CHECKING = False  # neither `typing` nor `pathlib` for `--help`: start-up is a feature
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from pathlib import Path

    from ytvault.commands.argv import Args
    from ytvault.commands.progress import Line, Reporter
    from ytvault.config.settings import Config
    from ytvault.outcome import Outcome
    from ytvault.pipeline.context import Context

EXIT_USAGE = 2  # and report.py: EXIT_OK 0, EXIT_FAILED 1
EXIT_CRASH = 70  # sysexits' EX_SOFTWARE: Python's own exit code for a crash is 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
        return code
    except BrokenPipeError:
        # `ytvault status | head`: the reader has gone, as a shell pipeline means it to.
        # Python's own recipe: stdout to /dev/null so the flush at exit fails no more; the
        # exit code a shell gives a command ended by SIGPIPE (128 + 13).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: Sequence[str] | None) -> int:
    # `status` and `sync` as people type them, without argparse's import; anything else, and
    # every mistake, through argparse (arguments.py), which says what is wrong
    args = quick_args(argv if argv is not None else sys.argv[1:]) or _parse_args(argv)
    # Each command sets up its logging itself (`_log_setup`), once it has read its config:
    # `status` and a `sync` with nothing to do log nothing, and start without `logging`.
    command: Callable[[Args], int] = {
        "sync": _sync, "process": _process, "watch": _watch, "status": _status,
        "service": _service, "new": _new, "refresh": _refresh, "doctor": _doctor,
        "cache": _cache,
    }[args.command]  # argparse lets only these through
    try:
        code = command(args)
    except ConfigError as exc:
        say(f"ytvault: {exc}")
        code = EXIT_USAGE
    except YtvaultError as exc:
        say(f"ytvault: {exc}")
        code = EXIT_FAILED
    except KeyboardInterrupt:
        print("ytvault: interrupted; every note is as it was or finished", file=sys.stderr)
        return 130
    except Exception:
        if args.command != "watch":
            raise
        import logging

        logging.getLogger("ytvault").exception("the watcher crashed")
        return EXIT_CRASH
    if getattr(args, "launchd", False) and code in (EXIT_FAILED, EXIT_USAGE):
        # launchd's KeepAlive restarts every exit but 0, every 10 s: for a configuration error
        # or another watcher holding the vault, a restart mends nothing (service.py)
        return EXIT_OK
    return code


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from ytvault.commands.arguments import parse_args

    return parse_args(argv)


def _sync(args: Args) -> int:
    from itertools import chain

    from ytvault.config.settings import load_config
    from ytvault.vault.scan import scan_vault
    from ytvault.vault.seen import Seen

    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    if args.verbose:  # the scan's steps too
        _log_setup(args, config)
    # The scan first, alone: on a vault with nothing to do, logging, the model client and
    # YouTube are never loaded (start-up is most of a no-op sync); the ledger (SQLite) only
    # with an API key set and a ledger there, to ask about Message Batches to finish. A
    # warning of the scan's own (its memory could not be saved) is printed as Python prints it.
    seen = Seen.for_vault(config.resolved_state_dir, vault, save=not args.dry_run)
    found = scan_vault(vault, seen, tidy=not args.dry_run)
    first = next(found, None)
    if first is None and not args.batch and not (
            config.api_key() and not args.dry_run and _open_batches(config, vault)):
        if args.dry_run:
            from ytvault.commands.dryrun import print_nothing_to_do

            print_nothing_to_do(output_mode(args), vault)
        return EXIT_OK
    if not args.verbose:
        _log_setup(args, config)
    from ytvault.pipeline.run import sync

    ctx = _context(config, vault, dry_run=args.dry_run, retry_failed=args.retry_failed)
    rest = found if first is None else chain([first], found)
    batches = args.batch or (ctx.analyzer is not None and bool(ctx.ledger.open_batches(vault)))

    def outcomes(ctx: Context, out: Reporter) -> Iterable[Outcome]:
        if not batches:
            return sync(ctx, found=rest)
        from ytvault.commands.progress import Line
        from ytvault.pipeline.batch import sync_batch

        def on_batch(batch_id: str, text: str) -> None:
            out.info(Line("batch", batch_id, text, {"batch_id": batch_id}))

        # without --batch: analyses live, and the results of batches that have ended written
        return sync_batch(ctx, on_batch, submit=args.batch, wait=args.batch, found=rest)

    return report_outcomes(ctx, outcomes, args)


def _open_batches(config: Config, vault: Path) -> bool:
    """Whether Message Batches of this vault may have results to write, asked before the
    context (and its ledger) is built: SQLite is loaded only if there is a ledger file."""
    path = config.resolved_state_dir / "ledger.sqlite3"
    if not path.exists():
        return False
    from ytvault.pipeline.ledger import Ledger

    return bool(Ledger(path).open_batches(vault))


def _process(args: Args) -> int:
    from ytvault.config.settings import load_config
    from ytvault.outcome import Outcome
    from ytvault.pipeline.run import process_note

    config = load_config(args.config)
    _log_setup(args, config)
    paths = [p.expanduser().absolute() for p in args.notes]
    # the notes that are there are filled; the others are named, and the exit code is 1
    notes = [path for path in paths if path.is_file()]
    if not notes:
        raise ConfigError(f"no such note: {', '.join(map(str, paths))}: name the notes to fill")
    root = args.vault or _enclosing_vault(notes[0]) or config.vault
    vault = _vault(root, "pass --vault or set `vault` in config.toml")
    ctx = _context(config, vault, dry_run=args.dry_run, retry_failed=args.retry_failed)

    def outcomes(ctx: Context, _: Reporter) -> Iterable[Outcome]:
        for path in paths:
            if path not in notes:
                what = "a folder, not a note" if path.is_dir() else "no such file"
                yield Outcome(path, "failed", f"{what}: nothing was done to it")
                continue
            outcome = process_note(ctx, path)
            yield outcome or Outcome(path, "skipped", "not a stub: nothing to fill")

    return report_outcomes(ctx, outcomes, args, expected=len(paths))


def _watch(args: Args) -> int:
    import logging
    import signal
    import threading

    from ytvault.config.settings import load_config
    from ytvault.daemon.lock import VaultLock, lock_path
    from ytvault.daemon.watcher import Watcher

    if args.env_file is not None:
        from ytvault.daemon.service import load_env_file

        os.environ.update(load_env_file(args.env_file))
    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    _log_setup(args, config, config.resolved_log_dir / "ytvault.log")
    lock = VaultLock(lock_path(config.resolved_state_dir, vault))
    if not lock.acquire():
        raise YtvaultError(f"another `ytvault watch` (pid {lock.holder()}) is already watching "
                           f"{vault}: stop it first, or let it do the work")
    ctx = _context(config, vault)
    if ctx.analyzer is None:
        logging.getLogger("ytvault").warning(
            "%s is not set: notes get their properties and thumbnail; the analysis waits "
            "until it is set", config.api_key_env)
    from ytvault.commands.progress import is_terminal

    # on a terminal, the lines `sync` prints; the log file (and a service's stderr) gets them
    # as log records either way
    shown = is_terminal(sys.stdout)
    watcher = Watcher(ctx, report=lambda outcome: _log_outcome(ctx, outcome, shown))
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        stop.set()
        watcher.wake()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:
        watcher.run(stop)
    finally:
        lock.release()
    return EXIT_OK


def _status(args: Args) -> int:
    from ytvault.commands.status import render_status
    from ytvault.config.settings import load_config

    config = load_config(args.config)
    vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
    say(render_status(config, vault), sys.stdout)
    return EXIT_OK


def _service(args: Args) -> int:
    from pathlib import Path

    from ytvault.daemon import service

    _log_setup(args)
    platform: str = args.platform or service.host_platform()
    if not args.dry_run and platform != service.host_platform():
        done = {"install": "installed", "uninstall": "uninstalled", "status": "checked"}
        raise ConfigError(f"a {platform} service cannot be {done[args.action]} here: add "
                          "--dry-run to print what would be done")
    env, vault, key_env = dict(os.environ), None, "ANTHROPIC_API_KEY"
    if args.action == "install":
        from ytvault.config.settings import load_config

        config = load_config(args.config)
        vault = _vault(args.vault or config.vault, "pass VAULT or set `vault` in config.toml")
        key_env = config.api_key_env
        if args.config is not None:  # the service must read the config this install read
            env["YTVAULT_CONFIG"] = str(args.config.expanduser().absolute())
    plan = service.render(platform, vault, home=Path.home(), env=env, key_env=key_env)
    if args.action == "install" and not args.dry_run:
        lines, manual = service.start(plan)
        print("\n".join([*lines, *([] if manual else [plan.done]), *plan.notes]))
        if manual:  # the files are there, the watcher is not running: not a success
            print(f"ytvault: the login service is not running: {manual}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    if args.action == "install":
        lines = service.install(plan, dry_run=args.dry_run)
    elif args.action == "uninstall":
        lines = service.uninstall(plan, dry_run=args.dry_run)
    else:
        lines = service.status(plan, dry_run=args.dry_run)
    say("\n".join(lines), sys.stdout)
    return EXIT_OK


def _cache(args: Args) -> int:
    from ytvault.commands.cache import prune_cache
    from ytvault.config.settings import load_config

    config = load_config(args.config)
    # the vault's stubs keep their videos: without one, those not in the ledger would go
    vault = _vault(args.vault or config.vault, "pass --vault or set `vault` in config.toml")
    print("\n".join(prune_cache(config, vault, args.older_than, dry_run=args.dry_run)))
    return EXIT_OK


def _log_setup(args: Args, config: Config | None = None,
               log_file: Path | None = None) -> None:
    from ytvault.commands import logs

    key = config.api_key() if config is not None else None
    secrets = [key or "", os.environ.get("ANTHROPIC_API_KEY", "")]
    logs.setup(args.verbose, secrets, log_file)


def _context(config: Config, vault: Path, *, dry_run: bool = False, retry_failed: bool = False,
             analyze: bool = True) -> Context:
    from datetime import timedelta

    from ytvault.note.claims import device_id, vault_is_shared
    from ytvault.pipeline.context import Analyzer, Context, RunOptions
    from ytvault.pipeline.ledger import Ledger
    from ytvault.vault.configdir import config_dir
    from ytvault.youtube.cache import Cache
    from ytvault.youtube.client import YouTubeClient

    key = config.api_key()
    analyzer: Analyzer | None = None
    if key and analyze and not dry_run:
        from ytvault.analysis.claude import ClaudeAnalyzer

        analyzer = ClaudeAnalyzer(config, key, vault=vault)
    ledger = Ledger(None if dry_run else config.resolved_state_dir / "ledger.sqlite3")
    device = None
    if not dry_run and (config.claim_notes == "always" or (
            config.claim_notes == "auto" and vault_is_shared(vault, config_dir(vault)))):
        device = device_id(config.resolved_state_dir)
    options = RunOptions(dry_run=dry_run, retry_failed=retry_failed, device=device,
                         claim_settle=config.claim_settle_seconds,
                         claim_lease=timedelta(minutes=config.claim_lease_minutes))
    return Context(config=config, vault=vault, cache=Cache(config.resolved_cache_dir),
                   ledger=ledger, youtube=YouTubeClient.from_config(config), analyzer=analyzer,
                   options=options)


def _new(args: Args) -> int:
    from operator import attrgetter

    from ytvault.commands.new import create_notes, parse_urls
    from ytvault.commands.offline import until_unreachable
    from ytvault.commands.progress import Line
    from ytvault.config.settings import load_config
    from ytvault.vault.obsidian import new_note_folder

    config = load_config(args.config)
    _log_setup(args, config)
    vault = _vault(args.vault or config.vault, "pass --vault or set `vault` in config.toml")
    parse_urls(args.urls)  # a URL that is neither a video nor a playlist: nothing is done
    folder = new_note_folder(vault, args.folder if args.folder is not None
                             else config.new_note_folder)
    ctx = _context(config, vault)
    pending = 0

    def lines(out: Reporter) -> Iterator[Line]:
        nonlocal pending
        for made in until_unreachable(create_notes(ctx, args.urls, folder, expect=out.expect),
                                      attrgetter("unreachable"), attrgetter("status"),
                                      "ytvault new"):
            detail = made.detail + (f": {made.link}" if made.status == "skipped" and made.link
                                    else "")
            yield Line(made.status, ctx.rel(made.note) if made.note else made.url, detail,
                       {"url": made.url, "video_id": made.video_id, "link": made.link,
                        "analysis_pending": made.analysis_pending}, made.failure)
            pending += made.analysis_pending

    try:
        first = print_lines(args, "new notes", lines)
    finally:  # also when the run stopped early: YouTube unreachable
        key_hint(ctx, pending)
    return first_failure(first)


def _refresh(args: Args) -> int:
    from ytvault.commands.offline import until_unreachable
    from ytvault.commands.progress import Line
    from ytvault.commands.refresh import finished_notes, refresh
    from ytvault.config.settings import load_config
    from ytvault.pipeline.context import with_options

    config = load_config(args.config)
    _log_setup(args, config)
    if args.all and len(args.notes) == 1 and args.notes[0].is_dir() and args.vault is None:
        args.vault, args.notes = args.notes[0], []  # `refresh --all VAULT`: the vault
    if bool(args.notes) == args.all:
        raise ConfigError("name the notes to refresh, or pass --all (and the vault) for every "
                          "video note")
    paths = [p.expanduser().absolute() for p in args.notes]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path} is not a file: name the notes to refresh")
    root = args.vault or (_enclosing_vault(paths[0]) if paths else None) or config.vault
    vault = _vault(root, "pass --vault or set `vault` in config.toml")
    # no analyzer: refresh never calls the model (nor reads the prompt file)
    # the ledger is read even in a dry run: it says what ytvault wrote
    ctx = with_options(_context(config, vault, analyze=False), dry_run=args.dry_run)
    targets = list(finished_notes(vault)) if args.all else paths
    from operator import attrgetter

    done = until_unreachable(refresh(ctx, targets), attrgetter("unreachable"),
                             attrgetter("status"), "ytvault refresh" + " --all" * args.all)
    return first_failure(print_lines(args, "refreshing", lambda _: (
        Line(each.status, ctx.rel(each.note), each.detail, {"video_id": each.video_id})
        for each in done), len(targets)))


def _doctor(args: Args) -> int:
    from ytvault.commands import doctor

    _log_setup(args)
    checks = list(doctor.Doctor(config_path=args.config, vault=args.vault,
                                offline=args.offline).checks())
    if args.json:
        from ytvault.commands.scrub import printable_json

        print(printable_json(doctor.as_data(checks), indent=1))
    else:
        say(doctor.render(checks), sys.stdout)
    return doctor.exit_code(checks)


def _vault(path: Path | None, hint: str) -> Path:
    """`path` if it is a vault (vault/configdir.py, imported here: not for `--help`)."""
    from ytvault.vault.configdir import checked_vault

    return checked_vault(path, hint)


def _enclosing_vault(note: Path) -> Path | None:
    from ytvault.vault.configdir import enclosing_vault

    return enclosing_vault(note)


def _line(ctx: Context, outcome: Outcome) -> str:
    line = f"{outcome.status}: {ctx.rel(outcome.note)}"
    return f"{line} — {outcome.detail}" if outcome.detail else line


def _log_outcome(ctx: Context, outcome: Outcome, shown: bool = False) -> None:
    import logging

    line = _line(ctx, outcome)
    if shown:
        print(line, flush=True)
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    logging.getLogger("ytvault").log(level, "%s", line, extra={"printed": shown})
