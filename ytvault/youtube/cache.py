"""The on-disk cache of what was fetched per video (SPEC §3); also how tests run offline.

    videos/<video_id>/info.json        yt-dlp info dict (sanitized)
    videos/<video_id>/transcript.json  {"video_id", "language", "language_code", "is_generated",
                                        "snippets": [{"text", "start", "duration"}]}
    videos/<video_id>/thumbnail.jpg    the thumbnail bytes

A file that is present is used as it is, and that part is not fetched again; one that cannot
be read as its shape (damaged) is a miss, fetched again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ytvault.models import Transcript
from ytvault.note.ids import is_video_id
from ytvault.vault.atomic import atomic_write


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, video_id: str) -> Path:
        if not is_video_id(video_id):  # the id becomes a path: never let it escape
            raise ValueError(f"not a YouTube video id: {video_id!r}")
        return self.root / "videos" / video_id

    def read_info(self, video_id: str) -> dict[str, Any] | None:
        data = self._read_json(video_id, "info.json")
        return data if isinstance(data, dict) and data.get("id") else None

    def write_info(self, video_id: str, info: dict[str, Any]) -> None:
        self._write(video_id, "info.json", _dumps(info))

    def read_transcript(self, video_id: str) -> Transcript | None:
        data = self._read_json(video_id, "transcript.json")
        try:
            return Transcript.from_json(data) if isinstance(data, dict) else None
        except (ValueError, TypeError, AttributeError):
            return None  # JSON, but not a transcript's: damaged, so fetched again

    def write_transcript(self, video_id: str, transcript: Transcript) -> None:
        self._write(video_id, "transcript.json", _dumps(transcript.to_json()))

    def read_thumbnail(self, video_id: str) -> bytes | None:
        try:
            data = (self.folder(video_id) / "thumbnail.jpg").read_bytes()
        except FileNotFoundError:
            return None
        return data or None

    def write_thumbnail(self, video_id: str, data: bytes) -> None:
        self._write(video_id, "thumbnail.jpg", data)

    def _read_json(self, video_id: str, name: str) -> Any:
        path = self.folder(video_id) / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError):
            return None  # a damaged cache file is fetched again, not fatal

    def _write(self, video_id: str, name: str, data: bytes) -> None:
        folder = self.folder(video_id)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / name, data)


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
