"""What `sync --dry-run` and `process --dry-run` say after the notes' lines: how many notes a
run would fill, analyse and skip, and what the analyses would cost (pipeline/preview.py
estimates each); or that there is nothing to do."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ytvault.cost import PRICES_AS_OF, Usage, dollars
from ytvault.outcome import Outcome

WOULD_SKIP = "would skip"


def status_of(outcome: Outcome) -> str:
    """The word a dry run prints for a note: its skips are `would skip`."""
    return WOULD_SKIP if outcome.status == "skipped" else outcome.status


def summary(outcomes: Sequence[Outcome], model: str, key_env: str, has_key: bool = True
            ) -> tuple[str, dict[str, Any]]:
    """The summary line, and the same as a JSON object's fields."""
    counts = Counter(status_of(o) for o in outcomes)
    told = ", ".join(f"{counts[word]} {word}" for word in
                     ("would fill", "would add the analysis", WOULD_SKIP, "failed") if counts[word])
    analysed = [o for o in outcomes if o.status in ("would fill", "would add the analysis")
                and not o.analysis_pending]
    known = [o.usage for o in analysed if o.usage is not None]
    unknown = sum(o.usage is None and "not in the cache" in o.detail for o in analysed)
    total = Usage()
    for usage in known:
        total.add(model, usage.input_tokens, usage.output_tokens)
    fields: dict[str, Any] = {
        "status": "dry run", "counts": dict(counts), "analyses_estimated": len(known),
        "analyses_unknown": unknown, "estimated_tokens": total.input_tokens + total.output_tokens,
        "estimated_cost_usd": None if total.cost_usd is None else round(total.cost_usd, 4)}
    line = f"dry run, nothing written: {told or 'no notes'}"
    if not has_key and any(o.analysis_pending for o in outcomes):
        line += f"; no analysis would be made ({key_env} is not set)"
    elif known:
        what = "the analysis" if len(known) == 1 else f"the {len(known)} analyses"
        line += (f"; {what} would cost about {dollars(total.cost_usd)} "
                 f"({total.input_tokens + total.output_tokens:,} tokens estimated from the "
                 f"cached transcripts, {model} at list prices of {PRICES_AS_OF})")
    if unknown:
        line += (f"; {unknown} transcript(s) not in the cache: their analyses' cost is not "
                 "known until they are fetched")
    return line, fields


def print_summary(mode: str, outcomes: Sequence[Outcome], model: str, key_env: str,
                  has_key: bool) -> None:
    """The summary line after a dry run's notes, in the output mode of the notes' lines."""
    line, fields = summary(outcomes, model, key_env, has_key)
    if mode == "json":
        print(json.dumps({**fields, "detail": line}, ensure_ascii=False))
    elif mode != "quiet":
        print(line)


def print_nothing_to_do(mode: str, vault: Path) -> None:
    """A dry run with no stub says so, and how many notes are filled already."""
    filled = already_filled(vault)
    if mode == "json":
        print(json.dumps({"status": "nothing to do", "already_filled": filled}))
    elif mode != "quiet":
        print(f"nothing to do ({filled} note{'' if filled == 1 else 's'} already filled)")


def already_filled(vault: Path) -> int:
    """How many finished video notes the vault holds (a dry run with nothing to do says so)."""
    from ytvault.vault.index import describe
    from ytvault.vault.walk import iter_notes

    count = 0
    for path in iter_notes(vault):
        found = describe(path)
        count += found is not None and bool(found[1])
    return count
