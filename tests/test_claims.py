"""Two devices, one synced vault: claims in the notes keep them from both filling a note."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakeapi import FakeMessagesAPI

from ytvault.note.claims import add_claim, drop_claim, read_claim, vault_is_shared

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
URL = "https://youtu.be/Yf1o0TQzry8\n"


@pytest.mark.unit
@pytest.mark.parametrize("text", [
    URL,
    f"---\ntags: [a]\n# a comment\n---\n{URL}",
    f"\ufeff---\r\ntags: [a]\r\n---\r\n{URL}",
    f"---\n---\n{URL}",
])
def test_claim_and_drop_give_back_every_byte(text: str) -> None:
    claimed = add_claim(text, "laptop-1a2b3c", NOW, LEASE)
    assert claimed is not None
    held = read_claim(claimed)
    assert held is not None and held.device == "laptop-1a2b3c"
    assert held.until == NOW + LEASE
    assert drop_claim(claimed) == text


@pytest.mark.unit
def test_a_claim_on_json_properties_writes_them_as_yaml_first() -> None:
    """A line cannot be added to a JSON object: the properties become YAML, as the fill's
    merge (and Obsidian) would write them, and the claim goes under them."""
    text = '---\n{"tags": ["a"], "youtube_url": "https://youtu.be/Yf1o0TQzry8"}\n---\n'
    claimed = add_claim(text, "laptop-1a2b3c", NOW, LEASE)
    assert claimed is not None
    held = read_claim(claimed)
    assert held is not None and held.device == "laptop-1a2b3c"
    assert drop_claim(claimed) == ("---\ntags:\n  - a\nyoutube_url: https://youtu.be/Yf1o0TQzry8"
                                   "\n---\n")


@pytest.mark.unit
def test_a_live_claim_of_another_device_blocks_an_expired_one_does_not() -> None:
    theirs = add_claim(URL, "desktop-000001", NOW, LEASE)
    assert theirs is not None
    assert add_claim(theirs, "laptop-1a2b3c", NOW + timedelta(minutes=5), LEASE) is None
    taken = add_claim(theirs, "laptop-1a2b3c", NOW + timedelta(minutes=16), LEASE)
    assert taken is not None
    held = read_claim(taken)
    assert held is not None and held.device == "laptop-1a2b3c"
    assert drop_claim(taken) == URL


@pytest.mark.unit
def test_shared_vault_detection(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    (vault / ".obsidian").mkdir(parents=True)
    assert not vault_is_shared(vault)
    (vault / ".obsidian/core-plugins.json").write_text('["file-explorer", "sync"]')
    assert vault_is_shared(vault)
    other = tmp_path / "Sync" / "w"
    other.mkdir(parents=True)
    (tmp_path / "Sync" / ".stfolder").mkdir()
    assert vault_is_shared(other)


def device_env(tmp_path: Path, name: str, cache_dir: Path, api: FakeMessagesAPI,
               claims: str) -> dict[str, str]:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'state_dir = "{tmp_path / name}"\nclaim_notes = "{claims}"\n'
                      "claim_settle_seconds = 0.5\nconcurrency = 2\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    return {**clean, "YTVAULT_CONFIG": str(config), "YTVAULT_CACHE_DIR": str(cache_dir),
            "ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": api.base_url}


@pytest.mark.parametrize(("claims", "most_calls"), [("always", 6), ("never", 12)])
def test_two_devices_on_one_vault(vault: Path, cache_dir: Path, tmp_path: Path,
                                  claims: str, most_calls: int) -> None:
    videos = ["Yf1o0TQzry8", "fxShort001F", "fxGerman01C", "fxHostile1D", "fxLong00001",
              "Yf1o0TQzry8"]
    for i, video in enumerate(videos):
        (vault / f"n{i}.md").write_text(f"https://youtu.be/{video}\n")
    with FakeMessagesAPI(delay=0.3) as api:
        procs = [subprocess.Popen(
            [sys.executable, "-m", "ytvault", "sync", str(vault)],
            env=device_env(tmp_path, name, cache_dir, api, claims),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("laptop", "desktop")]
        results = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    for i in range(len(videos)):
        text = (vault / f"n{i}.md").read_text()
        assert text.count("</iframe>") == 1 and "# SUMMARY" in text
        assert "ytvault-claim" not in text
    assert len(list(vault.glob("*.jpg"))) == len(videos)  # no orphan thumbnails either
    calls = len(api.message_requests)
    if claims == "always":
        # each note analysed by exactly one device; the two notes of one video once, if
        # the same device fills both (one paid analysis per video per run)
        assert len(set(videos)) <= calls <= len(videos)
        stdout = results[0][0] + results[1][0]
        assert stdout.count("filled: ") == len(videos)
    else:
        assert len(videos) <= calls <= most_calls  # without claims, work may be done twice


@pytest.mark.unit
def test_windows_paths_of_synced_folders_are_recognised() -> None:
    from pathlib import PurePosixPath, PureWindowsPath

    from ytvault.note.claims import in_synced_folder

    assert in_synced_folder(PureWindowsPath(r"C:\Users\ann\OneDrive\Vault"))
    assert in_synced_folder(PureWindowsPath(r"C:\Users\ann\OneDrive - Work\Vault"))
    assert in_synced_folder(PureWindowsPath(r"D:\Dropbox\Notes"))
    assert in_synced_folder(PurePosixPath("/home/ann/Dropbox"))  # the folder itself
    assert not in_synced_folder(PureWindowsPath(r"C:\Users\ann\Documents\Vault"))
    assert not in_synced_folder(PurePosixPath("/home/ann/Dropboxes/Vault"))
