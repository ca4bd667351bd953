"""`ytvault watch` as the login service runs it: a subprocess on a temp vault, notes created
the way Obsidian creates them, the local Messages API, and signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fakeapi import FakeMessagesAPI

from ytvault.note.parse import split_note

SEED_URL = "https://youtu.be/Yf1o0TQzry8"


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\ndebounce_seconds = 0.3\n'
                      'api_max_retries = 1\nwatch_mode = "native"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    return {**clean, "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
            "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "xdg"),
            "ANTHROPIC_API_KEY": "sk-watch-secret"}


class Daemon:
    def __init__(self, vault: Path, env: dict[str, str], api: FakeMessagesAPI) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ytvault", "watch", str(vault)],
            env={**env, "ANTHROPIC_BASE_URL": api.base_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: self.proc.poll() is not None or (vault.parent / "state").exists())

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, err


@pytest.fixture
def daemon(vault: Path, env: dict[str, str]) -> Iterator[Callable[[FakeMessagesAPI], Daemon]]:
    started: list[Daemon] = []

    def start(api: FakeMessagesAPI) -> Daemon:
        started.append(Daemon(vault, env, api))
        return started[-1]

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.communicate()


def filled(note: Path) -> bool:
    return note.exists() and "</iframe>" in note.read_text()


def test_a_pasted_url_becomes_a_note(vault: Path, daemon: Callable[[FakeMessagesAPI], Daemon],
                                     tmp_path: Path) -> None:
    with FakeMessagesAPI() as api:
        d = daemon(api)
        time.sleep(0.5)
        note = vault / "Untitled.md"
        note.write_text("")  # Obsidian creates the note empty…
        time.sleep(0.1)
        note.write_text(SEED_URL + "\n")  # …then autosaves the pasted URL
        wait_for(lambda: filled(note))
        # a note moved into the vault (an atomic save: hidden temp file renamed into place)
        tmp = vault / ".incoming.tmp"
        tmp.write_text("https://www.youtube.com/shorts/fxShort001F\n")
        os.replace(tmp, vault / "Short.md")
        outside = tmp_path / "Elsewhere.md"
        outside.write_text("https://youtu.be/fxGerman01C\n")
        (vault / "Sub").mkdir()
        os.replace(outside, vault / "Sub/German.md")
        wait_for(lambda: filled(vault / "Short.md") and filled(vault / "Sub/German.md"))
        # a whole folder moved in: its notes come without events of their own
        folder = tmp_path / "Clippings"
        folder.mkdir()
        (folder / "Rain.md").write_text("https://youtu.be/fxHostile1D\n")
        os.replace(folder, vault / "Clippings")
        wait_for(lambda: filled(vault / "Clippings/Rain.md"))
        time.sleep(1.0)  # time for the events of our own writes to arrive and be ignored
        code, err = d.stop()
    assert code == 0, err
    assert len(api.message_requests) == 4  # one per note: our own writes trigger nothing
    assert "sk-watch-secret" not in err
    assert split_note(note.read_text()).body.count("# SUMMARY") == 1


def test_typing_while_the_model_works_survives(
        vault: Path, daemon: Callable[[FakeMessagesAPI], Daemon]) -> None:
    with FakeMessagesAPI(delay=1.5) as api:
        d = daemon(api)
        time.sleep(0.5)
        note = vault / "Talk.md"
        note.write_text(f"---\ntags: [talks]\n---\n{SEED_URL}\n")
        wait_for(lambda: len(api.message_requests) == 1)
        with note.open("a") as fh:
            fh.write("Watch from 12:00, the part on hardware.\n")
        wait_for(lambda: filled(note))
        time.sleep(1.0)
        code, err = d.stop()
    assert code == 0, err
    text = note.read_text()
    assert "Watch from 12:00, the part on hardware.\n" in text
    assert "tags: [talks, type/youtube]" in text
    assert text.count("# SUMMARY") == 1
    assert len(api.message_requests) == 1


def test_sigterm_mid_run_then_restart(vault: Path, daemon: Callable[[FakeMessagesAPI], Daemon]
                                      ) -> None:
    stubs = {f"n{i}.md": SEED_URL + "\n" for i in range(3)}
    for name, text in stubs.items():
        (vault / name).write_text(text)
    with FakeMessagesAPI(delay=30) as slow:
        d = daemon(slow)
        wait_for(lambda: len(slow.message_requests) >= 1)
        code, err = d.stop()  # communicate(timeout=10) fails the test if SIGTERM hangs
    assert code == 0, err
    for name, text in stubs.items():  # every note whole: still the stub it was
        assert (vault / name).read_text() == text
    assert list(vault.glob("*.jpg")) == [] and list(vault.glob(".*.tmp")) == []
    with FakeMessagesAPI() as api:
        d = daemon(api)
        wait_for(lambda: all(filled(vault / name) for name in stubs))
        code, err = d.stop()
    assert code == 0, err
    assert len(list(vault.glob("*.jpg"))) == 3


def test_one_daemon_per_vault(vault: Path, daemon: Callable[[FakeMessagesAPI], Daemon],
                              env: dict[str, str]) -> None:
    with FakeMessagesAPI() as api:
        d = daemon(api)
        time.sleep(0.5)
        second = subprocess.run([sys.executable, "-m", "ytvault", "watch", str(vault)], env=env,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert "already watching" in second.stderr
        status = subprocess.run([sys.executable, "-m", "ytvault", "status", str(vault)], env=env,
                                capture_output=True, text=True, timeout=30)
        assert f"daemon: running (pid {d.proc.pid})" in status.stdout
        code, _ = d.stop()
    assert code == 0


def test_a_transient_failure_is_retried_when_its_backoff_ends(
        vault: Path, make_context: Callable[..., object]) -> None:
    """In process: the watcher schedules the retry itself, it does not wait for a rescan."""
    import threading

    from ytvault.daemon.watcher import Watcher
    from ytvault.pipeline.ledger import BACKOFF_FIRST

    ctx = make_context(analyzer=None)
    note = vault / "later.md"
    note.write_text(SEED_URL + "\n")
    # a failure a moment ago, whose backoff ends in a second and a half
    ctx.ledger.record(ctx.vault, "later.md", "Yf1o0TQzry8", "transient", "offline",
                      next_attempt=time.time() + 1.5)
    assert BACKOFF_FIRST >= 60  # so only the scheduled retry can explain a fill within seconds
    ctx = replace(ctx, config=ctx.config.replace(debounce_seconds=0.1, reconcile_minutes=60))
    watcher = Watcher(ctx, report=lambda outcome: None)
    watcher.debounce = 0.1
    # the scan honours the backoff: the note is not queued now but scheduled for its end
    watcher.scan()
    assert note.read_text() == SEED_URL + "\n"
    assert watcher._due[note] > time.monotonic()
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: filled(note), timeout=10)
    finally:
        stop.set()
        watcher.wake()
        thread.join(timeout=10)


def test_a_reconcile_scan_reads_only_what_changed_and_finds_it(
        vault: Path, make_context: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process, no observer: what a reconciliation scan finds when events were missed (a sync
    tool wrote the stub), after an earlier scan remembered the note as not ours."""
    from ytvault.daemon.watcher import Watcher
    from ytvault.vault import scan, seen

    monkeypatch.setattr(seen, "RACY_NS", 0)  # the notes were written a moment ago
    for n in range(5):
        (vault / f"prose {n}.md").write_text(f"Notes on cooking, part {n}.\n")
    watcher = Watcher(make_context(analyzer=None), report=lambda outcome: None)
    opened: list[str] = []
    real = scan.read_note
    monkeypatch.setattr(scan, "read_note",
                        lambda note: opened.append(Path(note).name) or real(note))
    watcher.scan()
    assert len(opened) == 5 and not watcher._due
    time.sleep(0.05)  # a new timestamp tick
    (vault / "prose 3.md").write_text(SEED_URL + "\n")
    opened.clear()
    watcher.scan()
    assert opened == ["prose 3.md"]
    assert list(watcher._due) == [vault / "prose 3.md"]


