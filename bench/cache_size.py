"""Cache size: what the cache keeps per video, measured on the fixture cache, and the size of
1,000 videos' worth (docs/housekeeping.md).

The fixture cache (tests/fixtures/cache) holds real transcripts (the seed's is a 722-word
excerpt; fxLong00001's covers its 2:13:07), but trimmed info dicts and small thumbnails. So:
transcripts are measured in bytes per minute of video; info.json is estimated from a real
player response (youtube-transcript-api's recorded `youtube.innertube.json.static`, 197 KB):
yt-dlp keeps its formats and lists every caption track and every automatic translation in six
formats, each with its URL; the thumbnail is YouTube's maxresdefault.jpg (1280x720), whose
size this machine cannot fetch, taken from the range such JPEGs have.

    .venv/bin/python bench/cache_size.py
"""

from __future__ import annotations

import json
from pathlib import Path

from common import FIXTURES, machine, script_parser

CAPTION_FORMATS = 6  # json3, srv1, srv2, srv3, ttml, vtt: yt-dlp lists each track in each
MEAN_MINUTES = 20  # a typical video saved to watch later (talks run longer, shorts shorter)
THUMBNAIL_KB = (60, 200)  # maxresdefault.jpg, 1280x720 JPEG


def fixture_sizes() -> list[tuple[str, int, int, int, int | None, float]]:
    """Per fixture video: its files' bytes, its duration, and how much of it its transcript
    covers (most fixtures hold an excerpt)."""
    rows = []
    for folder in sorted((FIXTURES / "cache" / "videos").iterdir()):
        sizes = [(folder / n).stat().st_size if (folder / n).exists() else 0
                 for n in ("info.json", "transcript.json", "thumbnail.jpg")]
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        duration = info.get("duration")
        covered = 0.0
        if (folder / "transcript.json").exists() and duration:
            snippets = json.loads((folder / "transcript.json").read_text("utf-8"))["snippets"]
            end = max((s["start"] + s["duration"] for s in snippets), default=0.0)
            covered = end / duration
        rows.append((folder.name, *sizes, duration, covered))
    return rows


def info_estimate() -> tuple[int, int, int]:
    """(bytes of formats, of caption tracks, languages) from a recorded player response."""
    import youtube_transcript_api

    asset = (Path(youtube_transcript_api.__file__).parent / "test" / "assets"
             / "youtube.innertube.json.static")
    player = json.loads(asset.read_text(encoding="utf-8"))
    streaming = player.get("streamingData", {})
    formats = streaming.get("formats", []) + streaming.get("adaptiveFormats", [])
    tracks = player["captions"]["playerCaptionsTracklistRenderer"]
    url = len(tracks["captionTracks"][0]["baseUrl"]) + len("&fmt=json3&tlang=xx")
    languages = len(tracks["captionTracks"]) + len(tracks.get("translationLanguages", []))
    entry = url + 80  # {"ext": …, "url": …, "name": …} around the URL, indented
    return sum(len(json.dumps(f)) for f in formats), languages * CAPTION_FORMATS * entry, \
        languages


def main() -> None:
    script_parser(__doc__).parse_args()
    print(machine())
    print("fixture cache, bytes: video, info.json, transcript.json, thumbnail.jpg, duration, "
          "share of the video its transcript covers")
    per_minute = []
    for vid, info, transcript, thumb, duration, covered in fixture_sizes():
        print(f"  {vid}  {info:>6,} {transcript:>8,} {thumb:>6,}  {duration}s  {covered:.0%}")
        if duration and covered > 0.9:  # a whole transcript, not an excerpt
            per_minute.append(transcript / (duration / 60))
    rate = sum(per_minute) / len(per_minute)
    print(f"transcripts: {rate:,.0f} bytes a minute of video (from the {len(per_minute)} "
          "whole one(s))")
    formats, captions, languages = info_estimate()
    low, high = formats + captions, formats + captions * 160 // languages
    print(f"info.json: formats ~{formats:,} bytes + captions ~{captions:,} ({languages} "
          f"languages) = ~{low / 1000:,.0f} KB; with ~160 translation languages ~{high / 1000:,.0f}"
          " KB")
    for name, kb in (("low", THUMBNAIL_KB[0]), ("high", THUMBNAIL_KB[1])):
        info = low if name == "low" else high
        video = info + rate * MEAN_MINUTES + kb * 1000
        print(f"{name}: a {MEAN_MINUTES}-minute video ~{video / 1000:,.0f} KB; 1,000 videos "
              f"~{video / 1e6:,.2f} GB of cache (and {kb * 1000 * 1000 / 1e6:,.0f} MB of "
              "thumbnails in the vault)")


if __name__ == "__main__":
    main()
