"""Which folder is a vault, and which config folder holds its settings: `.obsidian`, or the
folder of Obsidian's *Override config folder*."""

from __future__ import annotations

import os
from pathlib import Path

from ytvault.note.claims import vault_is_shared
from ytvault.vault.configdir import config_dir, is_vault, not_a_vault, vaults_below
from ytvault.vault.obsidian import ensure_property_types
from ytvault.vault.walk import load_ignore_filters, read_app_config


def test_obsidian_is_the_config_folder(vault: Path) -> None:
    assert config_dir(vault) == vault / ".obsidian" and is_vault(vault)


def test_an_override_folder_is_found_by_its_files(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    (vault / ".trash").mkdir(parents=True)  # a dot-folder without Obsidian's files
    (vault / ".git").mkdir()
    (vault / ".git" / "config").write_text("")
    assert not is_vault(vault)
    mobile = vault / ".obsidian-mobile"
    mobile.mkdir()
    (mobile / "workspace-mobile.json").write_text("{}")
    assert config_dir(vault) == mobile


def test_obsidian_wins_over_an_override_else_the_latest(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    for name, when in ((".obsidian-a", 1_000), (".obsidian-b", 2_000)):
        (vault / name).mkdir(parents=True)
        (vault / name / "app.json").write_text("{}")
        os.utime(vault / name / "app.json", (when, when))
    assert config_dir(vault) == vault / ".obsidian-b"  # written to last
    (vault / ".obsidian").mkdir()
    assert config_dir(vault) == vault / ".obsidian"


def test_every_setting_is_read_from_the_override(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    settings = vault / ".obsidian-mobile"
    settings.mkdir(parents=True)
    (settings / "app.json").write_text('{"userIgnoreFilters": ["Archive/"]}')
    (settings / "types.json").write_text('{"types": {}}')
    (settings / "core-plugins.json").write_text('{"sync": true}')
    assert read_app_config(vault) == {"userIgnoreFilters": ["Archive/"]}
    assert load_ignore_filters(vault).ignores("Archive/x.md")
    assert ensure_property_types(vault)  # written into the override's types.json
    assert '"chapters"' in (settings / "types.json").read_text()
    assert not (vault / ".obsidian").exists()
    assert vault_is_shared(vault, config_dir(vault))  # Obsidian Sync is on there


def test_vaults_below_and_the_message(tmp_path: Path) -> None:
    docs = tmp_path / "Documents"
    (docs / "Obsidian Vault" / ".obsidian").mkdir(parents=True)
    (docs / "Papers" / "deep").mkdir(parents=True)
    (docs / ".hidden" / "v" / ".obsidian").mkdir(parents=True)  # never entered
    assert vaults_below(docs) == [docs / "Obsidian Vault"]
    assert not_a_vault(docs).endswith(f"did you mean the vault {docs / 'Obsidian Vault'}? "
                                      "Pass that folder")
    (docs / "Papers" / "Work" / ".obsidian").mkdir(parents=True)  # two levels down
    assert vaults_below(docs) == [docs / "Obsidian Vault", docs / "Papers" / "Work"]
    assert "holds 2 vaults (Obsidian Vault, Work): pass the one to use" in not_a_vault(docs)
    assert "open this folder as a vault in Obsidian once" in not_a_vault(tmp_path / "nothing")
