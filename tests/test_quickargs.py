"""argv.py's reading of `status` and `sync` lines against argparse's (arguments.parse_args), the
reference: wherever quick_args answers, argparse accepts the line and gives the same namespace;
the lines people type most are answered; everything odd is left to argparse."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ytvault.commands.arguments import parse_args
from ytvault.commands.argv import quick_args

pytestmark = pytest.mark.unit

COMMANDS = ["status", "sync", "process", "watch", "doctor", "cache", "new", "refresh",
            "service", "bogus", "stat", "Sync", "sync "]
BEFORE = ["-v", "--verbose", "--json", "-q", "--quiet"]  # the global options, as written
SYNC = ["--dry-run", "--retry-failed", "--batch"]
AFTER = {"status": ["-v", "--verbose"], "sync": [*BEFORE, *SYNC]}  # what each takes after it
# what argparse reads otherwise, or refuses: abbreviations (--ver is --verbose or --version),
# `=` forms, help, combined flags, the end of options, other commands' options, negative numbers
ODD = ["--verb", "--ver", "--js", "--qui", "--conf", "--dry", "--retry", "--bat", "--he",
       "--verbose=1", "--json=x", "--config=cfg.toml", "--config=", "--dry-run=yes", "--", "-",
       "-h", "--help", "--version", "-vq", "-qv", "-vv", "-V", "--vault", "--offline", "--all",
       "-x", "-1", "-1.5", "-x y"]
# paths a person names, and paths argparse may read otherwise ("-V", "", "-x y")
PLAIN = st.sampled_from(["V", "my vault", "ünïcödé", "~/Vault", "/abs/path", "café/☃", "a=b",
                         "status", "sync", "V\n", " ", "="])
NAMES = st.one_of(PLAIN, st.text(min_size=1, max_size=12).filter(lambda t: t[0] != "-"))
PATHS = st.one_of(NAMES, st.sampled_from(["-V", "", "-1", "--V", "-x y", "--config", "-v",
                                          "--json", "-", "--", "\t"]),
                  st.text(max_size=12))


@st.composite
def plain_lines(draw: st.DrawFn, odd: bool) -> list[str]:
    """A line quick_args reads: `status` or `sync`, each of their options or not, before the
    command or after it, around the vault or not, in any order; if `odd`, with one token put
    in anywhere that argparse may read otherwise, or refuse."""
    command = draw(st.sampled_from(["status", "sync"]))
    before = draw(st.lists(st.sampled_from(BEFORE if command == "sync" else BEFORE[:2]),
                           max_size=2))
    for path in draw(st.lists(st.one_of(NAMES, PATHS), max_size=2)):
        before[draw(st.integers(0, len(before))):0] = ["--config", path]
    after = draw(st.lists(st.sampled_from(AFTER[command]), max_size=4))
    after += draw(st.lists(st.one_of(NAMES, PATHS), max_size=1))
    line = [*before, command, *draw(st.permutations(after))]
    if odd:
        token = draw(st.one_of(st.sampled_from([*ODD, "--config", *BEFORE, *SYNC]), PATHS))
        line.insert(draw(st.integers(0, len(line))), token)
    return line


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Any options before any command, any tokens after it."""
    before = st.one_of(st.sampled_from([*BEFORE, *ODD]).map(lambda t: [t]),
                       st.tuples(st.just("--config"), PATHS).map(list))
    after = st.one_of(st.sampled_from([*BEFORE, *SYNC, *ODD, "--config"]), PATHS)
    return [*(token for group in draw(st.lists(before, max_size=4)) for token in group),
            draw(st.sampled_from(COMMANDS)), *draw(st.lists(after, max_size=5))]


ANY_TOKENS = st.lists(st.one_of(st.sampled_from([*COMMANDS, *BEFORE, *SYNC, *ODD]), PATHS),
                      max_size=7)


