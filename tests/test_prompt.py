"""prompt.py: moments and lengths in the prompt are written as the note writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ytvault.analysis.chunking import Part
from ytvault.analysis.prompt import analysis_prompt, merge_prompt
from ytvault.config.sections import DEFAULT_SECTIONS
from ytvault.models import Snippet, Transcript, Video
from ytvault.note.render import format_length

pytestmark = pytest.mark.unit

INFO = Path(__file__).parent / "fixtures" / "cache" / "videos" / "Yf1o0TQzry8" / "info.json"


def test_lengths_and_moments_read_as_the_notes_do() -> None:
    video = Video.from_info(json.loads(INFO.read_text(encoding="utf-8")))
    transcript = Transcript(video.id, "English", "en", False,
                            (Snippet("hello there", 3725.9, 2.0),))
    part = Part(2, 3, transcript, 7261.2)

    prompt = analysis_prompt(video, transcript, part=part)
    merged = merge_prompt(video, transcript, DEFAULT_SECTIONS[:1], [(part, {"summary": "x"})])

    assert f"length: {format_length(video.duration)}\n" in prompt.context
    assert "length: 47:41\n" in prompt.context
    assert f"- {format_length(int(video.chapters[1].start))} " in prompt.context
    assert "this is part 2 of 3 (1:02:05 to 2:01:01)" in prompt.request
    assert "part 2 (1:02:05 to 2:01:01):" in merged.request
