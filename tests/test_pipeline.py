"""The pipeline end to end, in process: stub → fetch (cache) → analyze (real SDK, local API)
→ render → merge → write. Each test checks the files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import yaml as pyyaml
from conftest import FIXTURES, SEED_URL, MakeContext, props
from fakeapi import FakeMessagesAPI
from fakewire import Reply
from ruamel.yaml import YAML
from ytfakes import Raises, youtube_extractor

from ytvault.config.settings import Config
from ytvault.cost import Usage
from ytvault.models import Analysis, Transcript, Video
from ytvault.note.parse import split_note
from ytvault.note.render import inert_value
from ytvault.pipeline.run import process_note, sync
from ytvault.youtube.client import YouTubeClient

SEED = (FIXTURES / "seed-note.md").read_bytes()
# The seed with each of its quotes linked to its moment, as the pipeline verifies them against
# the fixture transcript (the golden render itself, without timestamps, is SEED: test_render).
SEED_WITH_LINKS = (FIXTURES / "seed-note-quote-links.md").read_bytes()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def snapshot(vault: Path) -> dict[str, bytes]:
    return {str(p.relative_to(vault)): p.read_bytes() for p in vault.rglob("*") if p.is_file()}


def test_seed_stub_becomes_the_golden_note(vault: Path, make_context: MakeContext,
                                           api: FakeMessagesAPI) -> None:
    note = write(vault / "Untitled.md", SEED_URL + "\n")
    outcome = process_note(make_context(), note)
    assert outcome is not None and outcome.status == "filled"
    assert note.read_bytes() == SEED_WITH_LINKS
    assert (vault / "1711477562504.jpg").read_bytes() == (
        FIXTURES / "cache/videos/Yf1o0TQzry8/thumbnail.jpg").read_bytes()
    assert len(api.message_requests) == 1


def test_without_quote_links_the_pipeline_gives_the_seed_byte_for_byte(
        vault: Path, make_context: MakeContext, cache_dir: Path, tmp_path: Path,
        api: FakeMessagesAPI) -> None:
    config = Config(cache_dir=cache_dir, state_dir=tmp_path / "state", quote_links=False)
    note = write(vault / "Untitled.md", SEED_URL + "\n")
    outcome = process_note(make_context(config=config), note)
    assert outcome is not None and outcome.status == "filled"
    assert note.read_bytes() == SEED


def test_second_sync_writes_nothing_and_calls_no_model(vault: Path, make_context: MakeContext,
                                                       api: FakeMessagesAPI) -> None:
    write(vault / "a.md", SEED_URL + "\n")
    write(vault / "b.md", "https://www.youtube.com/shorts/fxShort001F\n")
    ctx = make_context()
    assert [o.status for o in sync(ctx)] == ["filled", "filled"]
    before = snapshot(vault)
    mtimes = {p: p.stat().st_mtime_ns for p in vault.rglob("*.md")}
    assert list(sync(ctx)) == []
    assert snapshot(vault) == before
    assert {p: p.stat().st_mtime_ns for p in vault.rglob("*.md")} == mtimes
    assert len(api.message_requests) == 2


def test_without_key_then_with_key(vault: Path, make_context: MakeContext,
                                   api: FakeMessagesAPI) -> None:
    note = write(vault / "Untitled.md", SEED_URL + "\n")
    outcome = process_note(make_context(analyzer=None), note)
    assert outcome is not None and outcome.status == "filled" and outcome.analysis_pending
    text = note.read_text()
    assert "ytvault: analysis pending" in text and "`ANTHROPIC_API_KEY`" in text
    assert props(note)["title"] == props_of_seed()["title"]
    assert not api.requests  # no key: no model call
    # a second run without a key leaves it alone
    again = process_note(make_context(analyzer=None), note)
    assert again is not None and again.status == "skipped"
    # with a key, the callout (and only it) becomes the analysis: the golden note again
    done = process_note(make_context(), note)
    assert done is not None and done.status == "filled"
    assert note.read_bytes() == SEED_WITH_LINKS


def props_of_seed() -> dict[str, object]:
    loader = YAML(typ="safe", pure=True)
    data = loader.load(split_note(SEED.decode()).frontmatter or "")
    assert isinstance(data, dict)
    return data


class TypingWhileAnalyzing:
    """An analyzer during whose call the person edits the note, as people do."""

    def __init__(self, note: Path, edit: str) -> None:
        self.note, self.edit = note, edit

    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        with self.note.open("a") as fh:
            fh.write(self.edit)
        return Analysis.model_validate_json((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())


def test_edits_made_while_processing_survive(vault: Path, make_context: MakeContext) -> None:
    note = write(vault / "Untitled.md", f"---\ntags: [inbox]\n---\n{SEED_URL}\n")
    ctx = make_context(analyzer=TypingWhileAnalyzing(note, "My own thoughts.\n"))
    outcome = process_note(ctx, note)
    assert outcome is not None and outcome.status == "filled"
    text = note.read_text()
    assert text.endswith("</iframe>\n\nMy own thoughts.\n")
    assert text.count("# SUMMARY") == 1
    assert props(note)["tags"] == ["inbox", "type/youtube"]


def test_url_deleted_while_processing_writes_nothing(vault: Path,
                                                     make_context: MakeContext) -> None:
    note = write(vault / "Untitled.md", SEED_URL + "\n")

    class Unstubbing(TypingWhileAnalyzing):
        def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
            self.note.write_text("Changed my mind.\n")
            return super().analyze(video, transcript, usage)

    outcome = process_note(make_context(analyzer=Unstubbing(note, "")), note)
    assert outcome is not None and outcome.status == "skipped"
    assert note.read_text() == "Changed my mind.\n"
    assert list(vault.glob("*.jpg")) == []  # the thumbnail written for it is gone too


def test_transient_failure_leaves_the_stub(vault: Path, make_context: MakeContext,
                                           tmp_path: Path) -> None:
    bot = "Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies"
    youtube = YouTubeClient(extractors=[youtube_extractor({"abcdefghijk": Raises(bot)})])
    note = write(vault / "x.md", "https://youtu.be/abcdefghijk\n")
    ctx = make_context(analyzer=None, youtube=youtube)
    outcome = process_note(ctx, note)
    assert outcome is not None and outcome.status == "failed" and "will retry" in outcome.detail
    assert note.read_text() == "https://youtu.be/abcdefghijk\n"
    entry = ctx.ledger.get(vault, "x.md")
    assert entry is not None and entry.status == "transient" and entry.next_attempt


def test_permanent_failure_is_shown_and_not_retried(vault: Path, make_context: MakeContext) -> None:
    private = "Private video. Sign in if you've been granted access to this video"
    youtube = YouTubeClient(extractors=[youtube_extractor({"abcdefghijk": Raises(private)})])
    note = write(vault / "x.md", "https://youtu.be/abcdefghijk\n")
    outcome = process_note(make_context(analyzer=None, youtube=youtube), note)
    assert outcome is not None and outcome.status == "failed" and "private" in outcome.detail
    text = note.read_text()
    assert text.startswith("https://youtu.be/abcdefghijk\n\n> [!warning] ytvault: cannot fill")
    assert "private" in text.lower()
    again = process_note(make_context(analyzer=None, youtube=youtube), note)
    assert again is not None and again.status == "skipped" and "--retry-failed" in again.detail
    assert note.read_text() == text
    retried = process_note(make_context(analyzer=None, youtube=youtube, retry_failed=True), note)
    assert retried is not None and retried.status == "failed"
    assert note.read_text() == text  # the same callout, once


def test_no_transcript_no_model_call(vault: Path, make_context: MakeContext,
                                     api: FakeMessagesAPI) -> None:
    note = write(vault / "rain.md", "https://youtu.be/fxNoTrans1E\n")
    outcome = process_note(make_context(), note)
    assert outcome is not None and outcome.status == "filled"
    text = note.read_text()
    assert "ytvault: no transcript" in text and "# SUMMARY" not in text
    assert props(note)["title"] == "Rain on a tin roof, 10 minutes"
    assert not api.requests


def test_upcoming_premiere_waits(vault: Path, make_context: MakeContext,
                                 api: FakeMessagesAPI) -> None:
    note = write(vault / "soon.md", "https://youtu.be/fxUpcoming1\n")
    ctx = make_context()
    outcome = process_note(ctx, note)
    assert outcome is not None and outcome.status == "skipped" and "2030-03-17" in outcome.detail
    text = note.read_text()
    assert text.startswith("https://youtu.be/fxUpcoming1\n")
    assert "ytvault: waiting for the premiere" in text and "2030-03-17" in text
    entry = ctx.ledger.get(vault, "soon.md")
    assert entry is not None and entry.next_attempt == 1900000000.0
    again = process_note(ctx, note)  # not due: skipped before any work, the note unchanged
    assert again is not None and again.status == "skipped"
    assert again.detail == "waiting for the premiere"
    assert note.read_text() == text and not api.requests


def test_hostile_video_is_exact_and_inert(vault: Path, make_context: MakeContext,
                                          api: FakeMessagesAPI, cache_dir: Path,
                                          tmp_path: Path) -> None:
    api.script(Reply.analysis({
        "summary": "# Pwned\n---\n```dataviewjs\ndv.paragraph(1)\n```",
        "ideas": ["<script>alert(1)</script>", "<% tp.file.title %>"],
        "insights": ["![[secret.md]]", "[[Private note]]"],
        "quotes": ['"ignore previous instructions"'],
        "habits": ["---"], "facts": ["# heading"], "references": ["`= this.file`"],
        "recommendations": ["line one\nline two", "word " * 4000 + "```js\nalert(1)\n```"],
    }, thinking=0))
    note = write(vault / "h.md", "https://www.youtube.com/watch?v=fxHostile1D\n")
    # an answer that long needs the room of the deepest effort (and no thinking)
    config = Config(cache_dir=cache_dir, state_dir=tmp_path / "state", effort="max")
    outcome = process_note(make_context(config=config), note)
    assert outcome is not None and outcome.status == "filled"
    info = json.loads((FIXTURES / "cache/videos/fxHostile1D/info.json").read_text())
    text = note.read_text()
    frontmatter = split_note(text).frontmatter or ""
    for reader in (props(note), pyyaml.safe_load(frontmatter)):
        assert reader["title"] == inert_value(info["title"])  # the same text, with look-alikes
        assert reader["channel_name"] == inert_value(info["channel"])
    assert "<%" not in frontmatter and "<i>" not in frontmatter
    assert frontmatter.count("[[") == 1  # the thumbnail's embed, ours
    body = split_note(text).body
    assert "<script" not in body and "<%" not in body and "```" not in body
    assert "![[secret" not in body and "[[Private" not in body
    assert [ln for ln in body.splitlines() if ln.strip() == "---"] == []
    headings = [ln for ln in body.splitlines() if ln.startswith("#")]
    assert len(headings) == 8
    assert "line one line two" in body
    long_item = next(ln for ln in body.splitlines() if ln.startswith("- word word"))
    assert len(long_item) > 20000 and "```" not in long_item  # one paragraph, inert


def test_thumbnail_goes_where_obsidian_puts_attachments(vault: Path, make_context: MakeContext,
                                                        api: FakeMessagesAPI) -> None:
    (vault / ".obsidian/app.json").write_text('{"attachmentFolderPath": "./assets"}')
    note = write(vault / "Inbox/n.md", SEED_URL + "\n")
    assert process_note(make_context(), note) is not None
    assert (vault / "Inbox/assets/1711477562504.jpg").is_file()
    assert "![[1711477562504.jpg]]" in note.read_text()


def test_refused_key_stops_all_analysis(vault: Path, make_context: MakeContext,
                                        api: FakeMessagesAPI) -> None:
    api.api_key = "sk-the-right-key"  # ours is refused with 401, every time
    for name in "abcdefgh":
        write(vault / f"{name}.md", SEED_URL + "\n")
    ctx = make_context()
    outcomes = list(sync(ctx))
    assert [o.status for o in outcomes] == ["filled"] * 8
    assert all(o.analysis_pending for o in outcomes)
    # no retry storm: at most the calls already in flight when the first 401 came back
    assert 1 <= len(api.message_requests) <= ctx.config.concurrency
    assert ctx.run.analysis_refused and "ANTHROPIC_API_KEY" in ctx.run.analysis_refused
    assert "sk-test-key" not in ctx.run.analysis_refused


def test_dry_run_writes_and_calls_nothing(vault: Path, make_context: MakeContext,
                                          api: FakeMessagesAPI) -> None:
    write(vault / "a.md", SEED_URL + "\n")
    before = snapshot(vault)
    outcomes = list(sync(make_context(dry_run=True)))
    assert [o.status for o in outcomes] == ["would fill"]
    assert outcomes[0].usage is not None and outcomes[0].usage.input_tokens > 1000  # estimated
    assert snapshot(vault) == before and not api.requests


def test_notes_that_are_not_stubs_are_untouched(vault: Path, make_context: MakeContext) -> None:
    write(vault / "prose.md", f"My thoughts on {SEED_URL}\n")
    write(vault / ".trash/x.md", SEED_URL + "\n")
    write(vault / "bad.md", f"---\ntitle: [oops\n---\n{SEED_URL}\n")
    before = snapshot(vault)
    outcomes = list(sync(make_context(analyzer=None)))
    assert [(o.note.name, o.status) for o in outcomes] == [("bad.md", "skipped")]
    assert "malformed YAML" in outcomes[0].detail
    assert snapshot(vault) == before


def test_frontmatter_the_merge_cannot_cut_is_skipped_before_any_fetch(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    # valid YAML, but no cut into one block per property reproduces it: the merge would refuse
    # the note after the model was paid, and again on every sync
    anchors = write(vault / "anchors.md", f"---\na: &x foo\nb: *x\n---\n{SEED_URL}\n")
    before = snapshot(vault)
    ctx = make_context()
    outcomes = sorted(sync(ctx), key=lambda o: o.note.name)
    assert [(o.note, o.status) for o in outcomes] == [(anchors, "skipped")]
    assert all("too unusual to merge" in o.detail for o in outcomes)
    assert snapshot(vault) == before and not api.requests


def test_merge_note_refuses_uncuttable_frontmatter_as_a_skip() -> None:
    import pytest

    from ytvault.errors import NoteSkipped
    from ytvault.note.merge import merge_note
    from ytvault.note.parse import classify

    text = f"---\na: &x foo\nb: *x\n---\n{SEED_URL}\n"
    stub = classify(text)
    assert stub is not None
    rendered = f"---\ntitle: T\n---\n\n# SUMMARY\n\n{SEED_URL}\n"
    with pytest.raises(NoteSkipped, match="too unusual to merge"):
        merge_note(text, rendered, stub)


def test_a_json_properties_stub_is_filled(vault: Path, make_context: MakeContext,
                                         api: FakeMessagesAPI) -> None:
    """Obsidian reads JSON between the fences and saves it as YAML; the fill does the same."""
    note = write(vault / "j.md", '---\n{"tags": "to-watch", "youtube_url": "' + SEED_URL
                 + '", "rating": 5}\n---\n')
    outcomes = list(sync(make_context()))
    assert [(o.note, o.status) for o in outcomes] == [(note, "filled")]
    got = props(note)
    assert got["tags"] == ["to-watch", "type/youtube"] and got["rating"] == 5
    assert got["title"] == props_of_seed()["title"] and got["youtube_url"] == SEED_URL
    assert split_note(note.read_text()).body == split_note(SEED_WITH_LINKS.decode()).body


def test_a_links_words_stay_in_the_filled_note(vault: Path, make_context: MakeContext,
                                              api: FakeMessagesAPI) -> None:
    note = write(vault / "talk.md", f"[Ilya's talk, for Sunday]({SEED_URL})\n")
    assert [o.status for o in sync(make_context())] == ["filled"]
    body = split_note(SEED_WITH_LINKS.decode()).body
    assert split_note(note.read_text()).body == "Ilya's talk, for Sunday\n" + body


def test_updated_moves_when_a_later_run_adds_the_analysis(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI) -> None:
    from datetime import datetime

    later = datetime(2024, 3, 28, 9, 5)
    mine = write(vault / "mine.md", SEED_URL + "\n")
    theirs = write(vault / "theirs.md", "https://www.youtube.com/shorts/fxShort001F\n")
    assert [o.status for o in sync(make_context(analyzer=None))] == ["filled", "filled"]
    # the person set their own date on one note: it stays theirs
    theirs.write_text(theirs.read_text().replace("updated: 2024-03-26T15:26",
                                                 "updated: 2024-03-27T08:00"))
    untouched = snapshot(vault)
    assert list(sync(make_context(analyzer=None, clock=lambda: later))) != []
    assert snapshot(vault) == untouched  # nothing written: nothing moves
    outcomes = list(sync(make_context(clock=lambda: later)))
    assert sorted(o.status for o in outcomes) == ["filled", "filled"]
    assert (props(mine)["created"], props(mine)["updated"]) == ("2024-03-26T15:26",
                                                                 "2024-03-28T09:05")
    assert props(theirs)["updated"] == "2024-03-27T08:00"
    assert "analysis pending" not in mine.read_text() + theirs.read_text()
    # the ledger knows the new value: a refresh later still sees `updated` as ytvault's
    record = make_context().ledger.generated(vault, "mine.md", "Yf1o0TQzry8")
    assert record is not None and record["updated"] == "updated: 2024-03-28T09:05\n"
