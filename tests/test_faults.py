"""What the fault campaign (docs/safety.md) found, run again: an API or gateway that echoes the
key, answers 200 with something that is not a message, and names and titles made to attack a
terminal. The commands run as a person runs them (a subprocess), the real SDK against the
local Messages API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import MakeContext
from fakeapi import FakeMessagesAPI, Reply
from ytfakes import closed_port_url

from ytvault.analysis import claude
from ytvault.commands.scrub import LINE_LIMIT, printable, printable_json
from ytvault.daemon.watcher import Watcher
from ytvault.pipeline.run import process_note

GATEWAY_KEY = "gw-live-token-5f1e2d3c4b5a6978"  # not shaped like an Anthropic key
SEED_URL = "https://youtu.be/Yf1o0TQzry8"


def base_env(tmp_path: Path, cache_dir: Path, api: FakeMessagesAPI, config: str = ""
             ) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\napi_max_retries = 0\n{config}')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    return {**clean, "YTVAULT_CONFIG": str(path), "YTVAULT_CACHE_DIR": str(cache_dir),
            "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "xdg"),
            "ANTHROPIC_BASE_URL": api.base_url,
            # YouTube (doctor's probe) through a proxy that refuses: offline, and at once
            "HTTPS_PROXY": closed_port_url(), "NO_PROXY": "127.0.0.1,localhost"}


def ytvault(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120)


# The key, echoed back by a gateway.


def test_doctor_never_prints_the_key_a_gateway_echoes(vault: Path, cache_dir: Path,
                                                      tmp_path: Path) -> None:
    with FakeMessagesAPI() as api:
        env = {**base_env(tmp_path, cache_dir, api, 'api_key_env = "GATEWAY_TOKEN"\n'),
               "GATEWAY_TOKEN": GATEWAY_KEY}
        api.script(Reply.echo(401), Reply.echo(401))
        text = ytvault(env, "doctor", str(vault))
        data = ytvault(env, "doctor", "--json", str(vault))
    assert [r.headers["authorization"] for r in api.message_requests] == [
        f"Bearer {GATEWAY_KEY}"] * 2  # the key was sent, and echoed
    assert "refused the key in GATEWAY_TOKEN" in text.stdout
    assert "[API key]" in text.stdout  # the echo arrived, masked
    rows = {r["name"]: r for r in json.loads(data.stdout)}
    assert "[API key]" in rows["Anthropic API"]["message"]
    for result in (text, data):
        assert GATEWAY_KEY not in result.stdout + result.stderr


def test_sync_never_prints_the_key_a_gateway_echoes(vault: Path, cache_dir: Path,
                                                    tmp_path: Path) -> None:
    (vault / "n.md").write_text(SEED_URL + "\n")
    with FakeMessagesAPI() as api:
        env = {**base_env(tmp_path, cache_dir, api, 'api_key_env = "GATEWAY_TOKEN"\n'),
               "GATEWAY_TOKEN": GATEWAY_KEY}
        api.script(Reply.echo(400))
        result = ytvault(env, "-v", "sync", str(vault))
    assert "[API key]" in result.stdout + result.stderr
    assert GATEWAY_KEY not in result.stdout + result.stderr
    assert GATEWAY_KEY not in (vault / "n.md").read_text()


@pytest.mark.parametrize("text", [
    "invalid x-api-key: sk-ant-api03-AbC_dEf-0123456789",
    "upstream said: {'authorization': 'Bearer some.opaque.token'}",
    "Authorization: Bearer abc123def456",
])
def test_a_credential_in_any_form_is_masked(text: str) -> None:
    line = printable(text)
    assert "[API key]" in line
    assert not any(secret in line for secret in ("AbC_dEf", "some.opaque", "abc123def456"))


# A 200 that is not a message.


def test_a_malformed_answer_is_one_line_and_leaves_the_stub(vault: Path, cache_dir: Path,
                                                            tmp_path: Path) -> None:
    note = vault / "n.md"
    note.write_text(SEED_URL + "\n")
    with FakeMessagesAPI() as api:
        env = {**base_env(tmp_path, cache_dir, api), "ANTHROPIC_API_KEY": "sk-ant-test-0000000"}
        api.script(Reply.malformed("not-json"))
        result = ytvault(env, "sync", str(vault))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "failed: n.md — the Anthropic API answered with a body that is not JSON (check "
        "ANTHROPIC_BASE_URL, if you use a gateway) (1 attempt): the note will be retried later"]
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
    assert note.read_text() == SEED_URL + "\n"


def test_the_watcher_retries_a_note_whose_answer_was_malformed(
        vault: Path, make_context: MakeContext, api: FakeMessagesAPI,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude, "MALFORMED_BACKOFF", 0.001)
    note = vault / "n.md"
    note.write_text(SEED_URL + "\n")
    api.script(*[Reply.malformed("error-object")] * 5)
    ctx = make_context()
    outcome = process_note(ctx, note)
    assert outcome is not None and outcome.status == "failed"
    assert "retried later" in outcome.detail and note.read_text() == SEED_URL + "\n"
    entry = ctx.ledger.get(vault, "n.md")
    assert entry is not None and entry.status == "transient" and entry.next_attempt
    # the watcher plans the retry for when the backoff ends (moved to now here), and fills it
    ctx.ledger.record(vault, "n.md", entry.video_id, "transient", entry.reason,
                      next_attempt=time.time() + 0.5)
    ctx = replace(ctx, config=ctx.config.replace(debounce_seconds=0.1, reconcile_minutes=60))
    reports = []
    watcher = Watcher(ctx, report=reports.append)
    watcher.debounce = 0.1
    watcher.scan()
    assert note in watcher._due
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while "</iframe>" not in note.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.wake()
        thread.join(timeout=10)
    assert "</iframe>" in note.read_text()
    assert len(api.message_requests) == 6


# Names and titles made to attack a terminal.

HOSTILE_NAME = "evil \x1b]0;owned\x07\x1b[2J\u202egpj.exe\nfilled: fake.md"


def hostile_video(cache_dir: Path) -> None:
    """A video whose title is a megabyte of text with escape sequences and bidi overrides."""
    folder = cache_dir / "videos" / "fxHostile2E"
    shutil.copytree(cache_dir / "videos" / "fxShort001F", folder)
    info = json.loads((folder / "info.json").read_text())
    info.update(id="fxHostile2E", title="\x1b[31mRED\u202e " + "A" * 1_000_000 + "\x9b2J")
    (folder / "info.json").write_text(json.dumps(info))
    transcript = json.loads((folder / "transcript.json").read_text())
    (folder / "transcript.json").write_text(json.dumps({**transcript, "video_id": "fxHostile2E"}))


@pytest.mark.parametrize("mode", ["plain", "json"])
def test_every_printed_line_is_safe_and_short(vault: Path, cache_dir: Path, tmp_path: Path,
                                              mode: str) -> None:
    hostile_video(cache_dir)
    (vault / f"{HOSTILE_NAME}.md").write_text("https://youtu.be/fxHostile2E\n")
    with FakeMessagesAPI() as api:
        env = base_env(tmp_path, cache_dir, api)  # no key: the note gets its properties
        result = ytvault(env, "sync", *(["--json"] if mode == "json" else []), str(vault))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert not set(output) & {"\x1b", "\x07", "\x9b", "\u202e"}
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    if mode == "json":
        row = json.loads(lines[0])
        assert row["note"] == f"{HOSTILE_NAME}.md"  # exact in JSON, yet printed inert
        assert row["detail"].startswith("\x1b[31mRED") and len(row["detail"]) <= LINE_LIMIT
    else:
        assert len(lines[0]) <= LINE_LIMIT
        assert lines[0].startswith("filled: evil ") and "RED" in lines[0]
        assert lines[0].endswith("…")


def test_json_output_reads_back_exactly() -> None:
    value = {"note": "a\u202eb\x85c\u2028d\ne\x1b"}
    text = printable_json(value)
    assert json.loads(text) == value
    assert not set(text) & {"\u202e", "\x85", "\u2028", "\n", "\x1b"}
