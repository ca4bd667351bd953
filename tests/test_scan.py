"""The scan: which notes are opened, what is remembered of the others, and that a changed note
is always looked at again, however it was changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ytvault.outcome import Outcome
from ytvault.vault import scan, seen
from ytvault.vault.scan import Found, scan_vault
from ytvault.vault.seen import Seen

PROSE = "# A note\n\nSome prose about cooking, nothing to do with video.\n"
MENTION = "Worth a look: https://youtu.be/Yf1o0TQzry8 for later.\n"
STUB = "https://youtu.be/Yf1o0TQzry8\n"

pytestmark = pytest.mark.usefixtures("listing")  # every test here walks a vault, both ways


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every note the scan opens, by name."""
    opened: list[str] = []
    real = scan.read_note

    def counting(note: Path | str) -> Found | Outcome | None:
        opened.append(Path(note).name)
        return real(note)

    monkeypatch.setattr(scan, "read_note", counting)
    return opened


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notes written a moment ago count as settled (the racy window is covered on its own)."""
    monkeypatch.setattr(seen, "RACY_NS", 0)


def write(vault: Path, notes: dict[str, str]) -> None:
    for name, text in notes.items():
        (vault / name).parent.mkdir(parents=True, exist_ok=True)
        (vault / name).write_text(text)


def stubs(vault: Path, memory: Seen | None) -> list[str]:
    return [Path(note).name for note, read in scan_vault(vault, memory)
            if isinstance(read, Found)]


def memory_of(vault: Path, tmp_path: Path) -> Seen:
    return Seen.for_vault(tmp_path / "state", vault)


@pytest.mark.usefixtures("settled")
def test_a_second_scan_opens_only_new_changed_and_stub_notes(
        vault: Path, tmp_path: Path, reads: list[str]) -> None:
    write(vault, {"a.md": PROSE, "b.md": PROSE, "sub/c.md": PROSE, "d.md": MENTION,
                  "stub.md": STUB})
    assert stubs(vault, memory_of(vault, tmp_path)) == ["stub.md"]
    assert sorted(reads) == ["a.md", "b.md", "c.md", "d.md", "stub.md"]

    reads.clear()
    assert stubs(vault, memory_of(vault, tmp_path)) == ["stub.md"]  # a new process
    assert reads == ["stub.md"]  # a stub is never remembered

    reads.clear()
    time.sleep(0.05)  # a new timestamp tick for the change
    (vault / "b.md").write_text(PROSE + "more\n")
    write(vault, {"e.md": PROSE})
    assert stubs(vault, memory_of(vault, tmp_path)) == ["stub.md"]
    assert sorted(reads) == ["b.md", "e.md", "stub.md"]


@pytest.mark.usefixtures("settled")
def test_a_note_rewritten_as_a_stub_with_its_size_and_mtime_is_found(
        vault: Path, tmp_path: Path) -> None:
    # What a sync tool may do: new content, the same length, the old mtime set back.
    note = vault / "same.md"
    note.write_text(PROSE)
    before = note.stat()
    assert stubs(vault, memory_of(vault, tmp_path)) == []
    time.sleep(0.05)
    stub = STUB.rstrip("\n") + " " * (len(PROSE) - len(STUB)) + "\n"
    assert len(stub) == len(PROSE)
    note.write_text(stub)
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (note.stat().st_size, note.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert stubs(vault, memory_of(vault, tmp_path)) == ["same.md"]


def test_notes_changed_just_before_the_scan_are_not_remembered(
        vault: Path, tmp_path: Path, reads: list[str]) -> None:
    write(vault, {"a.md": PROSE, "b.md": PROSE})
    stubs(vault, memory_of(vault, tmp_path))
    reads.clear()
    stubs(vault, memory_of(vault, tmp_path))
    assert sorted(reads) == ["a.md", "b.md"]  # within RACY_NS of the scan: read again
    assert not memory_of(vault, tmp_path).path.exists()  # nothing worth saving yet


@pytest.mark.usefixtures("settled")
def test_the_memory_file_is_rewritten_only_when_it_changes(vault: Path, tmp_path: Path) -> None:
    write(vault, {"a.md": PROSE, "b.md": PROSE, "stub.md": STUB})
    memory = memory_of(vault, tmp_path)
    stubs(vault, memory)
    assert memory.path is not None
    first = memory.path.stat()
    lines = memory.path.read_text().split("\n")
    assert lines[0].startswith(f"ytvault-seen {seen.FORMAT} ") and str(vault) in lines[0]
    assert sorted(line.split("\0")[0] for line in lines[1:]) == ["a.md", "b.md"]

    stubs(vault, memory_of(vault, tmp_path))
    assert memory.path.stat().st_mtime_ns == first.st_mtime_ns  # nothing changed: not written
    assert memory.path.stat().st_ino == first.st_ino

    (vault / "a.md").unlink()
    stubs(vault, memory_of(vault, tmp_path))
    remembered = memory.path.read_text().split("\n")[1:]
    assert [line.split("\0")[0] for line in remembered] == ["b.md"]  # a deleted note drops out


def _other_vault(header: str, vault: Path) -> str:
    return header.replace(str(vault), str(vault.parent / "elsewhere"))


def _older_format(header: str, vault: Path) -> str:
    return header.replace(f"ytvault-seen {seen.FORMAT} ", f"ytvault-seen {seen.FORMAT - 1} ")


def _other_version(header: str, vault: Path) -> str:
    from ytvault import __version__

    return header.replace(f" {__version__} ", f" {__version__}.post9 ")


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("rewrite", [_other_vault, _older_format, _other_version])
def test_a_foreign_memory_is_ignored(vault: Path, tmp_path: Path, reads: list[str],
                                     rewrite: Callable[[str, Path], str]) -> None:
    """The memory of another vault, format or version: its keys would match, its header not."""
    write(vault, {"a.md": PROSE, "b.md": PROSE})
    memory = memory_of(vault, tmp_path)
    stubs(vault, memory)
    assert memory.path is not None
    reads.clear()
    stubs(vault, memory_of(vault, tmp_path))
    assert reads == []  # the real memory: nothing read again
    header, _, keys = memory.path.read_text().partition("\n")
    changed = rewrite(header, vault)
    assert changed != header
    memory.path.write_text(changed + "\n" + keys)  # the very keys, under a foreign header
    stubs(vault, memory_of(vault, tmp_path))
    assert sorted(reads) == ["a.md", "b.md"]
    assert memory.path.read_text().partition("\n")[0] == header  # made anew


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("content", [b"", b"garbage\0\xff\xfe"])
def test_a_broken_memory_is_ignored(vault: Path, tmp_path: Path, reads: list[str],
                                    content: bytes) -> None:
    write(vault, {"a.md": PROSE, "b.md": PROSE})
    memory = memory_of(vault, tmp_path)
    assert memory.path is not None
    memory.path.parent.mkdir(parents=True)
    memory.path.write_bytes(content)
    stubs(vault, memory_of(vault, tmp_path))
    assert sorted(reads) == ["a.md", "b.md"]
    assert memory.path.read_text().startswith(f"ytvault-seen {seen.FORMAT} ")  # made anew


@pytest.mark.usefixtures("settled")
def test_an_unwritable_state_dir_only_costs_the_memory(
        vault: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(vault, {"a.md": PROSE, "stub.md": STUB})
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state dir should be")
    assert stubs(vault, Seen.for_vault(blocker, vault)) == ["stub.md"]
    assert "cannot save the scan memory" in caplog.text


@pytest.mark.usefixtures("settled")
def test_dry_runs_and_status_leave_no_memory(vault: Path, tmp_path: Path) -> None:
    write(vault, {"a.md": PROSE, "stub.md": STUB})
    memory = Seen.for_vault(tmp_path / "state", vault, save=False)
    assert stubs(vault, memory) == ["stub.md"]
    assert len(memory) == 1  # remembered in this process
    assert memory.path is not None and not memory.path.exists()


def test_notes_that_ask_for_work_or_a_report_are_never_remembered(
        vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen, "RACY_NS", 0)
    write(vault, {"open.md": "---\ntitle: never closed\n" + STUB,  # reported: skipped
                  "props.md": "---\nkey: [unclosed\n---\n" + STUB,  # judged by the pipeline
                  "prose.md": PROSE})
    memory = memory_of(vault, tmp_path)
    for _ in range(2):
        found = {Path(n).name: type(r) for n, r in scan_vault(vault, memory)}
        assert found == {"open.md": Outcome, "props.md": Found}
    assert len(memory) == 1  # prose.md


def test_a_no_op_sync_loads_none_of_the_machinery(vault: Path, tmp_path: Path) -> None:
    """The CLI scans before it builds the pipeline: a vault with nothing to do never loads the
    pipeline, pydantic, SQLite, logging, the YouTube client or the model client."""
    write(vault, {"a.md": PROSE, "b.md": MENTION})
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    env.update(YTVAULT_CONFIG=str(config), ANTHROPIC_API_KEY="sk-test", HOME=str(tmp_path))
    code = ("import json, sys\nfrom ytvault.commands.cli import main\n"
            "code = main(['sync', sys.argv[1]])\n"
            "print(json.dumps([code, sorted(sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", code, str(vault)], env=env,
                            capture_output=True, text=True, check=True, timeout=60)
    exit_code, modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert exit_code == 0
    loaded = {"ytvault.pipeline.run", "ytvault.youtube.client", "ytvault.analysis.claude",
              "ytvault.models", "pydantic", "sqlite3", "anthropic", "yt_dlp", "logging",
              "ruamel.yaml"} & set(modules)
    assert not loaded
    assert "ytvault.vault.scan" in modules  # (the check above is not vacuous: the scan ran)


@pytest.mark.usefixtures("settled")
def test_notes_an_older_version_found_not_ours_are_read_again(vault: Path,
                                                              tmp_path: Path) -> None:
    """Stubs the previous format passed over (a capitalised host, a consent page's address, a
    pasted playlist) were remembered as not ours: that memory must not be trusted."""
    write(vault, {"phone.md": "https://YouTu.be/Yf1o0TQzry8\n",
                  "consent.md": "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww."
                                "youtube.com%2Fwatch%3Fv%3DYf1o0TQzry8&gl=DE\n",
                  "list.md": "https://www.youtube.com/playlist?list=PL1234567890\n",
                  "prose.md": PROSE})
    memory = memory_of(vault, tmp_path)
    assert memory.path is not None
    from ytvault import __version__

    keys = []
    for name in ("phone.md", "consent.md", "list.md", "prose.md"):
        st = (vault / name).stat()
        keys.append(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}")
    memory.path.parent.mkdir(parents=True)
    memory.path.write_text(f"ytvault-seen 1 {__version__} {vault}\n" + "\n".join(keys))
    found = {Path(n).name: type(r) for n, r in scan_vault(vault, memory_of(vault, tmp_path))}
    assert found == {"phone.md": Found, "consent.md": Found, "list.md": Outcome}
