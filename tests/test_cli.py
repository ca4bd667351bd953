"""`ytvault` as a person runs it: a subprocess on a temp vault, the fixture cache, and the
local Messages API. Output lines, exit codes and every fixture video's note are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml as pyyaml
from conftest import FIXTURES, cli_env, props
from fakeapi import FakeMessagesAPI

from ytvault.note.parse import split_note

STUBS = {
    "Inbox/Untitled.md": "https://youtu.be/Yf1o0TQzry8\n",
    "long.md": "https://www.youtube.com/watch?v=fxLong00001&t=120s\n",
    "hostile.md": "[watch](https://youtu.be/fxHostile1D?si=x)\n",
    "german.md": "<https://m.youtube.com/watch?v=fxGerman01C>\n",
    "rain.md": "---\ntags:\n  - sounds\nyoutube_url: https://youtu.be/fxNoTrans1E\n---\n",
    "short.md": "https://www.youtube.com/shorts/fxShort001F\n",
    "premiere.md": "https://www.youtube.com/live/fxUpcoming1\n",
    "prose.md": "Not a stub: https://youtu.be/Yf1o0TQzry8 is worth a look.\n",
}


def run(vault: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args, str(vault)], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    return cli_env(tmp_path, cache_dir, "api_max_retries = 2\n")


def fill(vault: Path) -> None:
    for name, text in STUBS.items():
        (vault / name).parent.mkdir(parents=True, exist_ok=True)
        (vault / name).write_text(text)


def test_sync_every_fixture_video(vault: Path, env: dict[str, str]) -> None:
    fill(vault)
    with FakeMessagesAPI() as api:
        result = run(vault, {**env, "ANTHROPIC_API_KEY": "sk-secret-123",
                             "ANTHROPIC_BASE_URL": api.base_url}, "sync")
    assert result.returncode == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert len(lines) == 7 and all(ln.startswith(("filled: ", "skipped: ")) for ln in lines)
    assert "skipped: premiere.md — upcoming premiere" in result.stdout
    assert "Traceback" not in result.stderr and "sk-secret-123" not in result.stdout + result.stderr
    # one model call per video with a transcript: seed, long, hostile, german, short
    assert len(api.message_requests) == 5

    assert (vault / "Inbox/Untitled.md").read_text().count("# SUMMARY") == 1
    assert props(vault / "long.md")["length"] == "2:13:07"
    hostile = props(vault / "hostile.md")
    info_title = ("Why \"AI\" won't: #1 — ‹b›lies‹/b› & ［［links］］ {{x}} | 50% off: \"quotes\" "
                  "‹%* tR += tp.file.content %›")  # inert: look-alikes of the tags and links
    assert hostile["title"] == info_title
    assert pyyaml.safe_load(split_note((vault / "hostile.md").read_text()).frontmatter or "")[
        "title"] == info_title
    assert "<script" not in (vault / "hostile.md").read_text()
    assert props(vault / "german.md")["channel_name"] == "Backstube Müller"
    rain = vault / "rain.md"
    assert props(rain)["tags"] == ["sounds", "type/youtube"]
    assert "ytvault: no transcript" in rain.read_text()
    assert props(vault / "short.md")["length"] == "0:45"
    premiere = (vault / "premiere.md").read_text()
    assert premiere.startswith(STUBS["premiere.md"]) and "waiting for the premiere" in premiere
    assert (vault / "prose.md").read_text() == STUBS["prose.md"]
    assert len(list(vault.glob("*.jpg"))) == 6  # every video but the premiere

    # a second run writes nothing and calls nothing
    before = {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()}
    with FakeMessagesAPI() as api:
        again = run(vault, {**env, "ANTHROPIC_API_KEY": "sk-secret-123",
                            "ANTHROPIC_BASE_URL": api.base_url}, "sync")
    assert again.returncode == 0 and not api.requests
    assert again.stdout.strip() == "skipped: premiere.md — waiting for the premiere"
    assert {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()} == before


def test_sync_without_key_names_it_once(vault: Path, env: dict[str, str]) -> None:
    fill(vault)
    result = run(vault, env, "sync")
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("ANTHROPIC_API_KEY") == 1
    assert "analysis pending" in (vault / "short.md").read_text()
    with FakeMessagesAPI() as api:
        later = run(vault, {**env, "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": api.base_url},
                    "sync")
    assert later.returncode == 0, later.stderr
    assert len(api.message_requests) == 5
    assert "analysis pending" not in (vault / "short.md").read_text()
    # the pending callout became the analysis: the body is the seed's, but for the thumbnail
    seed = vault / "Inbox/Untitled.md"
    thumbnail = str(props(seed)["thumbnail"]).removeprefix("![[").removesuffix("]]")
    seed_body = split_note((FIXTURES / "seed-note-quote-links.md").read_text()).body
    assert split_note(seed.read_text()).body == seed_body.replace("1711477562504.jpg", thumbnail)


def test_failed_note_exits_1(vault: Path, env: dict[str, str]) -> None:
    (vault / "x.md").write_text("https://youtu.be/notcached01\n")
    result = run(vault, env, "sync")
    assert result.returncode == 1
    assert result.stdout.startswith("failed: x.md — ") and "will retry" in result.stdout
    assert (vault / "x.md").read_text() == "https://youtu.be/notcached01\n"
    assert "Traceback" not in result.stderr


def test_usage_and_config_errors_exit_2(vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n")
    result = run(vault, {**env, "YTVAULT_CONFIG": str(bad)}, "sync")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ytvault: {bad}: unknown key 'colour': check its spelling against config.example.toml"]
    missing = run(tmp_path / "nope", env, "sync")
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    usage = subprocess.run([sys.executable, "-m", "ytvault", "frobnicate"], env=env,
                           capture_output=True, text=True)
    assert usage.returncode == 2


def test_dry_run_writes_nothing(vault: Path, env: dict[str, str]) -> None:
    fill(vault)
    before = {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()}
    result = run(vault, env, "sync", "--dry-run")
    assert result.returncode == 0
    assert result.stdout.count("would fill: ") == 6
    assert "would skip: premiere.md — upcoming premiere" in result.stdout
    assert "filled: " not in result.stdout.replace("would fill: ", "")
    assert {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()} == before


PASTED = {
    "list.md": "https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf\n",
    "cut.md": "[a talk](https://youtu.be/Yf1o0TQzr)\n",
    "phone.md": "https://YouTu.be/fxShort001F\n",
}


def test_pasted_playlists_and_bad_ids_get_one_line_each(vault: Path, env: dict[str, str]) -> None:
    """Not stubs, never written to, but the person pasted them for ytvault: a dry run and a
    real one each say what to do, once per note."""
    for name, text in PASTED.items():
        (vault / name).write_text(text)
    for args in (("sync", "--dry-run"), ("sync",)):
        result = run(vault, env, *args)
        assert result.returncode == 0, result.stderr
        # one line a note (a dry run ends with its summary)
        lines = [ln for ln in result.stdout.splitlines() if not ln.startswith("dry run")]
        said = {ln.split(" — ")[0].split(": ")[-1]: ln for ln in lines}
        assert len(lines) == 3 and set(said) == set(PASTED), lines
        assert said["list.md"].startswith(("skipped: ", "would skip: "))
        assert ("a playlist, not a video: `ytvault new 'https://www.youtube.com/playlist?list="
                "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf'`") in said["list.md"]
        assert said["cut.md"].startswith(("skipped: ", "would skip: "))
        assert "`Yf1o0TQzr` is not a YouTube video id" in said["cut.md"]
        assert "list.md" not in result.stderr and "Traceback" not in result.stderr
        assert (vault / "list.md").read_text() == PASTED["list.md"]
        assert (vault / "cut.md").read_text() == PASTED["cut.md"]
    assert props(vault / "phone.md")["youtube_url"] == "https://YouTu.be/fxShort001F"


def test_process_named_notes(vault: Path, env: dict[str, str]) -> None:
    fill(vault)
    result = subprocess.run(
        [sys.executable, "-m", "ytvault", "process",
         str(vault / "short.md"), str(vault / "prose.md")],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "filled: short.md — Fold a fitted sheet in 20 seconds #shorts; analysis pending",
        "skipped: prose.md — not a stub: nothing to fill",
    ]
    assert (vault / "long.md").read_text() == STUBS["long.md"]  # only the named notes


def test_watch_exit_codes_tell_a_crash_from_what_a_restart_cannot_mend(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The login services restart a crash (70), not a config error (2) nor a refusal (1); under
    launchd, which restarts every exit but 0, those two exit 0 (`--launchd`)."""
    from ytvault.commands import cli
    from ytvault.errors import YtvaultError

    config = tmp_path / "config.toml"
    config.write_text("")
    monkeypatch.setenv("YTVAULT_CONFIG", str(config))
    missing = str(tmp_path / "no such vault")
    assert cli.main(["watch", missing]) == cli.EXIT_USAGE
    assert cli.main(["watch", "--launchd", missing]) == cli.EXIT_OK

    def refused(args: object) -> int:
        raise YtvaultError("another `ytvault watch` (pid 1) is already watching")

    monkeypatch.setattr(cli, "_watch", refused)
    assert cli.main(["watch"]) == cli.EXIT_FAILED
    assert cli.main(["watch", "--launchd"]) == cli.EXIT_OK

    def crashed(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "_watch", crashed)
    assert cli.main(["watch"]) == cli.main(["watch", "--launchd"]) == cli.EXIT_CRASH == 70
    with pytest.raises(RuntimeError):  # other commands crash as Python does
        monkeypatch.setattr(cli, "_status", crashed)
        cli.main(["status"])


