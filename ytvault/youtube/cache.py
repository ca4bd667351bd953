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
import logging
from pathlib import Path
from typing import Any

from ytvault.models import MalformedInfo, Transcript, Video
from ytvault.note.ids import is_video_id
from ytvault.vault.atomic import atomic_write
from ytvault.youtube.images import MAX_THUMBNAIL_BYTES, is_image

log = logging.getLogger(__name__)

class Cache:
    """The files of each video; what is read back is checked as data (types, the video's own
    id, an image), and what fails is a miss, said in one line and fetched again."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, video_id: str) -> Path:
        if not is_video_id(video_id):  # the id becomes a path: never let it escape
            raise ValueError(f"not a YouTube video id: {video_id!r}")
        return self.root / "videos" / video_id

    def read_info(self, video_id: str) -> dict[str, Any] | None:
        data = self._read_json(video_id, "info.json")
        if data is None:
            return None
        try:
            if not isinstance(data, dict) or data.get("id") != video_id:
                raise MalformedInfo(f"id: not {video_id}")
            Video.from_info(data)
        except MalformedInfo as exc:
            self._miss(video_id, "info.json", str(exc))
            return None
        return data

    def write_info(self, video_id: str, info: dict[str, Any]) -> None:
        self._write(video_id, "info.json", _dumps(info))

    def read_transcript(self, video_id: str) -> Transcript | None:
        data = self._read_json(video_id, "transcript.json")
        if data is None:
            return None
        try:
            if not isinstance(data, dict) or data.get("video_id") not in (video_id, None):
                raise ValueError(f"video_id: not {video_id}")
            return Transcript.from_json(data)
        except (ValueError, TypeError, AttributeError) as exc:  # JSON, not a transcript's
            self._miss(video_id, "transcript.json", str(exc) or type(exc).__name__)
            return None

    def write_transcript(self, video_id: str, transcript: Transcript) -> None:
        self._write(video_id, "transcript.json", _dumps(transcript.to_json()))

    def read_thumbnail(self, video_id: str) -> bytes | None:
        path = self.folder(video_id) / "thumbnail.jpg"
        try:
            if path.stat().st_size > MAX_THUMBNAIL_BYTES:  # not read: it is not a thumbnail
                self._miss(video_id, "thumbnail.jpg", "far too large for a thumbnail")
                return None
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if not is_image(data):
            self._miss(video_id, "thumbnail.jpg", "not a JPEG, PNG or WebP image")
            return None
        return data

    def write_thumbnail(self, video_id: str, data: bytes) -> None:
        self._write(video_id, "thumbnail.jpg", data)

    def _read_json(self, video_id: str, name: str) -> Any:
        path = self.folder(video_id) / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError) as exc:  # a damaged file is fetched again
            self._miss(video_id, name, f"not JSON: {str(exc)[:80]}")
            return None

    def _miss(self, video_id: str, name: str, why: str) -> None:
        log.warning("%s: the cached %s is damaged (%s): fetching it again", video_id, name,
                    why[:200])

    def _write(self, video_id: str, name: str, data: bytes) -> None:
        folder = self.folder(video_id)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / name, data)


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
