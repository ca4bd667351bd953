"""What a run prints after its notes' lines, and its exit code: the lines themselves (through
progress.py's Reporter), what failed first, the API key hint and what the analyses cost. Every
line passes scrub.py on its way out."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # cli.py imports this module at start-up: no `typing` for `--help`
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any

    from ytvault.commands.argv import Args
    from ytvault.commands.progress import Line, Mode, Reporter
    from ytvault.cost import Usage
    from ytvault.outcome import Outcome
    from ytvault.pipeline.context import Context

EXIT_OK, EXIT_FAILED = 0, 1


def report_outcomes(ctx: Context,
                    outcomes: Callable[[Context, Reporter], Iterable[Outcome]],
                    args: Args, expected: int = 0) -> int:
    """Print the `outcomes` of a run of `ctx` (given the Reporter the lines go to) as they
    come, then the key hint and what the analyses cost; returns the exit code."""
    from operator import attrgetter

    from ytvault.commands import dryrun
    from ytvault.commands.offline import until_unreachable
    from ytvault.commands.progress import Line
    from ytvault.pipeline.context import with_options

    pending = 0
    spent: list[Usage] = []
    seen: list[Outcome] = []
    dry = ctx.options.dry_run

    def lines(out: Reporter) -> Iterator[Line]:
        nonlocal pending
        # `sync` tells of each note it queues, so the bar knows how many there are
        for outcome in until_unreachable(
                outcomes(with_options(ctx, on_queue=lambda _: out.expect()), out),
                attrgetter("unreachable"), attrgetter("status"), f"ytvault {args.command}"):
            usage = outcome.usage
            # a dry run's usage is an estimate, said as such
            yield Line(dryrun.status_of(outcome) if dry else outcome.status,
                       ctx.rel(outcome.note), outcome.detail,
                       {"video_id": outcome.video_id, "analysis_pending": outcome.analysis_pending,
                        "estimated_usage" if dry else "usage": usage.as_json() if usage else None},
                       outcome.failure)
            pending += outcome.analysis_pending
            spent.extend([usage] if usage and not dry else [])
            seen.append(outcome)

    try:
        first = print_lines(args, "filling", lines, expected)
    finally:  # a run stopped early (YouTube unreachable) still says what it paid for
        if not dry:
            key_hint(ctx, pending)
            if spent and output_mode(args) == "auto":
                cost_line(spent)
    if dry:
        dryrun.print_summary(output_mode(args), seen, ctx.config.model, ctx.config.api_key_env,
                             bool(ctx.config.api_key()))
    return first_failure(first)


def print_lines(args: Args, label: str,
                lines: Callable[[Reporter], Iterable[Line]], expected: int = 0) -> str:
    """Print each of `lines(reporter)` as --json, -q or the default asks; return what failed
    first (a note, or a note's analysis), "" when nothing did."""
    from ytvault.commands.progress import Reporter

    first = ""
    with Reporter(output_mode(args), label=label) as out:
        out.expect(expected)
        for line in lines(out):
            out.line(line)
            if not first and (line.status == "failed" or line.failure):
                first = f"{line.subject}: {line.failure or line.detail}"
    return first


def first_failure(first: str) -> int:
    """The exit code of a run, 1 when something failed: then its last line says what failed
    first."""
    if not first:
        return EXIT_OK
    print(f"ytvault: failed first: {first}", file=sys.stderr)
    return EXIT_FAILED


def cost_line(spent: Sequence[Any]) -> None:
    from ytvault.cost import dollars

    costs = [u.cost_usd for u in spent]
    total = None if None in costs else sum(c for c in costs if c is not None)
    tokens_in = sum(u.input_tokens + u.cache_write_tokens + u.cache_read_tokens for u in spent)
    say(f"ytvault: {len(spent)} analyses, {tokens_in:,} tokens in, "
          f"{sum(u.output_tokens for u in spent):,} out: about {dollars(total)} "
          "(`ytvault status` has the totals)")


def key_hint(ctx: Context, pending: int) -> None:
    if pending and ctx.analyzer is None and not ctx.options.dry_run:
        say(f"ytvault: {ctx.config.api_key_env} is not set: {pending} note(s) got their "
             "properties and thumbnail; set it and run `ytvault sync` again to add the analysis.")
    elif ctx.run.analysis_refused:
        say(f"ytvault: {ctx.run.analysis_refused}")


def output_mode(args: Args) -> Mode:
    if getattr(args, "json", False):
        return "json"
    return "quiet" if getattr(args, "quiet", False) else "auto"


def say(text: str, file: Any = None) -> None:
    """Print `text` (stderr unless `file`) as safe lines: no key, no control characters."""
    from ytvault.commands.scrub import printable_lines

    print(printable_lines(text), file=file or sys.stderr)
