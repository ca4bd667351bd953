"""Obsidian's own conventions, read from the vault's settings: how a link is written
(`newLinkFormat`, `useMarkdownLinks`), where new notes go, the property types it keeps in
`.obsidian/types.json`, and `obsidian://` links for the terminal.

The fill asks here how to link the thumbnail (finish.py); `new` where to put a note.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from ytvault.errors import ConfigError
from ytvault.vault.atomic import Changed, atomic_write, fingerprint
from ytvault.vault.configdir import settings_file
from ytvault.vault.index import VaultIndex
from ytvault.vault.walk import folder_named, inside_vault, read_app_config, vault_path

log = logging.getLogger(__name__)

LinkFormat = Literal["shortest", "relative", "absolute"]
FORMATS: tuple[LinkFormat, ...] = ("shortest", "relative", "absolute")

# The properties ytvault writes whose type Obsidian would otherwise guess from the first value
# it sees (an empty `chapters:` reads as text, `subscribers` as text in some locales).
PROPERTY_TYPES: dict[str, str] = {
    "tags": "tags",
    "aliases": "aliases",
    "chapters": "multitext",
    "hashtags": "multitext",
    "subscribers": "number",
    "publish_date": "date",
}


@dataclass(frozen=True)
class LinkStyle:
    """Settings → Files and links: *New link format* and *Use [[Wikilinks]]*."""

    format: LinkFormat = "shortest"
    markdown: bool = False

    @classmethod
    def of(cls, vault: Path) -> LinkStyle:
        app = read_app_config(vault)
        fmt = app.get("newLinkFormat")
        return cls(fmt if fmt in FORMATS else "shortest", app.get("useMarkdownLinks") is True)

    def describe(self) -> str:
        kind = "Markdown links" if self.markdown else "wikilinks"
        path = {"shortest": "shortest path when possible", "relative": "relative path",
                "absolute": "absolute path in vault"}[self.format]
        return f"{kind}, {path}"


def link_path(vault: Path, note: Path, target: Path, fmt: LinkFormat,
              names: FileNames | None = None) -> str:
    """The path a link from `note` to `target` holds, as Obsidian writes it
    (`MetadataCache.fileToLinktext`): *shortest*, the file name when no other file in the vault
    has it (without case), else the path from the vault root; *relative*, the path from the
    note's folder; *absolute*, the path from the vault root. Wikilinks drop a note's `.md`.

    `names`: the vault's file names, known from one walk (a backfill fills many notes); without
    it the vault is walked for this one link."""
    rel = vault_path(vault, target)
    if fmt == "relative":
        return posixpath.relpath(rel, posixpath.dirname(vault_path(vault, note)) or ".")
    if fmt == "shortest" and (names or FileNames(vault)).unique(target):
        return target.name
    return rel


def thumbnail_links(vault: Path, note: Path, image: Path,
                    names: FileNames | None = None) -> tuple[str, str | None]:
    """The path a wikilink to `image` holds, and the Markdown embed (`![](path)`) when the vault
    writes Markdown links (None: the body embeds it as a wikilink too).

    Properties always hold the wikilink: Obsidian tracks links in properties only in that form.
    """
    style = LinkStyle.of(vault)
    path = link_path(vault, note, image, style.format, names)
    return path, (markdown_embed(path) if style.markdown else None)


def note_link(vault: Path, source: Path, note: Path, names: FileNames | None = None) -> str:
    """`[[…]]` to `note` from `source`, as the vault's link format writes it."""
    path = link_path(vault, source, note, LinkStyle.of(vault).format, names)
    return f"[[{path.removesuffix('.md')}]]"


class FileNames(VaultIndex):
    """Which files of the vault bear each name (without case), told of the files ytvault adds:
    `link_path`'s *shortest* check without a walk of the whole vault per link (a walk held the
    write gate on every fill: docs/benchmarks.md, the backfill)."""

    def __init__(self, vault: Path, *, max_age: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(vault, max_age=max_age, clock=clock)
        self._paths: dict[str, set[str]] = {}

    def unique(self, target: Path) -> bool:
        """Whether no file in the vault but `target` has `target`'s name."""
        rel = vault_path(self.vault, target)
        with self._lock:
            self._fresh()
            return not (self._paths.get(target.name.lower(), set()) - {rel})

    def add(self, path: Path) -> None:
        with self._lock:
            self._paths.setdefault(path.name.lower(), set()).add(vault_path(self.vault, path))

    def _build(self) -> None:
        paths: dict[str, set[str]] = {}
        root = os.path.join(str(self.vault), "")
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if entry.name.startswith("."):
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            rel = entry.path[len(root):].replace(os.sep, "/")
                            paths.setdefault(entry.name.lower(), set()).add(rel)
            except OSError:
                continue
        self._paths = paths


_URL_UNSAFE = re.compile(r"[\x00-\x20%()<>\\\x7f]")


def markdown_embed(path: str) -> str:
    """`![](path)` with what would end or confuse the link destination percent-encoded, as
    Obsidian does (`Pasted%20image.png`); Obsidian decodes it back."""
    return "![](" + _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), path) + ")"


