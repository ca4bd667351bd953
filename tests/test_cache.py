"""cache.py: what is read back, and a damaged file read as missing (fetched again)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ytvault.models import Snippet, Transcript
from ytvault.youtube.cache import Cache

pytestmark = pytest.mark.unit

VID = "Yf1o0TQzry8"


def test_a_transcript_reads_back_as_it_was_written(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    transcript = Transcript(VID, "English", "en", False, (Snippet("hello", 1.5, 2.0),))
    cache.write_transcript(VID, transcript)
    assert cache.read_transcript(VID) == transcript


@pytest.mark.parametrize("text", [
    "{not json",
    "[]",
    json.dumps({"video_id": VID, "snippets": [{"text": "hi", "start": "soon"}]}),  # ValueError
    json.dumps({"video_id": VID, "snippets": 5}),  # TypeError
    json.dumps({"video_id": VID, "snippets": ["hi"]}),  # AttributeError
])
def test_a_damaged_transcript_file_is_a_miss(tmp_path: Path, text: str) -> None:
    cache = Cache(tmp_path)
    folder = tmp_path / "videos" / VID
    folder.mkdir(parents=True)
    (folder / "transcript.json").write_text(text, encoding="utf-8")
    assert cache.read_transcript(VID) is None
