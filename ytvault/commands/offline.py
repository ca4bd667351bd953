"""Stop a run when YouTube cannot be reached: offline, every note would otherwise wait out its
turn at YouTube (`fetch_pause_seconds`) only to fail the same way. After a few network errors in
a row the run stops; the notes not tried yet are left as they are, for the next run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ytvault.errors import YouTubeUnreachable

IN_A_ROW = 3  # one failure may be a blip; three in a row, with nothing between, is no network

T = TypeVar("T")


def until_unreachable(results: Iterable[T], unreachable: Callable[[T], bool],
                      status: Callable[[T], str], again: str) -> Iterator[T]:
    """`results` as they come, until IN_A_ROW of them in a row failed because YouTube could
    not be reached: then the run behind them is closed (its notes not started stay as they
    are) and YouTubeUnreachable says so. A note filled in between does not break the row (it
    may come from the cache); one that failed otherwise does (YouTube answered). `again`: the
    command that takes up the rest."""
    row = 0
    running = iter(results)
    try:
        for result in running:
            yield result
            if unreachable(result):
                row += 1
            elif status(result) == "failed":  # YouTube answered: some other trouble
                row = 0
            if row >= IN_A_ROW:
                raise YouTubeUnreachable(
                    f"YouTube cannot be reached ({row} network errors in a row): stopped; the "
                    f"notes not tried yet are left as they were. Check the connection (or the "
                    f"proxy), then run `{again}` again")
    finally:
        close = getattr(running, "close", None)
        if close is not None:  # a generator: end its run now (it cancels what is queued)
            close()