def open_uri(vault: Path, note: Path) -> str:
    """`obsidian://open?vault=…&file=…`: a link a terminal can open in Obsidian."""
    return (f"obsidian://open?vault={quote(vault.name, safe='')}"
            f"&file={quote(vault_path(vault, note), safe='')}")


def new_note_folder(vault: Path, configured: str | None) -> Path:
    """Where `ytvault new` creates notes: `configured` (from the vault root), else Obsidian's
    *Default location for new notes* when it names a folder, else the vault root."""
    if configured is None:
        app = read_app_config(vault)
        folder = app.get("newFileFolderPath") if app.get("newFileLocation") == "folder" else ""
        configured = folder if isinstance(folder, str) else ""
    return vault_folder(vault, configured)


def vault_folder(vault: Path, folder: str) -> Path:
    """`folder` as a path in the vault, the way Obsidian reads a folder setting (`\\` is `/`,
    outer slashes dropped); an existing folder is found without case. ConfigError when it
    would leave the vault or hide in a dot-folder."""
    given = Path(folder).expanduser()
    if given.is_absolute() and inside_vault(vault, given):
        folder = Path(os.path.relpath(given, vault)).as_posix()
    rel = posixpath.normpath(re.sub(r"[\\/]+", "/", folder).strip("/") or ".")
    parts = [] if rel == "." else rel.split("/")
    if parts[:1] == [".."] or any(p.startswith(".") for p in parts):
        raise ConfigError(f"folder {folder!r} is not a visible folder of the vault {vault}: "
                          "name one from the vault root, e.g. \"Inbox/YouTube\"")
    target = vault
    for part in parts:
        match = folder_named(target, part)
        target = target / (match or part)
    if not inside_vault(vault, target):
        raise ConfigError(f"folder {folder!r} leads out of the vault {vault} (a link?)")
    return target


def ensure_property_types(vault: Path, types: dict[str, str] | None = None) -> list[str]:
    """Add ytvault's property types to `.obsidian/types.json` where it has none; return the
    names added. Every other entry, and the file's layout, stay as Obsidian wrote them; a file
    that is not the JSON object Obsidian writes is left alone."""
    wanted = PROPERTY_TYPES if types is None else types
    path = settings_file(vault, "types.json")
    if not path.parent.is_dir():
        return []  # not opened in Obsidian yet: it writes its own defaults on first open
    for _ in range(3):  # Obsidian saved it between our read and our rename: read again
        data, seen, newline = _read_types(path)
        if data is None:
            return []
        known = data.setdefault("types", {})
        if not isinstance(known, dict):
            log.warning("%s: `types` is not an object; property types left as they are", path)
            return []
        added = [name for name in wanted if name not in known]
        if not added:
            return []
        known.update({name: wanted[name] for name in added})
        # JSON.stringify(data, null, 2), as Obsidian writes it
        text = json.dumps(data, indent=2, ensure_ascii=False) + newline
        try:
            atomic_write(path, text.encode("utf-8"), unchanged_since=seen)
        except Changed:
            continue
        return added
    return []


def _read_types(path: Path) -> tuple[dict[str, Any] | None, tuple[int, int, int] | None, str]:
    try:
        seen = fingerprint(path)
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, None, ""
    except OSError as exc:
        log.warning("cannot read %s (%s): property types left as they are", path, exc)
        return None, None, ""
    if not raw.strip():
        return {}, seen, ""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError:
        log.warning("%s is not valid JSON: property types left as they are", path)
        return None, None, ""
    if not isinstance(data, dict):
        return None, None, ""
    return data, seen, "\n" if raw.endswith(b"\n") else ""


_types_done: set[Path] = set()
_types_lock = threading.Lock()


def ensure_property_types_once(vault: Path) -> list[str]:
    """`ensure_property_types`, at most once per vault in this process: a person who removes
    a type afterwards is not overruled by a running watcher."""
    with _types_lock:
        if vault in _types_done:
            return []
        _types_done.add(vault)
    try:
        return ensure_property_types(vault)
    except OSError as exc:
        log.warning("cannot update %s: %s", settings_file(vault, "types.json"), exc)
        return []