def ytvault(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


def test_a_folder_that_is_not_a_vault_is_refused(tmp_path: Path, vault: Path,
                                                 env: dict[str, str]) -> None:
    """The folder above the vault (~/Documents, iCloud's Obsidian folder) is the easy mistake:
    every command that writes refuses it, names the vault below, and touches nothing."""
    (vault / "a.md").write_text(STUBS["short.md"])
    above = vault.parent
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for args in (["sync", str(above)], ["watch", str(above)], ["status", str(above)],
                 ["new", "https://youtu.be/fxShort001F", "--vault", str(above)],
                 ["process", str(vault / "a.md"), "--vault", str(above)],
                 ["service", "install", str(above), "--dry-run"]):
        result = ytvault(env, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.splitlines() == [
            f"ytvault: {above} is not an Obsidian vault (it has no `.obsidian` folder): did you "
            f"mean the vault {vault}? Pass that folder"], args
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    # two vaults below: both named, none chosen
    (above / "Work" / ".obsidian").mkdir(parents=True)
    two = ytvault(env, "sync", str(above))
    assert two.returncode == 2 and "holds 2 vaults (Work, vault)" in two.stderr


def test_a_vault_with_an_override_config_folder_is_a_vault(vault: Path, env: dict[str, str]
                                                           ) -> None:
    """Obsidian's *Override config folder* (`.obsidian-mobile`…): its app.json is the vault's."""
    (vault / ".obsidian").rmdir()
    settings = vault / ".obsidian-mobile"
    settings.mkdir()
    (settings / "app.json").write_text('{"attachmentFolderPath": "Files", '
                                       '"userIgnoreFilters": ["Archive/"]}')
    (vault / "Files").mkdir()
    (vault / "a.md").write_text(STUBS["short.md"])
    (vault / "Archive").mkdir()
    (vault / "Archive" / "old.md").write_text(STUBS["short.md"])
    result = ytvault(env, "sync", str(vault))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("filled: a.md")
    assert len(list((vault / "Files").glob("*.jpg"))) == 1  # where its settings say
    assert (vault / "Archive" / "old.md").read_text() == STUBS["short.md"]  # excluded there


def test_options_before_or_after_the_command(vault: Path, env: dict[str, str]) -> None:
    (vault / "a.md").write_text(STUBS["short.md"])
    from ytvault.commands.arguments import build_parser

    after = ytvault(env, "sync", str(vault), "--dry-run", "-v")
    before = ytvault(env, "-v", "sync", str(vault), "--dry-run")
    assert after.returncode == before.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    for argv in (["sync", "-v"], ["-v", "sync"], ["service", "install", "-v"], ["status", "-v"]):
        assert build_parser().parse_args(argv).verbose is True, argv
    assert build_parser().parse_args(["sync"]).verbose is False
    as_json = ytvault(env, "--json", "sync", "--dry-run", str(vault))
    assert json.loads(as_json.stdout.splitlines()[0])["status"] == "would fill"
    quiet = ytvault(env, "-q", "sync", "--dry-run", str(vault))
    assert quiet.returncode == 0 and quiet.stdout == ""
    both = ytvault(env, "-q", "sync", "--json", str(vault))
    assert both.returncode == 2 and "-q and --json" in both.stderr
    wrong = ytvault(env, "--json", "status", str(vault))
    assert wrong.returncode == 2 and "--json works with sync" in wrong.stderr


def test_a_closed_pipe_ends_quietly(vault: Path, env: dict[str, str]) -> None:
    """`ytvault status | head`: the reader is gone before ytvault writes."""
    for command in (["status", str(vault)], ["doctor", "--offline", str(vault)]):
        reader, writer = os.pipe()
        os.close(reader)  # as `head` does once it has its lines
        proc = subprocess.run([sys.executable, "-m", "ytvault", *command], env=env,
                              stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
        os.close(writer)
        assert proc.stderr == "", command
        assert proc.returncode == 141, command  # as a shell reports a command ended by SIGPIPE


def test_process_fills_what_it_can_and_names_the_rest(vault: Path, env: dict[str, str]
                                                      ) -> None:
    fill(vault)
    result = ytvault(env, "process", str(vault / "short.md"), str(vault / "missing.md"),
                     str(vault / "rain.md"))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("filled: short.md") and lines[2].startswith("filled: rain.md")
    assert lines[1] == "failed: missing.md — no such file: nothing was done to it"
    assert "Traceback" not in result.stderr


def test_process_a_note_outside_the_vault(tmp_path: Path, vault: Path, env: dict[str, str]
                                          ) -> None:
    outside = tmp_path / "elsewhere" / "x.md"
    outside.parent.mkdir()
    outside.write_text(STUBS["short.md"])
    result = ytvault(env, "process", str(outside), "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"skipped: {outside} — it is not in the vault {vault}: move it "
                             "there, or pass its vault\n")
    assert outside.read_text() == STUBS["short.md"]


def test_status_is_current(vault: Path, env: dict[str, str]) -> None:
    """A deleted note drops out; a stub sync skips is named with its reason."""
    (vault / "gone.md").write_text("https://youtu.be/notcached01\n")  # fails: not cached
    (vault / "done.md").write_text(STUBS["short.md"])
    assert ytvault(env, "sync", str(vault)).returncode == 1
    before = ytvault(env, "status", str(vault)).stdout
    assert "gone.md" in before and "failed, will retry: 1" in before
    (vault / "gone.md").unlink()
    (vault / "bad.md").write_text("---\ntitle: [oops\n---\nhttps://youtu.be/fxShort001F\n")
    after = ytvault(env, "status", str(vault))
    assert after.returncode == 0, after.stderr
    assert "gone.md" not in after.stdout and "failed, will retry: 0" in after.stdout
    assert "analysis pending: 1" in after.stdout  # done.md, filled without a key
    assert ("stubs skipped: 1\n  bad.md — malformed YAML frontmatter (while parsing a flow "
            "sequence)") in after.stdout


def test_watch_on_a_terminal_prints_the_lines_sync_prints(vault: Path, env: dict[str, str]
                                                          ) -> None:
    import pty
    import select
    import signal

    (vault / "a.md").write_text(STUBS["short.md"])
    leader, follower = pty.openpty()
    # stdout and stderr both on the terminal, as in a person's shell
    proc = subprocess.Popen([sys.executable, "-m", "ytvault", "watch", str(vault)], env=env,
                            stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    try:
        while b"\n" not in seen.partition(b"filled: ")[2]:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, seen  # the line never came
            seen += os.read(leader, 4096)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        while select.select([leader], [], [], 0.5)[0]:  # what it wrote while stopping
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
    assert proc.returncode == 0
    text = seen.decode().replace("\r\n", "\n")
    line = text.partition("filled: ")[2].partition("\n")[0]
    assert "filled: " + line == ("filled: a.md — Fold a fitted sheet in 20 seconds #shorts; "
                                 "analysis pending")
    assert text.count("filled: a.md") == 1  # not again as a log record
    assert " INFO " not in text  # the log file has those; the terminal, sync's lines
    assert "ANTHROPIC_API_KEY is not set" in text  # a warning still shows
