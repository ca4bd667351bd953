"""cache.py: what is read back, and a damaged file read as missing (fetched again)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import ytfakes as fk
from conftest import MakeContext

from ytvault.models import Snippet, Transcript, Video
from ytvault.pipeline.run import process_note
from ytvault.youtube.cache import Cache
from ytvault.youtube.client import YouTubeClient
from ytvault.youtube.images import MAX_THUMBNAIL_BYTES

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


# The cache is data, not trusted code: a malformed entry is a miss, said in one line.

INFO = Path(__file__).parent / "fixtures" / "cache" / "videos" / VID / "info.json"


def cached_info(root: Path, **changes: object) -> Cache:
    info = json.loads(INFO.read_text(encoding="utf-8"))
    info.update(changes)
    folder = root / "videos" / VID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    return Cache(root)


@pytest.mark.parametrize(("changes", "why"), [
    ({"chapters": "00:00 Intro"}, "chapters: str, not a list"),
    ({"chapters": [{"start_time": "soon", "title": "Intro"}]}, "start_time 'soon'"),
    ({"chapters": [{"start_time": float("nan"), "title": "Intro"}]}, "start_time 'nan'"),
    ({"chapters": ["00:00 Intro"]}, "not an object"),
    ({"id": "../../../../etc"}, f"id: not {VID}"),
    ({"id": "fxShort001F"}, f"id: not {VID}"),  # another video's metadata
    ({"title": ["a", "list"]}, "title: list, not text"),
    ({"duration_string": 47}, "duration_string: int"),
])
def test_a_malformed_info_entry_is_a_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                          changes: dict[str, object], why: str) -> None:
    cache = cached_info(tmp_path, **changes)
    with caplog.at_level(logging.WARNING):
        assert cache.read_info(VID) is None
    [record] = caplog.records
    assert why in record.getMessage() and "fetching it again" in record.getMessage()


def test_odd_but_harmless_values_are_read(tmp_path: Path) -> None:
    cache = cached_info(tmp_path, duration=float("inf"), channel_follower_count="many",
                        thumbnails=5, chapters=None)
    info = cache.read_info(VID)
    assert info is not None
    video = Video.from_info(info)
    assert (video.duration, video.subscribers, video.chapters) == (None, None, ())


@pytest.mark.parametrize(("data", "why"), [
    (b"<!DOCTYPE html><html>consent</html>", "not a JPEG, PNG or WebP"),
    (b"", "not a JPEG, PNG or WebP"),
    (None, "far too large"),  # a sparse file over the limit: never read
])
def test_a_thumbnail_that_is_not_an_image_is_a_miss(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes | None, why: str) -> None:
    folder = tmp_path / "videos" / VID
    folder.mkdir(parents=True)
    with open(folder / "thumbnail.jpg", "wb") as file:
        if data is None:
            file.truncate(MAX_THUMBNAIL_BYTES + 1)
        else:
            file.write(data)
    with caplog.at_level(logging.WARNING):
        assert Cache(tmp_path).read_thumbnail(VID) is None
    assert why in caplog.text


@pytest.mark.parametrize("image", [b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                                   b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 64])
def test_png_and_webp_thumbnails_are_read(tmp_path: Path, image: bytes) -> None:
    Cache(tmp_path).write_thumbnail(VID, image)
    assert Cache(tmp_path).read_thumbnail(VID) == image


# Through the pipeline: refetched, and the note filled as if the entry had never been there.


def youtube(thumbnail: bytes) -> YouTubeClient:
    web = fk.RecordedWeb([("GET", r"i\.ytimg\.com", fk.Reply(200, thumbnail, "image/jpeg"))])
    return YouTubeClient(http_client=fk.session(web), extractors=[
        fk.youtube_extractor({VID: fk.Returns(fk.recorded_info(VID))})])


def test_a_malformed_entry_is_fetched_again_and_the_note_filled(
        vault: Path, cache_dir: Path, make_context: MakeContext,
        caplog: pytest.LogCaptureFixture) -> None:
    folder = cache_dir / "videos" / VID
    info = json.loads((folder / "info.json").read_text())
    (folder / "info.json").write_text(json.dumps({**info, "chapters": "x", "id": "../x"}))
    (folder / "thumbnail.jpg").write_bytes(b"<html>not an image</html>")
    note = vault / "n.md"
    note.write_text(f"https://youtu.be/{VID}\n")
    with caplog.at_level(logging.WARNING):
        outcome = process_note(make_context(analyzer=None, youtube=youtube(fk.THUMBNAIL_JPEG)),
                               note)
    assert outcome is not None and outcome.status == "filled", outcome
    assert len([r for r in caplog.records if "fetching it again" in r.getMessage()]) == 2
    assert Video.from_info(json.loads((folder / "info.json").read_text())).id == VID
    assert (folder / "thumbnail.jpg").read_bytes() == fk.THUMBNAIL_JPEG
    [image] = vault.glob("*.jpg")
    assert image.read_bytes() == fk.THUMBNAIL_JPEG


@pytest.mark.parametrize("served", [b"<html>consent</html>",
                                    fk.THUMBNAIL_JPEG + b"\0" * MAX_THUMBNAIL_BYTES])
def test_no_real_thumbnail_anywhere_means_none_in_the_note(
        vault: Path, cache_dir: Path, make_context: MakeContext, served: bytes) -> None:
    (cache_dir / "videos" / VID / "thumbnail.jpg").write_bytes(b"<html>not an image</html>")
    note = vault / "n.md"
    note.write_text(f"https://youtu.be/{VID}\n")
    outcome = process_note(make_context(analyzer=None, youtube=youtube(served)), note)
    assert outcome is not None and outcome.status == "filled"
    assert list(vault.rglob("*.jpg")) == [] and 'thumbnail: ""' in note.read_text()
