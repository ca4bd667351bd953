"""The API key never reaches a log, a note, the ledger, the cache or the output, even when the
API (or a gateway in front of it) echoes it back in an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fakeapi import FakeMessagesAPI
from fakewire import Reply

KEY = "sk-ant-api03-SECRET-do-not-leak-0123456789"


def everything_under(*roots: Path) -> bytes:
    return b"".join(p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file())


def test_key_is_never_written_or_printed(vault: Path, cache_dir: Path, tmp_path: Path) -> None:
    for i, video in enumerate(["Yf1o0TQzry8", "fxShort001F", "fxGerman01C"]):
        (vault / f"n{i}.md").write_text(f"https://youtu.be/{video}\n")
    config = tmp_path / "config.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\napi_max_retries = 0\n'
                      "concurrency = 1\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")},
           "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
           "ANTHROPIC_API_KEY": KEY, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)}
    with FakeMessagesAPI() as api:
        env["ANTHROPIC_BASE_URL"] = api.base_url
        api.script(Reply.error(500, message=f"upstream rejected key {KEY}"),
                   Reply.error(401, message=f"invalid x-api-key: {KEY}"))
        first = subprocess.run([sys.executable, "-m", "ytvault", "-v", "sync", str(vault)],
                               env=env, capture_output=True, text=True, timeout=120)
        second = subprocess.run([sys.executable, "-m", "ytvault", "-v", "sync", str(vault)],
                                env=env, capture_output=True, text=True, timeout=120)
    assert api.requests, "the key was really used"
    assert all(r.headers.get("authorization", "").endswith(KEY) for r in api.message_requests)
    output = first.stdout + first.stderr + second.stdout + second.stderr
    assert "failed: n0.md" in first.stdout and "refused" in first.stderr  # both errors hit
    assert KEY not in output
    assert KEY.encode() not in everything_under(vault, cache_dir, tmp_path / "state")
