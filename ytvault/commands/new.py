"""`ytvault new URL…`: a new note per video, named after its title, in the configured folder,
filled by the pipeline; a playlist URL gives one note per video.

A video that already has a note in the vault (by video id) is skipped and reported with a link
to that note. Videos fetched from YouTube are paced (`fetch_pause_seconds`, varied), so a long
playlist does not get the IP blocked. A note is filled under a hidden name
(`.<id>.ytvault-new-<pid>.md`: Obsidian, sync tools and a running `ytvault watch` pass over
dot-files) and put in place when done, so a watcher never fills the same note twice. The
hidden note of a run that died is taken over by the next `ytvault new` of the same video, and
finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ytvault.errors import ConfigError, FetchError, NoteSkipped, YouTubeUnreachable
from ytvault.note.ids import playlist_id, video_id
from ytvault.pipeline.context import Context, paced, videos, with_options
from ytvault.pipeline.fetch import fetch_video
from ytvault.pipeline.run import process_note
from ytvault.vault import names, obsidian
from ytvault.vault.leftovers import process_running

if TYPE_CHECKING:
    from ytvault.models import Video

HIDDEN_MARK = ".ytvault-new-"


@dataclass(frozen=True)
class Created:
    url: str
    video_id: str
    status: str  # filled | created (not filled yet: a premiere) | skipped | failed
    note: Path | None  # the new note, or the one that already holds the video
    detail: str = ""
    link: str = ""  # obsidian://open… of `note`
    analysis_pending: bool = False
    failure: str = ""  # the analysis failed (Outcome.failure): the run exits 1
    unreachable: bool = False  # failed because YouTube could not be reached at all


Target = tuple[str, str, str]  # (url, "video" | "playlist", id)


def parse_urls(urls: Sequence[str]) -> list[Target]:
    """Each URL as a video or a playlist; ConfigError naming the ones that are neither."""
    targets: list[Target] = []
    bad: list[str] = []
    for url in urls:
        vid, plist = video_id(url), playlist_id(url)
        if vid is not None:
            targets.append((url, "video", vid))
        elif plist is not None:
            targets.append((url, "playlist", plist))
        else:
            bad.append(url)
    if bad:
        raise ConfigError(f"not a YouTube video or playlist URL: {', '.join(bad)} (a playlist "
                          "is youtube.com/playlist?list=…)")
    return targets


def create_notes(ctx: Context, urls: Sequence[str], folder: Path, *,
                 expect: Callable[[int], None] | None = None,
                 sleep: Callable[[float], object] | None = None) -> Iterator[Created]:
    """Create and fill a note per video of `urls` in `folder`; results as they finish.

    `expect(n)` is told how many videos there are once the playlists are listed. What is not
    in the cache is fetched paced (`ctx.fetch_pace`, made for the run if there is none;
    `sleep` is its wait).
    """
    targets = parse_urls(urls)
    # A note being created is hidden: no other device can see it, so no claim is needed (and
    # none of the claim's settle time is spent).
    ctx = with_options(ctx, device=None)
    wanted: dict[str, str] = {}  # video id → the URL its note will hold
    for url, kind, ident in targets:
        if kind == "video":
            wanted.setdefault(ident, url)
            continue
        try:
            listed = ctx.youtube.list_playlist(ident)
        except FetchError as exc:
            if expect is not None:
                expect(1)
            yield Created(url, "", "failed", None, f"cannot list the playlist: {exc}",
                          unreachable=isinstance(exc, YouTubeUnreachable))
            continue
        if not listed and expect is not None:
            expect(1)
        if not listed:
            yield Created(url, "", "skipped", None, "the playlist has no videos")
        for vid in listed:
            wanted.setdefault(vid, f"https://www.youtube.com/watch?v={vid}")
    if expect is not None:
        expect(len(wanted))
    index = videos(ctx)
    ctx, pace = paced(ctx, sleep)
    try:
        with ThreadPoolExecutor(max_workers=ctx.config.concurrency,
                                thread_name_prefix="new") as pool:
            running: list[Future[Created]] = []
            for vid, url in wanted.items():
                yield from _finished(running)
                if ctx.run.stopping.is_set():
                    break
                existing = index.notes(vid)
                if existing:
                    yield Created(url, vid, "skipped", existing[0], "already in the vault",
                                  obsidian.open_uri(ctx.vault, existing[0]))
                    continue
                try:
                    video = fetch_video(ctx, vid)
                except FetchError as exc:
                    yield Created(url, vid, "failed", None, f"{exc}; no note was created",
                                  unreachable=isinstance(exc, YouTubeUnreachable))
                    continue
                except NoteSkipped:  # the run is stopping: its turn at YouTube never came
                    break
                running.append(pool.submit(_create, ctx, url, video, folder))
            for future in running:
                yield future.result()
    except (KeyboardInterrupt, GeneratorExit):
        pace.halt()  # no note waits out its turn at YouTube on the way out
        raise


def _finished(running: list[Future[Created]]) -> Iterator[Created]:
    """The results ready so far, in order, without waiting for the others."""
    while running and running[0].done():
        yield running.pop(0).result()


def _create(ctx: Context, url: str, video: Video, folder: Path) -> Created:
    folder.mkdir(parents=True, exist_ok=True)
    hidden = folder / f".{video.id}{HIDDEN_MARK}{os.getpid()}.md"
    earlier = _earlier_run(folder, video.id)
    if earlier is not None and process_running(earlier[1]):
        return Created(url, video.id, "skipped", None,
                       "another `ytvault new` is creating this note right now")
    if earlier is not None:  # that run died: take its note over, filled or not, and finish it
        os.replace(earlier[0], hidden)
    else:
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(url + "\n")
    try:
        outcome = process_note(ctx, hidden)
    finally:
        note = _put_in_place(ctx, hidden, names.safe_stem(video.title, video.id))
    if note is None:
        return Created(url, video.id, "failed", None, "the new note vanished while it was "
                       "filled")
    videos(ctx).add(video.id, note)
    link = obsidian.open_uri(ctx.vault, note)
    if outcome is None and earlier is not None:
        return Created(url, video.id, "filled", note,
                       f"{video.title}; finished from an interrupted run", link)
    if outcome is None or outcome.status == "skipped":  # a premiere to wait for, say
        why = outcome.detail if outcome is not None else "not filled yet"
        return Created(url, video.id, "created", note, f"{video.title}; {why}", link,
                       failure=outcome.failure if outcome is not None else "")
    detail = outcome.detail
    if outcome.status == "failed":
        detail += "; the note keeps the URL and the next `ytvault sync` fills it"
    return Created(url, video.id, outcome.status, note, detail, link, outcome.analysis_pending,
                   outcome.failure)


def _earlier_run(folder: Path, vid: str) -> tuple[Path, int] | None:
    """The hidden note of another `ytvault new` of this video, and that run's pid."""
    for path in folder.glob(f".{vid}{HIDDEN_MARK}*.md"):
        pid = path.name[len(f".{vid}{HIDDEN_MARK}"):-len(".md")]
        if pid.isdigit():
            return path, int(pid)
    return None


def _put_in_place(ctx: Context, hidden: Path, stem: str) -> Path | None:
    """Give the hidden note its real name (a free one: `Title 1.md` if `Title.md` is taken)."""
    for _ in range(5):
        target = names.free_path(hidden.parent, stem)
        try:
            names.move_no_clobber(hidden, target)
        except FileExistsError:
            continue  # someone took that name in the meantime: pick the next one
        except FileNotFoundError:
            return None
        ctx.ledger.move(ctx.vault, ctx.rel(hidden), ctx.rel(target))
        if ctx.options.on_write is not None:
            ctx.options.on_write(target)
        return target
    return None
