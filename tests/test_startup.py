"""What `--help`, `status`, a no-op `sync` and an idle daemon import: none of the heavy
libraries, and for `status` and `sync` not argparse either. Each runs in a subprocess of its
own (this process has them all loaded), which lists its sys.modules; how fast they start is
measured by bench/startup.py, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakeapi import FakeMessagesAPI

HEAVY = ("yt_dlp", "anthropic", "watchdog", "rich", "pydantic", "ruamel")
# what argparse loads (it translates its messages): `status` and `sync` as people type them are
# read without it (commands/argv.py)
ARGPARSE = ("argparse", "gettext", "locale")
# The standard library's dearest imports (docs/design.md, "Records without typing"): none is on
# the path of `status` (a ledger read too) or a no-op `sync`.
DEAR = ("typing", "dataclasses", "inspect", "tomllib", "contextlib", "logging")
SEED_URL = "https://youtu.be/Yf1o0TQzry8"

RUN = """
import io, sys
from ytvault.commands.cli import main
out = io.StringIO()
real = sys.stdout, sys.stderr
sys.stdout = sys.stderr = out  # (not contextlib.redirect_stdout: contextlib is looked for)
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
finally:
    sys.stdout, sys.stderr = real
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "output": out.getvalue(), "modules": modules}))
"""

# The daemon in the main thread, as `ytvault watch` runs; a second thread looks at sys.modules
# once the start-up scan is logged, after an ordinary note is saved, and after a stub is.
WATCH = """
import json, os, signal, sys, threading, time
from pathlib import Path
from ytvault.commands.cli import main

vault, log_dir = Path(sys.argv[1]), Path(sys.argv[2])
seen = {}

def heavy():
    return sorted(m for m in ("anthropic", "yt_dlp") if m in sys.modules)