def reference(argv: Sequence[str]) -> dict[str, object] | None:
    """argparse's namespace for `argv`, each value with its type; None where it refuses it
    (or prints help or the version) and exits."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return typed(parse_args(argv))
        except SystemExit:
            return None


def typed(namespace: object) -> dict[str, object]:
    # a Path where argparse has a Path, a bool where it has a bool (not 0 or "")
    return {name: (type(value), value) for name, value in vars(namespace).items()}


@settings(max_examples=500, deadline=None)
@given(st.one_of(plain_lines(odd=False), plain_lines(odd=True), command_lines(), ANY_TOKENS))
@example(["sync", "-v", "V"])
@example(["status", "V", "-v"])
@example(["--config", "status", "status"])
@example(["--config", "sync"])
@example(["--config", "F", "--config", "G", "sync", "V"])
@example(["-q", "sync", "--quiet", "V"])
@example(["--json", "sync", "--json"])
@example(["-q", "sync", "--json"])
@example(["sync", "V", "-q", "--json"])
@example(["--json", "status"])
@example(["status", "--", "V"])
@example(["sync", "V", "W"])
@example(["status", ""])
@example(["status", "-x y"])
def test_quick_args_reads_a_line_as_argparse_does_or_not_at_all(argv: list[str]) -> None:
    quick = quick_args(argv)
    if quick is not None:
        assert typed(quick) == reference(argv)


COMMON = [
    ["status"],
    ["status", "V"],
    ["status", "/home/me/My Vault"],
    ["status", "-v", "V"],
    ["status", "V", "-v"],
    ["status", "--verbose"],
    ["-v", "status", "V"],
    ["--config", "F", "status"],
    ["--config", "F", "status", "V"],
    ["--config", "F", "--config", "G", "status"],
    ["sync"],
    ["sync", "V"],
    ["sync", "~/Vault"],
    ["sync", "ünïcödé vault"],
    ["-v", "sync", "V"],
    ["--verbose", "sync"],
    ["sync", "-v", "V"],
    ["sync", "V", "-v"],
    ["sync", "V", "--dry-run"],
    ["sync", "--dry-run", "V"],
    ["sync", "--dry-run"],
    ["sync", "--json", "V"],
    ["sync", "V", "--json"],
    ["--json", "sync", "V"],
    ["--json", "sync", "--json"],
    ["-q", "sync", "V"],
    ["--quiet", "sync"],
    ["sync", "-q", "V"],
    ["sync", "V", "--quiet"],
    ["-q", "sync", "--quiet", "V"],
    ["sync", "V", "--retry-failed", "--batch"],
    ["sync", "--retry-failed", "V"],
    ["sync", "--batch"],
    ["sync", "-v", "--dry-run", "V"],
    ["sync", "-q", "-v", "V", "--retry-failed"],
    ["--config", "F", "-v", "sync", "V", "--dry-run"],
    ["--config", "status", "sync"],
]


@pytest.mark.parametrize("argv", COMMON, ids=" ".join)
def test_the_lines_people_type_take_the_quick_path(argv: list[str]) -> None:
    quick = quick_args(argv)
    assert quick is not None
    assert typed(quick) == reference(argv)


def test_paths_are_paths_and_options_their_defaults() -> None:
    quick = quick_args(["--config", "c.toml", "sync", "V"])
    assert vars(quick) == {"config": Path("c.toml"), "verbose": False, "json": False,
                           "quiet": False, "command": "sync", "vault": Path("V"),
                           "dry_run": False, "retry_failed": False, "batch": False}
    assert vars(quick_args(["status"])) == {"config": None, "verbose": False, "json": False,
                                            "quiet": False, "command": "status", "vault": None}


def test_one_odd_token_anywhere_in_a_plain_line() -> None:
    """Each odd token at each place in each of the lines above, all of them: a drawn line holds
    a given token in a given place too rarely to catch one read wrong (`--` taken as an option)."""
    for base in COMMON:
        for token in [*ODD, "--config", *BEFORE, *SYNC, "", "V", "sync"]:
            for at in range(len(base) + 1):
                argv = [*base[:at], token, *base[at:]]
                quick = quick_args(argv)
                assert quick is None or typed(quick) == reference(argv), argv


DECLINED = [
    [],
    ["--help"],
    ["status", "-h"],
    ["sync", "V", "--help"],
    ["--version"],
    ["process", "n.md"],
    ["watch", "V"],
    ["doctor"],
    ["sync", "--", "V"],  # argparse takes it; the end of options is its to read
    ["status", "--", "-V"],
    ["sync", "--dry", "V"],  # an abbreviation argparse would take
    ["--verb", "status"],
    ["--config=F", "status"],
    ["--conf", "F", "status"],
    ["sync", "-vq"],
    ["--config", "-F", "status"],  # argparse: expected one argument
    ["--config"],
    ["--config", "", "status"],
    ["status", ""],
    ["status", "-V"],
    ["status", "-x y"],  # argparse reads it as a path (it has a space); left to it
    ["sync", "V", "W"],
    ["status", "--json"],
    ["-q", "status"],
    ["--json", "status", "V"],
    ["-q", "sync", "--json"],
    ["sync", "--json", "--quiet"],
    ["sync", "--config", "F"],
    ["status", "--dry-run"],
]


@pytest.mark.parametrize("argv", DECLINED, ids=" ".join)
def test_everything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert quick_args(argv) is None