def _exclude(vault: Path, *folders: str) -> None:
    import json

    (vault / ".obsidian" / "app.json").write_text(json.dumps({"userIgnoreFilters": list(folders)}))


def test_a_folder_excluded_while_watching_is_never_filled(
        vault: Path, make_context: Callable[..., object]) -> None:
    """In process: Excluded files are read again at each scan and when app.json changes, not
    only at start (SPEC: excluded files are never touched)."""
    from ytvault.daemon.watcher import Watcher

    (vault / "Later").mkdir()
    stub = vault / "Later" / "stub.md"
    stub.write_text(SEED_URL + "\n")
    watcher = Watcher(make_context(analyzer=None), report=lambda outcome: None)
    _exclude(vault, "Later/")  # after the watcher started
    watcher.scan()
    assert stub not in watcher._due
    fresh = Watcher(make_context(analyzer=None), report=lambda outcome: None)
    _exclude(vault)
    fresh.notice(vault / ".obsidian" / "app.json")  # Obsidian saved its settings
    assert fresh._rescan  # the folder is back: the next loop scans it
    _exclude(vault, "Later/")
    fresh.notice(vault / ".obsidian" / "app.json")
    fresh.notice(stub)
    assert stub not in fresh._due
    fresh._due[stub] = 0.0  # queued before the exclusion: still passed over
    fresh._handle(stub)
    assert stub.read_text() == SEED_URL + "\n"


