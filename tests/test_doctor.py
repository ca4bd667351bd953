"""`ytvault doctor` against a healthy and a broken setup, with the local Messages API and a
local stand-in for YouTube; each problem comes with its fix, and the exit code says it all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeMessagesAPI
from fakewire import Reply
from ytfakes import closed_port_url

from ytvault.commands.doctor import DENO_INSTALL, Check, Doctor, exit_code, render

TODAY = date(2026, 11, 26)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: config, cache and state under tmp_path, a vault, a key."""
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "YTVAULT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".obsidian" / "app.json").write_text('{"attachmentFolderPath": "Attachments"}')
    config = tmp_path / "config.toml"
    config.write_text(f'vault = "{vault}"\ncache_dir = "{tmp_path / "cache"}"\n'
                      f'state_dir = "{tmp_path / "state"}"\n')
    monkeypatch.setenv("YTVAULT_CONFIG", str(config))
    return tmp_path


@pytest.fixture
def youtube_ok() -> Iterator[str]:
    """A local stand-in for https://www.youtube.com/ that answers 200."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def fake_deno(tmp_path: Path, version: str = "2.5.4") -> str:
    deno = tmp_path / f"deno-{version}" / "deno"
    deno.parent.mkdir(exist_ok=True)
    deno.write_text(f"#!/bin/sh\necho 'deno {version} (stable, release, x86_64)'\n")
    deno.chmod(0o755)
    return str(deno)


def not_installed(argv: Any, **_: Any) -> subprocess.CompletedProcess[str]:
    """systemctl/launchctl/reg answering that no service is installed."""
    return subprocess.CompletedProcess(argv, 3, "inactive\n", "")


def doctor(setup: Path, youtube_url: str, **fields: Any) -> list[Check]:
    deno = fake_deno(setup)
    fields.setdefault("which", lambda name: deno if name == "deno" else None)
    fields.setdefault("ytdlp_version", lambda: "2026.10.26")
    return list(Doctor(youtube_url=youtube_url, today=TODAY, home=setup, **fields).checks())


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_a_healthy_setup(setup: Path, api: FakeMessagesAPI, youtube_ok: str) -> None:
    checks = doctor(setup, youtube_ok, run=_real_or(not_installed))
    assert exit_code(checks) == 0
    found = by_name(checks)
    assert [c.level for c in checks if c.level in ("warn", "fail")] == []
    assert found["Anthropic API"].message.endswith("the key works with `claude-sonnet-5-5`")
    assert found["YouTube"].message == f"{youtube_ok} answers"
    assert found["yt-dlp"].message == "version 2026.10.26 (31 days old)"
    assert found["JavaScript runtime"].message.startswith("deno 2.5.4 (")
    assert "thumbnails go to Attachments" in found["Obsidian settings"].message
    assert found["login service"].level == "note" and "ytvault service install" in \
        found["login service"].fix
    [call] = api.message_requests  # one tiny call
    assert call.body["max_tokens"] == 1
    assert render(checks).endswith("everything is in place")


def test_a_broken_setup(setup: Path, api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.api_key = "sk-the-right-key"  # ours is refused
    (setup / "vault" / ".obsidian" / "app.json").write_text("{broken")
    checks = doctor(setup, closed_port_url(), run=_real_or(not_installed),
                    which=lambda name: "/usr/bin/node" if name == "node" else None,
                    ytdlp_version=lambda: "2026.01.02")
    assert exit_code(checks) == 1
    found = by_name(checks)
    assert found["Anthropic API"].level == "fail" and "refused the key" in \
        found["Anthropic API"].message
    assert found["YouTube"].level == "fail" and "HTTPS_PROXY" in found["YouTube"].fix
    assert found["yt-dlp"].level == "warn" and "328 days old" in found["yt-dlp"].message
    assert found["yt-dlp"].fix.startswith("python -m pip install -U yt-dlp")
    js = found["JavaScript runtime"]
    # no deno, but node: ytvault enables it for yt-dlp, and shows the exact setting
    assert js.level == "ok" and "--js-runtimes node:/usr/bin/node" in js.message
    assert any(c.name == "Obsidian settings" and c.level == "warn" for c in checks)
    text = render(checks)
    assert text.endswith("2 problem(s), 2 warning(s)")
    for check in checks:
        if check.level in ("warn", "fail"):
            assert check.fix and f"fix: {check.fix}" in text  # every problem says its fix


@pytest.mark.parametrize(("reply", "level", "words"), [
    (Reply.error(404, message="model: claude-nope"), "fail", "was not found"),
    (Reply.error(429, retry_after=0.001), "warn", "rate-limited"),
    (Reply.error(529), "warn", "answered with an error"),
    (Reply.error(400, message="Your credit balance is too low"), "fail", "cannot pay"),
    (Reply.disconnect(), "fail", "cannot reach"),
])
def test_each_answer_of_the_api_is_explained(setup: Path, api: FakeMessagesAPI,
                                             youtube_ok: str, reply: Reply, level: str,
                                             words: str) -> None:
    api.script(reply)
    found = by_name(doctor(setup, youtube_ok, run=_real_or(not_installed)))["Anthropic API"]
    assert found.level == level and words in found.message and found.fix
    assert len(api.message_requests) == 1  # no retries: the doctor answers at once


def test_missing_key_and_missing_vault(setup: Path, monkeypatch: pytest.MonkeyPatch,
                                       api: FakeMessagesAPI, youtube_ok: str) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    checks = doctor(setup, youtube_ok, run=_real_or(not_installed),
                    vault=setup / "no-such-vault")
    found = by_name(checks)
    # the README calls the key optional: a warning, not a failure
    assert found["API key"].level == "warn" and "export ANTHROPIC_API_KEY" in found["API key"].fix
    assert found["Anthropic API"].level == "ok"  # reached, with no key to try
    assert found["vault"].level == "fail"
    assert exit_code(checks) == 1


def test_an_old_deno_and_conflicting_property_types(setup: Path, youtube_ok: str) -> None:
    (setup / "vault" / ".obsidian" / "types.json").write_text(
        '{"types": {"subscribers": "text"}}')
    deno = fake_deno(setup, "1.46.3")
    checks = doctor(setup, youtube_ok, offline=True, run=_real_or(not_installed),
                    which=lambda name: deno if name == "deno" else None)
    found = by_name(checks)
    assert found["JavaScript runtime"].level == "warn" and found["JavaScript runtime"].fix == \
        "deno upgrade"
    assert found["property types"].level == "note" and "`subscribers`" in \
        found["property types"].message
    assert found["Anthropic API"].message == "not checked (--offline)"


def _real_or(fake: Any) -> Any:
    """Run real programs (the fake deno) but answer for the service managers."""
    def run(argv: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if Path(str(argv[0])).name in ("systemctl", "launchctl", "reg"):
            return fake(argv, **kwargs)  # type: ignore[no-any-return]
        return subprocess.run(argv, **kwargs)
    return run


def test_cli_doctor_exit_codes(setup: Path) -> None:
    env = dict(os.environ)
    ok = subprocess.run([sys.executable, "-m", "ytvault", "doctor", "--offline", "--json"],
                        env=env, capture_output=True, text=True, timeout=60)
    rows = json.loads(ok.stdout)
    assert [r["name"] for r in rows][:7] == ["config", "vault", "Obsidian settings", "claims",
                                             "cache", "ledger", "Anthropic API"]
    assert not any(r["level"] == "fail" for r in rows) and ok.returncode == 0
    (setup / "config.toml").write_text("colour = 'blue'\n")
    bad = subprocess.run([sys.executable, "-m", "ytvault", "doctor", "--offline",
                          str(setup / "vault")], env=env, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 1
    assert "FAIL  config" in bad.stdout and "unknown key 'colour'" in bad.stdout
    assert "fix: correct it" in bad.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renders the systemd unit")
def test_an_installed_service(setup: Path, youtube_ok: str) -> None:
    from ytvault.daemon import service

    vault = setup / "vault"
    plan = service.render("linux", vault, home=setup, env=os.environ)
    unit = plan.files[0]
    unit.path.parent.mkdir(parents=True)
    unit.path.write_bytes(unit.content)

    def active(argv: Any, **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, "active\n", "")

    found = by_name(doctor(setup, youtube_ok, offline=True, run=_real_or(active)))
    assert found["login service"].level == "ok"
    assert found["login service"].message == "installed, active"
    unit.path.write_text(unit.content.decode().replace(str(vault), "/somewhere/else"))
    found = by_name(doctor(setup, youtube_ok, offline=True, run=_real_or(active)))
    assert found["login service"].level == "warn" and "another interpreter, vault" in \
        found["login service"].message


def test_a_vault_on_a_network_mount_is_told_to_turn_claims_on(
        setup: Path, api: FakeMessagesAPI, youtube_ok: str) -> None:
    """A NAS or SMB share is shared with other machines no sync tool tells of: with claims on
    `auto`, each machine would fill (and pay for) every note."""
    mounts = setup / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nnas:/notes {setup / 'vault'} nfs4 rw 0 0\n")
    from ytvault.vault.mounts import mount_type

    on_nas = by_name(doctor(setup, youtube_ok, run=_real_or(not_installed),
                            mount_type=lambda path: mount_type(path, str(mounts))))["claims"]
    assert on_nas.level == "warn" and "network mount (nfs4)" in on_nas.message
    assert 'claim_notes = "always"' in on_nas.fix
    local = by_name(doctor(setup, youtube_ok, run=_real_or(not_installed),
                           mount_type=lambda path: "ext4"))["claims"]
    assert local.level == "ok" and "local" in local.message
    config = Path(os.environ["YTVAULT_CONFIG"])
    config.write_text(config.read_text() + 'claim_notes = "always"\n')
    chosen = by_name(doctor(setup, youtube_ok, run=_real_or(not_installed),
                            mount_type=lambda path: "nfs4"))["claims"]
    assert chosen.level == "ok" and chosen.message == 'on (claim_notes = "always")'


def test_no_javascript_runtime_at_all(setup: Path, youtube_ok: str) -> None:
    checks = doctor(setup, youtube_ok, offline=True, run=_real_or(not_installed),
                    which=lambda name: None)
    js = by_name(checks)["JavaScript runtime"]
    assert js.level == "warn" and "no deno" in js.message and js.fix == DENO_INSTALL


def test_the_override_config_folder_is_the_vaults(setup: Path, youtube_ok: str) -> None:
    vault = setup / "vault"
    (vault / ".obsidian").rename(vault / ".obsidian-mobile")
    (vault / ".obsidian-mobile" / "app.json").write_text('{"attachmentFolderPath": "Files"}')
    checks = doctor(setup, youtube_ok, offline=True, run=_real_or(not_installed))
    found = by_name(checks)
    assert found["vault"].level == "ok" and ".obsidian-mobile" in found["vault"].message
    assert "thumbnails go to Files" in found["Obsidian settings"].message


def test_claims_read_the_override_config_folder_as_a_run_does(
        setup: Path, youtube_ok: str) -> None:
    """Obsidian Sync turned on in the override config folder: a run claims notes, so doctor
    must say so too."""
    vault = setup / "vault"
    (vault / ".obsidian").rename(vault / ".obsidian-mobile")
    (vault / ".obsidian-mobile" / "core-plugins.json").write_text('{"sync": true}')
    claims = by_name(doctor(setup, youtube_ok, offline=True, run=_real_or(not_installed),
                            mount_type=lambda path: "ext4"))["claims"]
    assert claims.message == "on: the vault looks synced between devices"