def wait(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return check()

def log_says(text):
    path = log_dir / "ytvault.log"
    return path.exists() and text in path.read_text()

def look():
    try:
        seen["scanned"] = wait(lambda: log_says(" scanned "))
        time.sleep(1.0)  # a warm-up started by the scan would have begun its imports by now
        seen["after the scan"] = heavy()
        (vault / "Plain.md").write_text("An ordinary note, saved.\\n")
        time.sleep(1.0)
        seen["after an ordinary note"] = heavy()
        (vault / "Untitled.md").write_text(sys.argv[3] + "\\n")
        note = vault / "Untitled.md"
        seen["filled"] = wait(lambda: "</iframe>" in note.read_text())
        seen["after a stub"] = heavy()
    finally:
        print(json.dumps(seen), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=look, daemon=True).start()
sys.exit(main(["watch", str(vault)]))
"""


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    """A person's setup: the config file where ytvault looks for it, no YTVAULT_CONFIG."""
    config = tmp_path / "xdg-config" / "ytvault" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('debounce_seconds = 0.5\napi_max_retries = 1\nwatch_mode = "native"\n')
    old = time.time() - 60  # written a while ago, as a person's config is: its parsed copy is kept
    os.utime(config, (old, old))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    return {**clean, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(config.parent.parent),
            "XDG_STATE_HOME": str(tmp_path / "xdg-state"), "XDG_CACHE_HOME": str(tmp_path / "xc"),
            "YTVAULT_CACHE_DIR": str(cache_dir),
            "ANTHROPIC_API_KEY": "sk-startup-secret"}


def run(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", RUN, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def loaded(modules: object) -> list[str]:
    assert isinstance(modules, list)
    return [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in modules)]


def test_help_status_and_a_no_op_sync_import_no_heavy_library(
        vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    for i in range(20):
        (vault / f"note {i}.md").write_text(f"# Note {i}\n\nSee https://youtu.be/x{i} later.\n")
    (vault / "stub.md").write_text(SEED_URL + "\n")
    helped = run(["--help"], env, tmp_path)
    assert helped["code"] == 0 and "usage: ytvault" in str(helped["output"])
    status = run(["status", str(vault)], env, tmp_path)
    assert status["code"] == 0 and "stubs not yet filled: 1" in str(status["output"])
    (vault / "stub.md").write_text("Not a stub any more: the person wrote here.\n")
    synced = run(["sync", str(vault)], env, tmp_path)  # the first: the scan reads every note
    assert synced == {**synced, "code": 0, "output": ""}
    again = run(["sync", str(vault)], env, tmp_path)  # what a person runs most: remembered
    assert again == {**again, "code": 0, "output": ""}
    for result in (helped, status, synced, again):
        assert loaded(result["modules"]) == []
    for result in (status, synced, again):
        assert [m for m in ARGPARSE if m in result["modules"]] == []  # type: ignore[operator]
    assert "argparse" in helped["modules"]  # type: ignore[operator]  # the check sees it
    # once the config file's parsed copy is kept, neither TOML nor `typing` is loaded for it
    assert "tomllib" in status["modules"]  # type: ignore[operator]
    assert "tomllib" not in again["modules"]  # type: ignore[operator]
    assert "tomllib" not in helped["modules"]  # type: ignore[operator]
    # the check sees them when they are there: `sync` with a stub imports the pipeline
    (vault / "stub.md").write_text(SEED_URL + "\n")
    filling = run(["sync", "--dry-run", str(vault)], env, tmp_path)
    assert "would fill" in str(filling["output"]) or "stub.md" in str(filling["output"])
    assert "pydantic" in loaded(filling["modules"])


def test_status_with_a_ledger_and_a_no_op_sync_load_no_dear_stdlib_module(
        vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    from ytvault.cost import Usage
    from ytvault.pipeline.ledger import Ledger

    for i in range(20):
        (vault / f"note {i}.md").write_text(f"# Note {i}\n\nSee https://youtu.be/x{i} later.\n")
    (vault / "stub.md").write_text("---\ntags:\n  - inbox\n---\n" + SEED_URL + "\n")
    ledger = Ledger(tmp_path / "xdg-state" / "ytvault" / "ledger.sqlite3")  # a person's, once
    ledger.record(vault, "done.md", "Yf1o0TQzry8", "filled")  # they have filled notes
    ledger.record_usage(vault, "done.md", "Yf1o0TQzry8", Usage(input_tokens=9, output_tokens=3))
    (vault / "done.md").write_text("A finished note.\n")
    first = run(["status", str(vault)], env, tmp_path)  # parses the config, keeps its copy
    status = run(["status", str(vault)], env, tmp_path)
    assert status["code"] == 0 and "stubs not yet filled: 1" in str(status["output"])
    assert "done: 1" in str(status["output"]) and "sqlite3" in status["modules"]  # type: ignore[operator]
    (vault / "stub.md").unlink()
    run(["sync", str(vault)], env, tmp_path)
    again = run(["sync", str(vault)], env, tmp_path)
    assert again == {**again, "code": 0, "output": ""}
    assert first["code"] == 0
    # (what this interpreter loads before any code runs does not count: an editable install's
    # import hook brings contextlib)
    bare = json.loads(subprocess.run(
        [sys.executable, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout)
    for result in (status, again):
        assert [m for m in DEAR if m in result["modules"] and m not in bare] == [], result[  # type: ignore[operator]
            "output"]
    assert "tomllib" in first["modules"]  # type: ignore[operator]  # the check sees them


def test_the_idle_daemon_loads_the_sdk_and_yt_dlp_only_for_its_first_stub(
        vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    for i in range(20):
        (vault / f"note {i}.md").write_text(f"# Note {i}\n")
    log_dir = tmp_path / "xdg-state" / "ytvault" / "log"
    with FakeMessagesAPI() as api:
        proc = subprocess.run(
            [sys.executable, "-c", WATCH, str(vault), str(log_dir), SEED_URL],
            env={**env, "ANTHROPIC_BASE_URL": api.base_url}, cwd=tmp_path,
            capture_output=True, text=True, timeout=90, check=False)
        requests = len(api.message_requests)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.splitlines()[-1])
    assert seen["scanned"] is True
    assert seen["after the scan"] == [] and seen["after an ordinary note"] == []
    assert seen["filled"] is True and requests == 1
    assert seen["after a stub"] == ["anthropic", "yt_dlp"]