def test_the_daemon_follows_excluded_files_as_they_change(
        vault: Path, daemon: Callable[[FakeMessagesAPI], Daemon]) -> None:
    """The daemon sees Obsidian's app.json change (its events get through the event filter)."""
    (vault / "Later").mkdir()
    with FakeMessagesAPI() as api:
        d = daemon(api)
        time.sleep(0.5)
        _exclude(vault, "Later")
        time.sleep(0.5)
        kept = vault / "Later" / "stub.md"
        kept.write_text(SEED_URL + "\n")
        note = vault / "Now.md"
        note.write_text("https://www.youtube.com/shorts/fxShort001F\n")
        wait_for(lambda: filled(note))
        time.sleep(1.0)  # the excluded stub's debounce has long passed
        assert kept.read_text() == SEED_URL + "\n"
        _exclude(vault)  # no longer excluded: filled without waiting for a reconcile scan
        wait_for(lambda: filled(kept))
        code, err = d.stop()
    assert code == 0, err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_during_the_model_call_takes_the_claims_off(
        vault: Path, env: dict[str, str], daemon: Callable[[FakeMessagesAPI], Daemon],
        stop: signal.Signals) -> None:
    """With claims on, a note being filled holds this device's claim: stopping gives every
    note not filled back as it was, claim and all, before exit 0."""
    config = Path(env["YTVAULT_CONFIG"])
    config.write_text(config.read_text() + 'claim_notes = "always"\nclaim_settle_seconds = 0\n')
    stubs = {"a.md": SEED_URL + "\n", "b.md": "---\ntags: [talks]\n---\nhttps://youtu.be/fxGerman01C\n"}
    for name, text in stubs.items():
        (vault / name).write_text(text)
    with FakeMessagesAPI(delay=30) as slow:
        d = daemon(slow)
        wait_for(lambda: len(slow.message_requests) >= 1)
        wait_for(lambda: all("ytvault-claim" in (vault / n).read_text() for n in stubs)
                 or len(slow.message_requests) >= 2, timeout=5)
        d.proc.send_signal(stop)
        _, err = d.proc.communicate(timeout=10)
    assert d.proc.returncode == 0, err
    for name, text in stubs.items():  # byte for byte: the claim, and the fences it brought, gone
        assert (vault / name).read_text() == text
    assert list(vault.glob(".*.tmp")) == []
