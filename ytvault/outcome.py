"""What processing a note comes to: filled, skipped or failed, and why. Every stage may end a
note's way with one, from the scan (a note it cannot read) to the write."""

from __future__ import annotations

from ytvault.records import NamedTuple

TYPE_CHECKING = False  # no `typing` at run time: a scan that skips a note makes an Outcome
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal

    from ytvault.cost import Usage

    # a dry run's notes are "would fill" or "would add the analysis" (its skips are skipped)
    Status = Literal["filled", "skipped", "failed", "would fill", "would add the analysis"]


class Outcome(NamedTuple):
    note: Path
    status: Status
    detail: str = ""
    video_id: str = ""
    analysis_pending: bool = False  # filled, but waiting for an API key (or a batch)
    usage: Usage | None = None  # the tokens and estimated cost of its model calls
    # Why its analysis failed, or the key was refused, though the note was written: the run
    # exits 1 all the same.
    failure: str = ""
    unreachable: bool = False  # failed because YouTube could not be reached at all
