"""`ytvault cache prune`: remove the cached videos (metadata, transcript, thumbnail) that no
note needs any more and that were not fetched for a while. A filled note needs nothing from
the cache (its thumbnail is a copy in the vault); a note still to fill, or waiting for its
analysis, a premiere or a retry, does: those videos are always kept.

A pruned video is fetched again if a note asks for it later; the cache is also how tests and
benchmarks run offline, so prune only the cache ytvault uses (`cache_dir`).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ytvault.config.settings import Config

DAY = 86_400.0


@dataclass(frozen=True)
class Pruned:
    """What a prune found and did (or, dry, would do)."""

    root: Path
    videos: int  # video folders in the cache before
    size: int  # their bytes before
    removed: list[tuple[str, int]] = field(default_factory=list)  # (video id, bytes)
    needed: int = 0  # kept: a note still needs them
    recent: int = 0  # kept: fetched within the period


def prune_cache(config: Config, vault: Path, older_than_days: float, *,
                dry_run: bool) -> list[str]:
    """Prune `config`'s cache, keeping what `vault` and the ledger need: the lines to print."""
    pruned = prune(config.resolved_cache_dir, needed_videos(config, vault),
                   older_than_days=older_than_days, dry_run=dry_run)
    return report(pruned, older_than_days=older_than_days, dry_run=dry_run)


def needed_videos(config: Config, vault: Path | None) -> set[str]:
    """The videos notes still need: the stubs of `vault` (any kind: to fill, analysis
    pending, waiting, failed), and whatever the ledger says is not finished, in every vault."""
    needed: set[str] = set()
    if vault is not None:
        from ytvault.vault.scan import Found, scan_vault

        for _, read in scan_vault(vault, tidy=False):
            if isinstance(read, Found):
                needed.add(read.stub.video_id)
    db = config.resolved_state_dir / "ledger.sqlite3"
    if db.exists():
        from ytvault.pipeline.ledger import Ledger

        needed |= Ledger(db).unfinished_videos()
    return needed


def prune(root: Path, needed: set[str], *, older_than_days: float, dry_run: bool,
          now: float | None = None) -> Pruned:
    """Remove the video folders under `root`/videos whose newest file is older than
    `older_than_days` and that are not `needed`."""
    now = time.time() if now is None else now
    videos = root / "videos"
    folders = sorted(p for p in videos.iterdir() if p.is_dir()) if videos.is_dir() else []
    removed: list[tuple[str, int]] = []
    needed_count = recent = size = 0
    for folder in folders:
        files = [p for p in folder.rglob("*") if p.is_file()]
        used = sum(p.stat().st_size for p in files)
        size += used
        newest = max((p.stat().st_mtime for p in files), default=0.0)
        if folder.name in needed:
            needed_count += 1
        elif now - newest < older_than_days * DAY:
            recent += 1
        else:
            if not dry_run:
                shutil.rmtree(folder, ignore_errors=True)
            removed.append((folder.name, used))
    return Pruned(root, len(folders), size, removed, needed_count, recent)


def report(pruned: Pruned, *, older_than_days: float, dry_run: bool) -> list[str]:
    """One line per video removed, then the summary."""
    verb = "would remove" if dry_run else "removed"
    lines = [f"{verb}: {vid} ({_size(used)})" for vid, used in pruned.removed]
    freed = sum(used for _, used in pruned.removed)
    average = f", {_size(pruned.size // pruned.videos)} a video" if pruned.videos else ""
    lines.append(
        f"cache {pruned.root}: {pruned.videos} videos, {_size(pruned.size)}{average}; "
        f"{verb} {len(pruned.removed)} ({_size(freed)}) not fetched for {older_than_days:g} "
        f"days; kept {pruned.needed} that notes still need and {pruned.recent} fetched since")
    return lines


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if n < scale * 1000:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e9:.2f} GB"
