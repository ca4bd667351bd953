"""The command line's commands, options and help texts; cli.py runs them. The README's table
of commands is checked against these (tests/test_docs.py). argv.py reads the plain `status` and
`sync` lines without argparse: an option added to either here must be added there too
(tests/test_quickargs.py fails until it is).

A command's options are added only once it is chosen (`_Commands`): every start parses the
command line, and adding the ~40 options of all nine commands was a tenth of `--help`'s
start-up. Neither `pathlib` nor `typing` is imported here, for the same reason.
"""

from __future__ import annotations

import argparse
import os
import sys

from ytvault import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any


class _Formatter(argparse.HelpFormatter):
    """argparse's, told the terminal's width the way `shutil.get_terminal_size` finds it.
    argparse makes one for every argument added (to check its metavar), and its own imports
    shutil (with bz2, lzma, fnmatch) to ask, at every command's start-up."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _columns() - 2)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    stdout = sys.__stdout__
    try:
        return os.get_terminal_size(stdout.fileno()).columns or 80 if stdout else 80
    except (ValueError, OSError):  # not a terminal
        return 80


VERBOSE_HELP = "log what happens, step by step"


def _path(text: str) -> Path:
    """A path argument (argparse's `type`): pathlib is imported only when one is given."""
    from pathlib import Path

    return Path(text)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser using `_Formatter`, as are its sub-commands (argparse makes those of
    the parser's own class), and asking the terminal's width once, not once per argument."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        self._width: int | None = None
        super().__init__(*args, **kwargs)

    def _get_formatter(self) -> argparse.HelpFormatter:
        if self.formatter_class is not _Formatter:
            return super()._get_formatter()
        if self._width is None:
            self._width = _columns() - 2
        return _Formatter(prog=self.prog, width=self._width)


class _Command(_Parser):
    """A command's parser: it takes -v after the command's name too (`ytvault sync -v`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                          help=VERBOSE_HELP)


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """argparse's sub-commands, each made, with its options, only when it is the one run (or
    its `--help` asked for): the listing in `ytvault --help` needs only names and help texts.
    Uses argparse's own bookkeeping (`_name_parser_map`, `_ChoicesPseudoAction`), as
    `add_parser` does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[str, tuple[Callable[[argparse.ArgumentParser], None],
                                       dict[str, Any]]] = {}

    def add(self, name: str, options: Callable[[argparse.ArgumentParser], None], *,
            help: str, **kwargs: Any) -> None:
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), help))
        self._name_parser_map[name] = None  # a choice; its parser is made when it is chosen
        self._pending[name] = (options, kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        name = values[0] if isinstance(values, list) and values else None
        if isinstance(name, str) and name in self._pending:
            options, kwargs = self._pending.pop(name)
            command = self._parser_class(prog=f"{self._prog_prefix} {name}", **kwargs)
            options(command)
            self._name_parser_map[name] = command
        super().__call__(parser, namespace, values, option_string)


_PRINTS_JSON = ("sync", "process", "new", "refresh", "doctor")
_PRINTS_QUIET = ("sync", "process", "new", "refresh")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, parsed; -q and --json (given before the command or after it) only
    where they mean something, and not both."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json and args.quiet:
        parser.error("-q and --json cannot be used together")
    for flag, given, commands in (("--json", args.json, _PRINTS_JSON),
                                  ("-q", args.quiet, _PRINTS_QUIET)):
        if given and args.command not in commands:
            parser.error(f"{flag} works with {', '.join(commands)}, not {args.command}")
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ytvault",
        description="Turn YouTube URLs pasted into Obsidian notes into full video notes.",
    )
    parser.add_argument("--version", action="version", version=f"ytvault {__version__}")
    parser.add_argument("--config", type=_path, metavar="FILE",
                        help="config file (default: $YTVAULT_CONFIG, else the user config dir)")
    # -v, -q and --json are taken before the command or after it (`ytvault sync -v`): the
    # commands' own copies default to SUPPRESS, so they never overwrite the ones given before
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, for "
                        "scripts (sync, process, new, refresh, doctor)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only failures (sync, process, new, refresh)")
    parser.register("action", "parsers", _Commands)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=_Command)
    assert isinstance(commands, _Commands)
    commands.add("sync", _sync, help="fill every stub note in a vault once",
                 description="Fill every stub note in the vault once.")
    commands.add("process", _process, help="fill the named notes",
                 description="Fill the named stub notes.")
    commands.add(
        "watch", _watch, help="fill stubs as they appear (the daemon the login service runs)",
        description="Scan the vault, then fill stubs as they are created or changed, until "
                    "SIGINT or SIGTERM.")
    commands.add("status", _status, help="what is pending, failed and done",
                 description="Show pending, failed and done notes, the last activity and "
                             "whether a daemon is running.")
    commands.add(
        "service", _service,
        help="install, remove or check the login service that runs `watch`",
        description="Install, remove or check the per-user login service that runs "
                    "`ytvault watch VAULT` (systemd user unit, launchd agent, Windows Run entry).")
    commands.add(
        "new", _new,
        help="create and fill a note for each video URL (a playlist: each video)",
        description="Create a note for each YouTube video, named after its title, in "
                    "`new_note_folder` (default: Obsidian's location for new notes), and fill "
                    "it. A playlist URL (youtube.com/playlist?list=…) gives one note per video. "
                    "Videos that already have a note in the vault are skipped.")
    commands.add(
        "refresh", _refresh,
        help="update title, subscribers, chapters… of finished notes from YouTube",
        description="Fetch the videos' metadata again and update what changed on YouTube "
                    "(title, channel, subscribers, length, chapters, hashtags) in finished "
                    "notes. The analysis, and every property you edited, stay as they are.")
    commands.add(
        "doctor", _doctor, help="check the setup and say how to fix what is wrong",
        description="Check the config, the vault and its Obsidian settings, the API key and "
                    "the API, YouTube, yt-dlp and its JavaScript runtime, and the login "
                    "service. Exit code 0: nothing is broken; 1: something is.")
    commands.add(
        "cache", _cache, help="prune the cache of videos no note needs",
        description="Manage the cache of fetched videos (metadata, transcript, thumbnail).")
    return parser


