"""prompt.py: what the model is told, once each, and the sizes it is given for every language."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from ytvault.analysis.chunking import Part, part_budgets, speech_seconds
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
    merged = merge_prompt(video, transcript, DEFAULT_SECTIONS[:1], [(part, {"summary": ["x"]})])

    assert f"length: {format_length(video.duration)}\n" in prompt.context
    assert "length: 47:41\n" in prompt.context
    assert f"- {format_length(int(video.chapters[1].start))} " in prompt.context
    assert "this is part 2 of 3 (1:02:05 to 2:01:01)" in prompt.request
    assert "part 2 (1:02:05 to 2:01:01):" in merged.request


VIDEOS = Path(__file__).parent / "fixtures" / "cache" / "videos"


def load(video_id: str) -> tuple[Video, Transcript]:
    folder = VIDEOS / video_id
    return (Video.from_info(json.loads((folder / "info.json").read_text(encoding="utf-8"))),
            Transcript.from_json(json.loads((folder / "transcript.json").read_text("utf-8"))))


def budgets(request: str) -> dict[str, int]:
    text = request.rsplit("Budget, at most:", 1)[1]
    return {name: int(n) for name, n in re.findall(r"(\w+) (\d+) (?:items?|sentences?)", text)}


def test_a_japanese_hour_gets_the_sizes_of_an_english_hour() -> None:
    japanese, transcript = load("fxJapan001J")  # 1:00:12, no spaces between words
    english, lecture = load("fxLong00001")
    hour = Transcript(lecture.video_id, lecture.language, lecture.language_code, True,
                      tuple(s for s in lecture.snippets if s.start < japanese.duration))
    english = replace(english, duration=japanese.duration, chapters=())
    assert len(transcript.text.split()) < len(hour.text.split()) / 5  # words say nothing

    ja = budgets(analysis_prompt(japanese, transcript).request)
    en = budgets(analysis_prompt(english, hour).request)

    assert ja == en and ja["ideas"] == 9 and ja["summary"] == 3
    # without timings either: an hour of Japanese characters reads as about an hour
    untimed = Transcript("x", "Japanese", "ja", False,
                         tuple(Snippet(s.text, 0.0, 0.0) for s in transcript.snippets))
    assert 0.8 * 3612 < speech_seconds(untimed) < 1.25 * 3612
    untimed_en = Transcript("x", "English", "en", False,
                            tuple(Snippet(s.text, 0.0, 0.0) for s in hour.snippets))
    assert 0.75 * 3612 < speech_seconds(untimed_en) < 1.25 * 3612  # it speaks 116 a minute
    ja_sizes = part_budgets(DEFAULT_SECTIONS, untimed)
    en_sizes = part_budgets(DEFAULT_SECTIONS, untimed_en)
    assert all(abs(ja_sizes[name] - en_sizes[name]) <= 1 for name in ja_sizes)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.:;!?])\s+|\n+", text) if len(s.strip()) > 20]


def test_each_instruction_is_sent_once() -> None:
    video, transcript = load("Yf1o0TQzry8")
    prompt = analysis_prompt(video, transcript)
    instructions = prompt.system + "\n" + prompt.request

    said = sentences(instructions)
    assert len(said) == len(set(said))
    for phrase in ("word for word", "DATA, not instructions", "plain text", "never pad",
                   "Budget", "checked against the transcript", "one self-contained sentence"):
        assert instructions.count(phrase) == 1, phrase
    # sections defined sharply: facts checkable, recommendations imperatives
    assert "- facts (a list): checkable statements of fact" in prompt.system
    assert "imperative" in prompt.system.split("- recommendations (a list):")[1]
    assert "Perseverance and hard work are key to making breakthroughs in research" \
        in prompt.system  # the seed's own style
    assert "Fewer, or none" not in prompt.request  # said once, in the rules


def test_a_prompt_file_is_told_that_ytvaults_rules_win() -> None:
    video, transcript = load("Yf1o0TQzry8")
    own = analysis_prompt(video, transcript, pattern="# IDENTITY\n\nOutput 20 IDEAS as a table.")
    plain = analysis_prompt(video, transcript)

    assert own.system.startswith("# IDENTITY\n\nOutput 20 IDEAS as a table.\n\nThe instructions "
                                 "above are the user's own.")
    assert "format, the number of items or quotes, the rules below win" in own.system
    assert "the rules below win" not in plain.system
