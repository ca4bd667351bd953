"""Which folder is a vault, and where its Obsidian settings are: `.obsidian`, or the folder the
person named in Obsidian's *Override config folder*. Everything that reads the vault's settings
(app.json, types.json, core-plugins.json) asks `config_dir` first.

Obsidian keeps the override on each device, outside the vault (Settings → Files and links →
Override config folder: a name starting with `.`, read at launch), so no file in the vault says
which folder is in use. A folder counts when it is `.obsidian` or a dot-folder holding the files
Obsidian writes there; `.obsidian` wins (the desktop's usual folder, next to a phone's
`.obsidian-mobile`), else the one Obsidian wrote to last.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytvault.errors import ConfigError

DEFAULT = ".obsidian"
# Files Obsidian writes into its config folder; any one marks a dot-folder as one.
MARKERS = ("app.json", "appearance.json", "core-plugins.json", "community-plugins.json",
           "workspace.json", "workspace-mobile.json", "hotkeys.json", "types.json")
_LOOK_BELOW = 2  # levels searched for a vault below a folder that is not one
_LOOK_AT_MOST = 2_000  # folders looked at, so a home folder answers at once


def config_dirs(vault: Path) -> list[Path]:
    """Every Obsidian config folder at the root of `vault`, `.obsidian` first."""
    found: list[Path] = []
    try:
        with os.scandir(vault) as entries:
            for entry in entries:
                if not entry.name.startswith(".") or not entry.is_dir():
                    continue
                path = Path(entry.path)
                if entry.name == DEFAULT:
                    found.insert(0, path)
                elif any((path / name).is_file() for name in MARKERS):
                    found.append(path)
    except OSError:
        return []
    return found


def config_dir(vault: Path) -> Path | None:
    """The config folder ytvault reads the vault's settings from; None: not a vault."""
    found = config_dirs(vault)
    if not found or found[0].name == DEFAULT:
        return found[0] if found else None
    return max(found, key=_last_written)


def settings_file(vault: Path, name: str) -> Path:
    """`name` (app.json, types.json…) in the vault's config folder (`.obsidian` when there is
    none yet: a path that does not exist, read as missing)."""
    return (config_dir(vault) or vault / DEFAULT) / name


def is_vault(folder: Path) -> bool:
    return config_dir(folder) is not None


def checked_vault(path: Path | None, hint: str) -> Path:
    """`path` as an absolute path, when it is a vault; else a ConfigError saying why, with
    `hint` (where a vault comes from) or the vault below it to pass instead."""
    if path is None:
        raise ConfigError(f"no vault given: {hint}")
    path = path.expanduser().absolute()
    if not path.is_dir():
        raise ConfigError(f"vault {path} is not a folder: {hint}")
    if not is_vault(path):  # the folder above the vault: its notes, its thumbnails go astray
        raise ConfigError(not_a_vault(path))
    return path


def enclosing_vault(note: Path) -> Path | None:
    """The vault a note is in: the nearest folder above it that is one."""
    return next((folder for folder in note.parents if is_vault(folder)), None)


def vaults_below(folder: Path) -> list[Path]:
    """The vaults in `folder`'s sub-folders, a couple of levels down (iCloud's Obsidian folder
    holds one per vault); dot-folders are not entered."""
    found: list[Path] = []
    level, looked = [folder], 0
    for _ in range(_LOOK_BELOW):
        below: list[Path] = []
        for parent in level:
            try:
                with os.scandir(parent) as entries:
                    subdirs = [Path(e.path) for e in entries
                               if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for sub in sorted(subdirs):
                looked += 1
                if looked > _LOOK_AT_MOST:
                    return found
                (found if is_vault(sub) else below).append(sub)
        level = below
    return found


def not_a_vault(folder: Path) -> str:
    """Why `folder` is refused, and which folder to pass instead when that is clear."""
    below = vaults_below(folder)
    if len(below) == 1:
        fix = f"did you mean the vault {below[0]}? Pass that folder"
    elif below:
        fix = (f"it holds {len(below)} vaults ({', '.join(p.name for p in below[:4])}"
               f"{', …' if len(below) > 4 else ''}): pass the one to use")
    else:
        fix = ("pass the vault's own folder (the one holding `.obsidian`), or open this "
               "folder as a vault in Obsidian once")
    return f"{folder} is not an Obsidian vault (it has no `.obsidian` folder): {fix}"


def _last_written(folder: Path) -> float:
    times = [path.stat().st_mtime for path in map(folder.joinpath, MARKERS) if path.is_file()]
    return max(times, default=0.0)