def _sync(sync: argparse.ArgumentParser) -> None:
    sync.add_argument("vault", nargs="?", type=_path, metavar="VAULT",
                      help="the vault folder (default: `vault` from the config)")
    _add_run_options(sync)
    sync.add_argument("--batch", action="store_true",
                      help="send the analyses as a Message Batch (half price, within 24 hours): "
                           "notes get their properties now and their analysis when it ends; "
                           "run it again to resume waiting for a batch")


def _process(process: argparse.ArgumentParser) -> None:
    process.add_argument("notes", nargs="+", type=_path, metavar="NOTE")
    process.add_argument("--vault", type=_path, metavar="VAULT",
                         help="the vault the notes are in (default: the folder holding "
                              "`.obsidian` above them, else `vault` from the config)")
    _add_run_options(process)


def _watch(watch: argparse.ArgumentParser) -> None:
    watch.add_argument("vault", nargs="?", type=_path, metavar="VAULT",
                       help="the vault folder (default: `vault` from the config)")
    watch.add_argument("--env-file", type=_path, metavar="FILE",
                       help="KEY=VALUE lines to add to the environment first "
                            "(how the login service passes the API key)")
    watch.add_argument("--launchd", action="store_true",
                       help="exit 0, not 1 or 2, when a restart would not help (another "
                            "watcher, a config error): launchd's KeepAlive restarts every "
                            "other exit (the macOS login service passes it)")


def _status(status: argparse.ArgumentParser) -> None:
    status.add_argument("vault", nargs="?", type=_path, metavar="VAULT",
                        help="the vault folder (default: `vault` from the config)")


def _service(service: argparse.ArgumentParser) -> None:
    actions = service.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("install", "write the login entry and start it"),
                         ("uninstall", "stop it and remove every file install wrote"),
                         ("status", "is it installed, is it running, where are its logs")):
        cmd = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        if action == "install":
            cmd.add_argument("vault", nargs="?", type=_path, metavar="VAULT",
                             help="the vault to watch (default: `vault` from the config)")
        cmd.add_argument("--dry-run", action="store_true",
                         help="print the files and commands; write and run nothing")
        cmd.add_argument("--platform", choices=("linux", "macos", "windows"),
                         help="render for this platform (default: this one; others need "
                              "--dry-run)")


def _add_run_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--dry-run", action="store_true",
                     help="list what would be filled; write, fetch and call nothing")
    cmd.add_argument("--retry-failed", action="store_true",
                     help="try again notes that failed permanently or wait for a premiere")
    _add_output_options(cmd)


def _add_output_options(cmd: argparse.ArgumentParser) -> None:
    out = cmd.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                     help="one JSON object per note, one per line (for scripts)")
    out.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                     help="print only failures")


def _new(new: argparse.ArgumentParser) -> None:
    new.add_argument("urls", nargs="+", metavar="URL")
    new.add_argument("--vault", type=_path, metavar="VAULT",
                     help="the vault (default: `vault` from the config)")
    new.add_argument("--folder", metavar="FOLDER",
                     help="the folder, from the vault root, for the new notes "
                          "(default: `new_note_folder`)")
    _add_output_options(new)


def _refresh(refresh: argparse.ArgumentParser) -> None:
    refresh.add_argument("notes", nargs="*", type=_path, metavar="NOTE")
    refresh.add_argument("--all", action="store_true",
                         help="every finished video note in the vault")
    refresh.add_argument("--vault", type=_path, metavar="VAULT",
                         help="the vault (default: the folder holding `.obsidian` above the "
                              "notes, else `vault` from the config)")
    refresh.add_argument("--dry-run", action="store_true",
                         help="say what would change; write nothing")
    _add_output_options(refresh)


def _doctor(doctor: argparse.ArgumentParser) -> None:
    doctor.add_argument("vault", nargs="?", type=_path, metavar="VAULT",
                        help="the vault (default: `vault` from the config)")
    doctor.add_argument("--offline", action="store_true",
                        help="skip the checks that need the network")
    doctor.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="the checks as JSON")


def _cache(cache: argparse.ArgumentParser) -> None:
    actions = cache.add_subparsers(dest="action", metavar="ACTION", required=True)
    prune = actions.add_parser(
        "prune", help="remove cached videos no note needs that were fetched long ago",
        description="Remove the cached videos that were not fetched for --older-than days "
                    "and that no note still needs (a stub, an analysis pending, a premiere "
                    "or a retry keeps its video). A removed video is fetched again if a note "
                    "asks for it.")
    prune.add_argument("--older-than", type=_days, default=90.0, metavar="DAYS",
                       help="only videos fetched more than DAYS days ago (default: 90; 0: "
                            "every video no note needs)")
    prune.add_argument("--vault", type=_path, metavar="VAULT",
                       help="the vault whose stubs keep their videos (default: `vault` from "
                            "the config)")
    prune.add_argument("--dry-run", action="store_true",
                       help="list what would be removed; remove nothing")


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not days >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days, 0 or more")
    return days
