"""Which JavaScript runtime yt-dlp may use to read YouTube's player: yt-dlp enables only deno
unless told (its `--js-runtimes RUNTIME[:PATH]` option, the `js_runtimes` parameter of its
Python API), so when deno is missing and node or bun is installed, ytvault tells it to use that.
"""

from __future__ import annotations

import functools
import shutil
from typing import Any

# yt-dlp's order of preference (deno, node, quickjs, bun), of those found by their command
_FALLBACKS = ("node", "bun")


@functools.cache
def fallback_runtime() -> tuple[str, str] | None:
    """(name, path) of the runtime ytvault enables for yt-dlp, None when deno is there (or
    nothing is): yt-dlp's default stands."""
    if shutil.which("deno"):
        return None
    for name in _FALLBACKS:
        path = shutil.which(name)
        if path:
            return name, path
    return None


def ytdlp_params() -> dict[str, Any]:
    """What to add to yt-dlp's parameters: `js_runtimes` for node or bun without deno."""
    runtime = fallback_runtime()
    return {"js_runtimes": {runtime[0]: {"path": runtime[1]}}} if runtime else {}
