"""Two devices, one synced vault: a claim in the note itself says which device is filling it.

Sync tools carry notes, and only notes everywhere: Obsidian Sync skips every hidden file but
`.obsidian`, so a lock file would not travel. The claim is one property,

    ytvault-claim: laptop-3f2a until 2026-11-26T04:05:00Z

written before the work starts, checked again after `claim_settle_seconds` (long enough for a
sync tool to bring another device's claim), and removed by the write that fills the note, or
right away if the note is not filled. A claim whose lease has run out counts for nothing, so a
device that died holding one delays a note by at most `claim_lease_minutes`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath

from ytvault.note.parse import Parts, split_note
from ytvault.note.yamltext import FrontmatterError, block_style, lines_of, load_mapping

KEY = "ytvault-claim"
_VALUE = re.compile(r"(?P<device>[\w.-]+) until (?P<until>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"
                    r"(?P<new> new)?")
_SHARED_PATH_PARTS = ("/Mobile Documents/", "/Library/CloudStorage/", "/Dropbox/", "/OneDrive",
                      "/Google Drive/", "/My Drive/", "/Nextcloud/", "/Syncthing/")


@dataclass(frozen=True)
class Claim:
    device: str
    until: datetime
    created_frontmatter: bool  # the note had no frontmatter: remove the fences with the claim

    def live(self, now: datetime) -> bool:
        return self.until > now


def device_id(state_dir: Path) -> str:
    """This device's name in claims: its host name and a random suffix, kept in the state dir."""
    path = state_dir / "device-id"
    try:
        existing = path.read_text(encoding="utf-8").strip()
        if re.fullmatch(r"[\w.-]+", existing):
            return existing
    except OSError:
        pass
    import secrets
    import socket

    host = re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:20] or "device"
    new = f"{host}-{secrets.token_hex(3)}"
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(new + "\n", encoding="utf-8")
    return new


def vault_is_shared(vault: Path, config_dir: Path | None = None) -> bool:
    """Whether the vault looks synced between devices (Obsidian Sync, Syncthing, cloud drives).
    `config_dir`: the vault's Obsidian config folder, when it is not `.obsidian`."""
    real = vault.resolve()
    if in_synced_folder(real):
        return True
    if any((folder / ".stfolder").exists() or (folder / ".dropbox").exists()
           for folder in (real, *real.parents)):
        return True
    try:
        settings = config_dir or vault / ".obsidian"
        plugins = json.loads((settings / "core-plugins.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if isinstance(plugins, dict):
        return bool(plugins.get("sync"))
    return isinstance(plugins, list) and "sync" in plugins


def in_synced_folder(path: PurePath) -> bool:
    """Whether `path` lies in a folder a sync client keeps (iCloud, Dropbox, OneDrive…)."""
    posix = path.as_posix() + "/"  # `\` on Windows: the parts are written with `/`
    return any(part in posix for part in _SHARED_PATH_PARTS)


def held_elsewhere(text: str, device: str | None, now: datetime) -> Claim | None:
    """Another device's claim on the note that still stands at `now`, if any."""
    held = read_claim(text)
    return held if held is not None and held.device != device and held.live(now) else None


def read_claim(text: str) -> Claim | None:
    try:
        parts = split_note(text)
        value = load_mapping(parts.frontmatter or "").get(KEY)
    except (FrontmatterError, ValueError):
        return None
    match = _VALUE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    until = datetime.strptime(match["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return Claim(match["device"], until, bool(match["new"]))


def add_claim(text: str, device: str, now: datetime, lease: timedelta) -> str | None:
    """The note with our claim (replacing an expired or our own one); None while another
    device's claim is live."""
    if held_elsewhere(text, device, now) is not None:
        return None
    parts = split_note(drop_claim(text))
    nl = parts.newline
    until = (now + lease).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{KEY}: {device} until {until}"
    if parts.frontmatter is None:
        return Parts(parts.bom, f"{line} new{nl}", f"---{nl}", f"---{nl}", parts.body).text
    try:  # JSON properties: no line can be added to them, so they become YAML (as the fill does)
        fm = block_style(parts.frontmatter, nl)
    except FrontmatterError:
        fm = parts.frontmatter
    if fm and not fm.endswith("\n"):
        fm += nl
    return Parts(parts.bom, fm + line + nl, parts.opening, parts.closing, parts.body).text


def drop_claim(text: str) -> str:
    """The note without a claim; the fences go too when the claim brought them."""
    claim = read_claim(text)
    if claim is None:
        return text
    parts = split_note(text)
    # Our claim is always one line of its own: remove that line and nothing else.
    rest = "".join(line for line in lines_of(parts.frontmatter or "")
                   if not line.startswith(f"{KEY}:"))
    if claim.created_frontmatter and not rest.strip():
        return parts.bom + parts.body
    return Parts(parts.bom, rest, parts.opening, parts.closing, parts.body).text
