"""The bad-input corpus: notes people and tools really leave in vaults. For each: no crash, the
file byte-identical unless it was a valid stub, and a one-line reason where one is due."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MakeContext
from ytfakes import Raises, youtube_extractor

from ytvault.cost import Usage
from ytvault.models import Analysis, Transcript, Video
from ytvault.outcome import Outcome
from ytvault.pipeline.run import process_note, sync
from ytvault.youtube.client import YouTubeClient

URL = b"https://youtu.be/Yf1o0TQzry8"
QUIET, SKIPPED, FILLED = "quiet", "skipped", "filled"

CORPUS: list[tuple[str, bytes, str, str]] = [
    # (id, content, expected, reason fragment)
    ("malformed-yaml", b"---\ntitle: [oops\n---\n" + URL + b"\n", SKIPPED, "malformed YAML"),
    ("yaml-tab-indent", b"---\ntags:\n\t- a\n---\n" + URL + b"\n", SKIPPED, "malformed YAML"),
    ("yaml-duplicate-key", b"---\na: 1\na: 2\n---\n" + URL + b"\n", SKIPPED, "malformed YAML"),
    ("frontmatter-list", b"---\n- a\n- b\n---\n" + URL + b"\n", SKIPPED, "not a mapping"),
    ("frontmatter-scalar", b"---\njust words\n---\n" + URL + b"\n", SKIPPED, "not a mapping"),
    ("frontmatter-unclosed", b"---\ntitle: x\n" + URL + b"\n", SKIPPED, "never closed"),
    ("frontmatter-bad-youtube-url",
     b"---\nyoutube_url: [oops\n---\n", SKIPPED, "malformed YAML"),
    ("bom", b"\xef\xbb\xbf" + URL + b"\n", FILLED, ""),
    ("crlf", URL + b"\r\n", FILLED, ""),
    ("crlf-frontmatter", b"---\r\ntags:\r\n  - inbox\r\n---\r\n" + URL + b"\r\n", FILLED, ""),
    ("empty-frontmatter", b"---\n---\n" + URL + b"\n", FILLED, ""),
    ("no-trailing-newline", URL, FILLED, ""),
    ("non-utf8", b"caf\xe9 " + URL + b"\n", QUIET, ""),
    ("non-utf8-stub", b"---\ntitle: caf\xe9\n---\n" + URL + b"\n", QUIET, ""),
    ("nul-bytes", URL + b"\n\x00\x00", QUIET, ""),
    ("huge", URL + b"\n" + b"x" * (600 * 1024), QUIET, ""),
    ("binary", bytes(range(256)) * 8 + URL, QUIET, ""),
    ("empty", b"", QUIET, ""),
    ("whitespace-only", b"  \n\t\n\n", QUIET, ""),
    ("frontmatter-only", b"---\ntags: [a]\n---\n", QUIET, ""),
    # pasted for ytvault, but not a video: never written to, reported with what to do
    ("playlist", b"https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf\n",
     SKIPPED, "a playlist, not a video: `ytvault new"),
    ("channel-handle", b"https://www.youtube.com/@veritasium\n", QUIET, ""),
    ("channel-id", b"https://www.youtube.com/channel/UCHnyfMqiRRG1u-2MsSQLbXA\n", QUIET, ""),
    ("non-youtube", b"https://vimeo.com/76979871\n", QUIET, ""),
    ("lookalike-host", b"https://youtube.com.evil.example/watch?v=Yf1o0TQzry8\n", QUIET, ""),
    ("lookalike-userinfo", b"https://youtube.com@evil.example/watch?v=Yf1o0TQzry8\n", QUIET, ""),
    ("malformed-url", b"https://youtu.be/\n", QUIET, ""),
    ("short-id", b"https://www.youtube.com/watch?v=abc\n", SKIPPED,
     "`abc` is not a YouTube video id"),
    ("two-urls", URL + b"\n" + URL + b"\n", QUIET, ""),
    ("url-with-prose", b"Watch this: " + URL + b"\n", QUIET, ""),
    ("url-in-code-block", b"```\n" + URL + b"\n```\n", QUIET, ""),
    ("youtube-url-not-a-string", b"---\nyoutube_url: [a, b]\n---\n", QUIET, ""),
    ("youtube-url-playlist",
     b"---\nyoutube_url: https://www.youtube.com/playlist?list=PL123\n---\n", SKIPPED,
     "a playlist, not a video"),
    ("finished-note-body-emptied",
     b"---\ntemplate-type: YouTube\nchannel_name: X\nyoutube_url: https://youtu.be/Yf1o0TQzry8"
     b"\n---\n", QUIET, ""),
]


def run_one(ctx_vault: Path, make_context: MakeContext, name: str, content: bytes
            ) -> Outcome | None:
    note = ctx_vault / f"{name}.md"
    note.write_bytes(content)
    return process_note(make_context(analyzer=None), note)


@pytest.mark.parametrize(("case", "content", "expected", "reason"), CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_corpus(vault: Path, make_context: MakeContext, case: str, content: bytes,
                expected: str, reason: str) -> None:
    outcome = run_one(vault, make_context, case, content)
    after = (vault / f"{case}.md").read_bytes()
    if expected == QUIET:
        assert outcome is None
        assert after == content
    elif expected == SKIPPED:
        assert outcome is not None and outcome.status == "skipped"
        assert reason in outcome.detail and "\n" not in outcome.detail
        assert after == content
    else:
        assert outcome is not None and outcome.status == "filled", outcome
        assert b"</iframe>" in after
        if content.startswith(b"\xef\xbb\xbf"):
            assert after.startswith(b"\xef\xbb\xbf---\n")
        if b"\r\n" in content:
            assert b"\n" not in after.replace(b"\r\n", b"")
        for line in content.splitlines():
            if line.strip() and URL not in line:
                assert line in after.splitlines()


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) + len(EXTRA_CASES) >= 30


EXTRA_CASES = [
    "nonexistent-video", "symlink-out-of-vault", "symlink-loop", "read-only-file",
    "read-only-folder", "vanishes-mid-run", "renamed-mid-run", "emoji-and-long-name",
    "very-deep-folder",
]


def test_nonexistent_video_gets_a_reason_and_keeps_its_url(vault: Path,
                                                           make_context: MakeContext) -> None:
    youtube = YouTubeClient(extractors=[youtube_extractor(
        {"aaaaaaaaaaa": Raises("Video unavailable. This video is not available")})])
    note = vault / "gone.md"
    note.write_text("https://youtu.be/aaaaaaaaaaa\n")
    outcome = process_note(make_context(analyzer=None, youtube=youtube), note)
    assert outcome is not None and outcome.status == "failed"
    assert note.read_text().startswith("https://youtu.be/aaaaaaaaaaa\n\n> [!warning] ytvault:")


def test_symlink_out_of_the_vault_is_skipped(vault: Path, make_context: MakeContext,
                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(URL + b"\n")
    (vault / "link.md").symlink_to(outside)
    outcomes = list(sync(make_context(analyzer=None)))
    assert [(o.note.name, o.status) for o in outcomes] == [("link.md", "skipped")]
    assert "outside the vault" in outcomes[0].detail
    assert outside.read_bytes() == URL + b"\n"
    assert list(tmp_path.glob("*.jpg")) == []


def test_symlink_loop_does_not_hang(vault: Path, make_context: MakeContext) -> None:
    (vault / "a").mkdir()
    (vault / "a" / "loop").symlink_to(vault)
    (vault / "a" / "n.md").write_bytes(URL + b"\n")
    outcomes = list(sync(make_context(analyzer=None)))
    assert [(o.note.name, o.status) for o in outcomes] == [("n.md", "filled")]


def test_read_only_file_and_folder_are_respected(vault: Path, make_context: MakeContext) -> None:
    note = vault / "ro.md"
    note.write_bytes(URL + b"\n")
    note.chmod(0o444)
    folder = vault / "locked"
    folder.mkdir()
    inner = folder / "n.md"
    inner.write_bytes(URL + b"\n")
    folder.chmod(0o555)
    try:
        outcomes = {o.note.name: o for o in sync(make_context(analyzer=None))}
    finally:
        folder.chmod(0o755)
    assert outcomes["ro.md"].status == "skipped" and "read-only" in outcomes["ro.md"].detail
    assert outcomes["n.md"].status == "skipped" and "read-only" in outcomes["n.md"].detail
    assert note.read_bytes() == URL + b"\n" and inner.read_bytes() == URL + b"\n"
    assert stat.S_IMODE(note.stat().st_mode) == 0o444
    assert list(vault.rglob("*.jpg")) == []


class Meddling:
    """An analyzer during whose call the note vanishes or is renamed."""

    def __init__(self, action: str, note: Path) -> None:
        self.action, self.note = action, note

    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        if self.action == "delete":
            self.note.unlink()
        else:
            self.note.rename(self.note.with_name("Renamed.md"))
        return Analysis(summary="s", ideas=[], insights=[], quotes=[], habits=[], facts=[],
                        references=[], recommendations=[])


@pytest.mark.parametrize("action", ["delete", "rename"])
def test_note_vanishing_mid_run(vault: Path, make_context: MakeContext, action: str) -> None:
    note = vault / "Untitled.md"
    note.write_bytes(URL + b"\n")
    outcome = process_note(make_context(analyzer=Meddling(action, note)), note)
    assert outcome is not None and outcome.status == "skipped" and "vanished" in outcome.detail
    if action == "rename":
        assert (vault / "Renamed.md").read_bytes() == URL + b"\n"
    assert list(vault.glob("*.jpg")) == []


def test_unicode_emoji_long_names_and_deep_folders(vault: Path, make_context: MakeContext) -> None:
    name = "🎬 Vidéo – " + "ü" * 100 + ".md"
    deep = vault.joinpath(*[f"level {i}" for i in range(40)])
    deep.mkdir(parents=True)
    (vault / name).write_bytes(URL + b"\n")
    (deep / "n.md").write_bytes(URL + b"\n")
    outcomes = list(sync(make_context(analyzer=None)))
    assert sorted(o.status for o in outcomes) == ["filled", "filled"]
    assert b"</iframe>" in (vault / name).read_bytes()
    assert b"</iframe>" in (deep / "n.md").read_bytes()


def test_leftover_temp_files_are_removed_by_the_next_sync(vault: Path,
                                                          make_context: MakeContext) -> None:
    from ytvault.vault.atomic import temp_path
    from ytvault.vault.leftovers import host_tag

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    elsewhere = "0123abcd" if host_tag() != "0123abcd" else "4567ef01"
    old = temp_path(vault / "Untitled.md", host=elsewhere)  # from another device, long ago
    old.write_bytes(b"half a note")
    stamp = old.stat().st_mtime - 3600
    os.utime(old, (stamp, stamp))
    crashed = temp_path(vault / "Mine.md", pid=dead.pid)  # this machine's; its writer is gone
    crashed.write_bytes(b"half a note")
    live = temp_path(vault / "Other.md", pid=os.getppid())  # a live writer's, here
    live.write_bytes(b"a write in progress")
    # another device's, just now: its pid means nothing here, running or not
    fresh = temp_path(vault / "Other.md", pid=dead.pid, host=elsewhere)
    fresh.write_bytes(b"a write in progress elsewhere")
    untagged = vault / f".Old.md.ytvault-{dead.pid}-01234567.tmp"  # a name of no known host
    untagged.write_bytes(b"a write in progress, maybe")
    person = vault / ".my-own.tmp"
    person.write_bytes(b"not ours")
    list(sync(make_context(analyzer=None)))
    assert not old.exists() and not crashed.exists()
    assert live.exists() and fresh.exists() and untagged.exists() and person.exists()


def test_atomic_write_names_its_temp_file_as_the_tidy_up_expects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ytvault.vault import atomic, leftovers

    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    target = tmp_path / ("ü" * 120 + ".md")  # near the file-name limit: the temp fits too
    monkeypatch.setattr(os, "replace", spy)
    atomic.atomic_write(target, b"x")
    [name] = seen
    assert name.startswith(".") and name.endswith(".tmp") and leftovers.TEMP_MARK in name
    assert f"{leftovers.TEMP_MARK}{leftovers.host_tag()}-{os.getpid()}-" in name
    assert len(os.fsencode(name)) <= 255 and target.read_bytes() == b"x"


def test_atomic_write_with_a_mode_creates_the_temp_file_with_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ytvault.vault.atomic import atomic_write

    target = tmp_path / "secret.env"
    target.write_text("old")
    target.chmod(0o644)
    created: list[int] = []
    real_open = os.open

    def spy(path: str | Path, flags: int, mode: int = 0o777, **kw: object) -> int:
        if str(path).endswith(".tmp"):
            created.append(mode)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", spy)
    atomic_write(target, b"KEY=1\n", mode=0o600)
    assert created == [0o600]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"KEY=1\n"


def test_a_frontmatter_url_stub_of_a_gone_video_gets_its_callout_and_a_record(
        vault: Path, make_context: MakeContext) -> None:
    from ytvault.note.parse import Kind, classify

    youtube = YouTubeClient(extractors=[youtube_extractor(
        {"aaaaaaaaaaa": Raises("Video unavailable. This video is not available")})])
    note = vault / "gone.md"
    stub = "---\ntags: [inbox]\nyoutube_url: https://youtu.be/aaaaaaaaaaa\n---\n"
    note.write_text(stub)
    ctx = make_context(analyzer=None, youtube=youtube)
    [outcome] = sync(ctx)
    assert outcome.status == "failed" and "unavailable" in outcome.detail
    text = note.read_text()
    assert text.startswith(stub + "> [!warning] ytvault: cannot fill this note\n")
    entry = ctx.ledger.get(vault, "gone.md")
    assert entry is not None and entry.status == "failed"
    failed = classify(text)
    assert failed is not None and failed.kind is Kind.FAILED
    assert failed.video_id == "aaaaaaaaaaa"
    # not retried unless asked; asked, the callout is replaced, not repeated
    [skipped] = sync(ctx)
    assert skipped.detail.startswith("it could not be filled earlier")
    assert list(sync(make_context(analyzer=None, youtube=youtube, retry_failed=True)))
    assert note.read_text() == text


def test_a_frontmatter_url_stub_of_a_premiere_waits_for_it(vault: Path,
                                                          make_context: MakeContext) -> None:
    from ytvault.note.parse import Kind, classify

    note = vault / "soon.md"
    stub = "---\nyoutube_url: https://www.youtube.com/live/fxUpcoming1\n---\n"
    note.write_text(stub)
    ctx = make_context(analyzer=None)
    [outcome] = sync(ctx)
    assert outcome.status == "skipped" and outcome.detail.startswith("upcoming premiere")
    text = note.read_text()
    assert text.startswith(stub + "> [!info] ytvault: waiting for the premiere\n")
    entry = ctx.ledger.get(vault, "soon.md")
    assert entry is not None and entry.status == "waiting"
    waiting = classify(text)
    assert waiting is not None and waiting.kind is Kind.WAITING


def make_deeper_than_path_max(vault: Path, notes: dict[str, str]) -> str:
    """Folders deeper than PATH_MAX (made one at a time, as no path can reach them whole),
    holding `notes`; returns the folder's path."""
    names = [f"{i:02d}-" + "d" * 200 for i in range(25)]  # 25 × 204 bytes > 4096
    fd = os.open(vault, os.O_RDONLY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        for name, text in notes.items():
            file = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(file, text.encode())
            os.close(file)
    finally:
        os.close(fd)
    return os.path.join(vault, *names)


@pytest.mark.skipif(os.open not in os.supports_dir_fd, reason="needs dir_fd (POSIX)")
@pytest.mark.usefixtures("listing")
def test_a_stub_deeper_than_path_max_is_reported(vault: Path, make_context: MakeContext) -> None:
    deep = make_deeper_than_path_max(vault, {"stub.md": URL.decode() + "\n",
                                             "plain.md": "just a note\n"})
    assert len(os.fsencode(deep)) > 4096
    outcomes = list(sync(make_context(analyzer=None)))
    [outcome] = outcomes  # the plain note is passed over quietly
    assert outcome.status == "skipped" and outcome.note.name == "stub.md"
    assert "longer than this system allows (PATH_MAX)" in outcome.detail
    assert outcome.video_id == "Yf1o0TQzry8"
