"""A dry run's answer for one stub: what a real run would do to it (`would fill`, `would add the
analysis`, `would skip`) and what its analysis would cost, from what is at hand: the note, the
cache and the config. Nothing is fetched, written or called.

The cost is an estimate: the transcript's tokens (tokens.estimate_tokens, as the analyzer
counts them for the model in use) plus ytvault's own instructions, and a typical answer's
length, at the model's list price (cost.py). A transcript not in the cache has no estimate.
"""

from __future__ import annotations

import math
from pathlib import Path

from ytvault.analysis.tokens import default_input_budget, estimate_tokens
from ytvault.cost import Usage
from ytvault.models import Video
from ytvault.note.parse import Kind, Stub
from ytvault.outcome import Outcome
from ytvault.pipeline.context import Context, videos

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ytvault.outcome import Status

# The system text, the answer's schema, the <video> block and the request's wording, per
# request (docs/analysis.md: about 1,130 tokens for the seed video).
INSTRUCTION_TOKENS = 1_150
# What one answer takes: a summary and eight lists for a talk of an hour or so.
ANSWER_TOKENS = 2_000


def preview(ctx: Context, path: Path, stub: Stub) -> Outcome:
    """What a run would do to a stub `judge` let through. `usage`: the analysis's estimated
    tokens and cost; None when there is no analysis or its transcript is not cached."""
    status: Status = "would add the analysis" if stub.kind is Kind.ANALYSIS else "would fill"
    if stub.kind is not Kind.ANALYSIS and ctx.config.duplicates == "skip":
        found = videos(ctx).notes(stub.video_id, finished=True, exclude=path)
        if found:
            return Outcome(path, "skipped", f"this video already has a note: {ctx.rel(found[0])}",
                           stub.video_id)
    info = ctx.cache.read_info(stub.video_id)
    video = Video.from_info(info) if info is not None else None
    if video is not None and video.is_upcoming:
        return Outcome(path, "skipped", "upcoming premiere: filled after it airs", stub.video_id)
    said = [video.title] if video is not None else []
    if not analyzes(ctx):
        said.append(f"no analysis: {ctx.config.api_key_env} is not set")
        return Outcome(path, status, "; ".join(said), stub.video_id, analysis_pending=True)
    transcript = ctx.cache.read_transcript(stub.video_id)
    if transcript is None:
        said.append("transcript not in the cache: the analysis's cost is not known")
        return Outcome(path, status, "; ".join(said), stub.video_id)
    if transcript.is_empty:
        said.append("no transcript, so no analysis")
        return Outcome(path, status, "; ".join(said), stub.video_id)
    usage = estimate_analysis(ctx, estimate_tokens(transcript.text, ctx.config.model))
    said.append(f"analysis about {usage.input_tokens + usage.output_tokens:,} tokens")
    return Outcome(path, status, "; ".join(said), stub.video_id, usage=usage)


def analyzes(ctx: Context) -> bool:
    """Whether this run makes the analyses: it has an analyzer, or it is a dry run (which has
    none) with a key, and the key was not refused."""
    if ctx.run.analysis_refused:
        return False
    return ctx.analyzer is not None or (ctx.options.dry_run and bool(ctx.config.api_key()))


def estimate_analysis(ctx: Context, transcript_tokens: int) -> Usage:
    """The tokens and cost an analysis of a transcript of `transcript_tokens` would take: one
    request, or one per part and one to merge them when it is over the input budget."""
    config = ctx.config
    budget = config.input_token_budget or default_input_budget(config.model,
                                                               config.max_output_tokens)
    parts = max(1, math.ceil(transcript_tokens / max(budget - INSTRUCTION_TOKENS, 1)))
    usage = Usage()
    per_part = math.ceil(transcript_tokens / parts)
    for _ in range(parts):
        usage.add(config.model, per_part + INSTRUCTION_TOKENS, ANSWER_TOKENS)
    if parts > 1:  # the merge reads every part's answer
        usage.add(config.model, parts * ANSWER_TOKENS + INSTRUCTION_TOKENS, ANSWER_TOKENS)
    return usage
