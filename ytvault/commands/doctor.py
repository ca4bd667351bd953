"""`ytvault doctor`: is everything in place? Each check says what it found and, for a problem,
the fix. Exit code 0 when nothing is broken (warnings and notes allowed), 1 otherwise.

Checks: the config file, the vault and its Obsidian settings, the cache and state folders, the
API key and the API (one tiny call), YouTube (one GET), yt-dlp's age and its JavaScript runtime,
the login service. The network checks go through `probe.probe_api` (ANTHROPIC_BASE_URL
is honoured) and `youtube.probe` (the URL can be handed in), so tests run them offline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from ytvault.commands import scrub
from ytvault.config.settings import Config, config_path, load_config
from ytvault.errors import ConfigError
from ytvault.vault.mounts import REMOTE_FS, mount_type
from ytvault.youtube.client import HOME_URL

Level = Literal["ok", "note", "warn", "fail"]
Runner = Callable[..., subprocess.CompletedProcess[str]]
YTDLP_MAX_AGE_DAYS = 60  # YouTube changes often; yt-dlp follows within days
DENO_MIN = (2, 3, 0)  # what yt-dlp requires of deno (yt_dlp/utils/_jsruntime.py)
DENO_INSTALL = ("install deno (yt-dlp's default JavaScript runtime): "
                "`curl -fsSL https://deno.land/install.sh | sh` (Linux, macOS), "
                "`brew install deno`, or `winget install DenoLand.Deno` (Windows); "
                "see https://docs.deno.com/runtime/getting_started/installation/")


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    message: str
    fix: str = ""


@dataclass
class Doctor:
    """The checks, with their collaborators handed in (tests replace the network and the OS)."""

    config_path: Path | None = None
    vault: Path | None = None
    offline: bool = False
    youtube_url: str = HOME_URL
    which: Callable[[str], str | None] = shutil.which
    run: Runner = subprocess.run
    today: date = field(default_factory=date.today)
    home: Path = field(default_factory=Path.home)
    ytdlp_version: Callable[[], str] | None = None
    mount_type: Callable[[str], str | None] = mount_type  # the vault's file system (mounts.py)

    def checks(self) -> Iterator[Check]:
        config, check = self._config()
        yield check
        vault = (self.vault or config.vault)
        vault = vault.expanduser().absolute() if vault is not None else None
        yield _vault(vault)
        if vault is not None and vault.is_dir():
            yield from _obsidian_settings(vault)
            yield self._claims(config, vault)
        yield _writable("cache", config.resolved_cache_dir)
        yield _writable("ledger", config.resolved_state_dir)
        yield from self._api(config)
        yield self._youtube()
        yield self._ytdlp()
        yield self._js_runtime()
        yield from self._service(config, vault)

    def _claims(self, config: Config, vault: Path) -> Check:
        """Claims keep two machines from filling one note twice; `auto` turns them on only
        for the sync tools it recognises, not for a shared network folder."""
        from ytvault.note.claims import vault_is_shared
        from ytvault.vault.configdir import config_dir

        if config.claim_notes != "auto":
            return Check("claims", "ok", f"{'on' if config.claim_notes == 'always' else 'off'}"
                         f" (claim_notes = \"{config.claim_notes}\")")
        if vault_is_shared(vault, config_dir(vault)):
            return Check("claims", "ok", "on: the vault looks synced between devices")
        fs = self.mount_type(os.path.realpath(vault))
        if fs in REMOTE_FS:
            return Check("claims", "warn", f"the vault is on a network mount ({fs}) that other "
                         "machines may use too, and claims are off (no sync tool recognised): "
                         "two machines running ytvault would both fill, and pay for, each note",
                         'set claim_notes = "always" in config.toml on every machine that runs '
                         "ytvault on it (docs/safety.md, \"Two devices\")")
        return Check("claims", "ok", "off: the vault looks local to this machine")

    def _config(self) -> tuple[Config, Check]:
        path = config_path(self.config_path)
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            return Config(), Check("config", "fail", str(exc),
                                   "correct it: config.example.toml lists every key "
                                   "(docs/configuration.md explains them)")
        if not path.exists():
            return config, Check("config", "ok", f"no config file at {path}: the defaults")
        return config, Check("config", "ok", str(path))

    def _api(self, config: Config) -> Iterator[Check]:
        key = config.api_key()
        name = config.api_key_env
        scrub.add_secrets(key)  # an API or gateway may echo it in what is printed below
        if not key:
            yield Check("API key", "warn", f"{name} is not set: notes get their properties "
                        "and thumbnail, but no analysis",
                        f"export {name}=sk-ant-… (create a key at "
                        "https://console.anthropic.com/settings/keys); if the login service "
                        "runs, `ytvault service install` again to pass it on")
        if self.offline:
            yield Check("Anthropic API", "note", "not checked (--offline)")
            return
        from ytvault.analysis.claude import base_url
        from ytvault.analysis.probe import probe_api

        verdict, detail = probe_api(config, key)
        base = base_url()
        problems: dict[str, tuple[Level, str, str]] = {
            "auth": ("fail", f"the API refused the key in {name} (401: {detail})",
                     f"check {name}: a current key from https://console.anthropic.com/"
                     "settings/keys, or the one your gateway expects"),
            "permission": ("fail", f"the key may not use this API (403: {detail})",
                           "check the key's workspace and permissions in the Console"),
            "model": ("fail", f"the model `{config.model}` was not found ({detail})",
                      "set `model` in config.toml to a current model: "
                      "https://docs.anthropic.com/en/docs/about-claude/models"),
            "billing": ("fail", f"the account cannot pay for calls ({detail})",
                        "add credits or a payment method in the Console (Plans & Billing)"),
            "rate": ("warn", f"reachable and the key works, but rate-limited right now "
                     f"({detail})", "wait a minute; lower `concurrency` if it persists"),
            "server": ("warn", f"the API at {base} answered with an error ({detail})",
                       "try again later: https://status.anthropic.com"),
            "network": ("fail", f"cannot reach {base} ({detail})",
                        "check the connection; behind a proxy set HTTPS_PROXY; check "
                        "ANTHROPIC_BASE_URL if you use a gateway"),
            "request": ("fail", f"the API at {base} refused the request ({detail})",
                        "check ANTHROPIC_BASE_URL: it must speak the Messages API"),
        }
        if verdict == "ok":
            yield Check("Anthropic API", "ok", f"{base} answers; the key works with "
                        f"`{config.model}`")
        elif verdict == "auth" and not key:
            yield Check("Anthropic API", "ok", f"{base} answers (no key to try)")
        else:
            level, message, fix = problems[verdict]
            yield Check("Anthropic API", level, message, fix)

    def _youtube(self) -> Check:
        if self.offline:
            return Check("YouTube", "note", "not checked (--offline)")
        import requests

        from ytvault.youtube.client import probe

        try:
            status = probe(self.youtube_url)
        except requests.RequestException as exc:
            return Check("YouTube", "fail", f"cannot reach {self.youtube_url} "
                         f"({type(exc).__name__})",
                         "check the connection (DNS, firewall); behind a proxy set "
                         "HTTPS_PROXY, and `ytvault service install` again for the service")
        if status == 429:
            return Check("YouTube", "warn", "YouTube is limiting requests from this IP (429)",
                         "wait a few hours; avoid VPN exit addresses; see docs/operation.md")
        if status >= 400:
            return Check("YouTube", "warn", f"YouTube answered HTTP {status}",
                         "try again later; see docs/troubleshooting.md")
        return Check("YouTube", "ok", f"{self.youtube_url} answers")

    def _ytdlp(self) -> Check:
        try:
            if self.ytdlp_version is not None:
                version = self.ytdlp_version()
            else:
                from ytvault.youtube.client import ytdlp_version

                version = ytdlp_version()
        except ImportError:
            return Check("yt-dlp", "fail", "yt-dlp is not installed",
                         "python -m pip install -U yt-dlp")
        match = re.match(r"(\d{4})\.(\d{1,2})\.(\d{1,2})", version)
        if not match:
            return Check("yt-dlp", "note", f"version {version}: cannot tell its age")
        released = date(*map(int, match.groups()))
        age = (self.today - released).days
        if age > YTDLP_MAX_AGE_DAYS:
            return Check("yt-dlp", "warn", f"version {version} is {age} days old: YouTube "
                         "changes often, and an old yt-dlp fails to read it",
                         "python -m pip install -U yt-dlp (in the environment ytvault runs "
                         "in), then `ytvault service install` again to restart the service")
        return Check("yt-dlp", "ok", f"version {version} ({age} days old)")

    def _js_runtime(self) -> Check:
        deno = self.which("deno")
        if deno:
            version = self._version([deno, "--version"], r"deno (\d+)\.(\d+)\.(\d+)")
            if version is None or version >= DENO_MIN:
                shown = ".".join(map(str, version)) if version else "unknown version"
                return Check("JavaScript runtime", "ok", f"deno {shown} ({deno})")
            return Check("JavaScript runtime", "warn",
                         f"deno {'.'.join(map(str, version))} is older than yt-dlp needs "
                         f"({'.'.join(map(str, DENO_MIN))})", "deno upgrade")
        for name in ("node", "bun"):  # the order ytvault.youtube.jsruntime tries them in
            path = self.which(name)
            if path:  # yt-dlp enables only deno unless told: ytvault tells it
                return Check("JavaScript runtime", "ok", f"{name} ({path}), no deno: ytvault "
                             f"runs yt-dlp with `js_runtimes={{'{name}': {{'path': '{path}'}}}}`"
                             f" (on yt-dlp's command line: `--js-runtimes {name}:{path}`)")
        return Check("JavaScript runtime", "warn",
                     "no deno: yt-dlp needs a JavaScript runtime to read YouTube reliably; "
                     "without one, metadata may fail or come incomplete", DENO_INSTALL)

    def _version(self, argv: list[str], pattern: str) -> tuple[int, ...] | None:
        try:
            out = self.run(argv, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        match = re.search(pattern, out or "", re.M)
        return tuple(int(g) for g in match.groups()) if match else None

    def _service(self, config: Config, vault: Path | None) -> Iterator[Check]:
        from ytvault.daemon import service
        from ytvault.daemon.lock import VaultLock, lock_path

        if vault is not None:
            holder = VaultLock(lock_path(config.resolved_state_dir, vault)).holder()
            if holder:
                yield Check("watcher", "ok", f"`ytvault watch` is running for this vault "
                            f"(pid {holder})")
        try:
            platform = service.host_platform()
        except ConfigError as exc:
            yield Check("login service", "note", str(exc))
            return
        plan = service.render(platform, vault, home=self.home, env=os.environ,
                              key_env=config.api_key_env)
        lines = dict(line.split(": ", 1) for line in service.status(plan, run=self.run)
                     if ": " in line)
        if not lines.get("installed", "no").startswith("yes"):
            yield Check("login service", "note", "not installed: stubs are filled only when "
                        "you run `ytvault sync` (or `ytvault watch`)",
                        "ytvault service install" + (f' "{vault}"' if vault else ""))
            return
        state = lines.get("running", "unknown")
        entry = plan.files[0].path if platform != "windows" else None
        if entry is not None and vault is not None and entry.is_file() \
                and entry.read_bytes() != plan.files[0].content:
            yield Check("login service", "warn", f"installed, {state}, but set up for another "
                        "interpreter, vault or environment than this one",
                        "ytvault service install" + f' "{vault}"' + " (from this shell)")
        elif state in ("active", "running") or platform == "windows":
            yield Check("login service", "ok", f"installed, {state}")
        else:
            yield Check("login service", "warn", f"installed but {state}",
                        f"look at its log ({lines.get('logs', plan.logs)}), then "
                        "`ytvault service install` again")


def _vault(vault: Path | None) -> Check:
    if vault is None:
        return Check("vault", "fail", "no vault given",
                     "pass VAULT, or set `vault` in config.toml")
    if not vault.is_dir():
        return Check("vault", "fail", f"{vault} is not a folder",
                     "pass the vault's folder (the one holding `.obsidian`)")
    from ytvault.vault.configdir import DEFAULT, config_dir, not_a_vault

    settings = config_dir(vault)
    if settings is None:  # sync, watch, new, process and service install refuse it
        problem, _, fix = not_a_vault(vault).partition(": ")
        return Check("vault", "fail", problem, fix)
    if settings.name != DEFAULT:
        return Check("vault", "ok", f"{vault} (settings in {settings.name}, the override "
                     "config folder)")
    return Check("vault", "ok", str(vault))


def _obsidian_settings(vault: Path) -> Iterator[Check]:
    from ytvault.vault.configdir import settings_file
    from ytvault.vault.obsidian import PROPERTY_TYPES, LinkStyle
    from ytvault.vault.walk import attachment_dir, load_ignore_filters, read_app_config

    for path, what in ((settings_file(vault, "app.json"), "Settings"),
                       (settings_file(vault, "types.json"), "property types")):
        if path.is_file():
            try:
                data = json.loads(path.read_bytes().decode("utf-8-sig") or "{}")
            except (ValueError, OSError) as exc:
                yield Check("Obsidian settings", "warn", f"{path} cannot be read ({exc}): "
                            f"ytvault uses Obsidian's defaults for {what}",
                            f"open the vault in Obsidian and change any setting in {what} to "
                            "have it rewrite the file")
                continue
            if path.name == "types.json" and isinstance(data, dict):
                found = data.get("types")
                types = found if isinstance(found, dict) else {}
                for name, wanted in PROPERTY_TYPES.items():
                    if name in types and types[name] != wanted:
                        yield Check("property types", "note", f"`{name}` is typed "
                                    f"`{types[name]}` in this vault; ytvault writes it as "
                                    f"{wanted}", "change it in a note's properties (its icon) "
                                    "if it displays oddly")
    filters = load_ignore_filters(vault)
    if filters.invalid:
        yield Check("excluded files", "warn", "these Excluded files patterns are regular "
                    f"expressions Python cannot read, so ytvault does not apply them: "
                    f"{', '.join(filters.invalid)}",
                    "simplify them in Settings → Files and links → Excluded files")
    setting = read_app_config(vault).get("attachmentFolderPath")
    if isinstance(setting, str) and setting.startswith("./"):
        place = "the note's folder" + (f", in `{setting[2:]}`" if setting[2:] else "")
    else:
        where = attachment_dir(vault, vault / "note.md").relative_to(vault).as_posix()
        place = "the vault root" if where == "." else where
    style = LinkStyle.of(vault)
    yield Check("Obsidian settings", "ok", f"thumbnails go to {place}; links: "
                f"{style.describe()}; "
                f"{len(filters.prefixes) + len(filters.regexes)} excluded-files pattern(s)")


def _writable(name: str, folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ytvault-doctor-"):
            pass
    except OSError as exc:
        return Check(name, "fail", f"cannot write in {folder} ({exc.strerror or exc})",
                     f"make {folder} writable, or set `{name}_dir`" if name == "cache" else
                     f"make {folder} writable, or set `state_dir` in config.toml")
    return Check(name, "ok", str(folder))


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    out = []
    for check in checks:
        out.append(f"{check.level.upper() if check.level == 'fail' else check.level:<5} "
                   f"{check.name:<{width}}  {check.message}")
        if check.fix:
            out.append(f"{'':<5} {'':<{width}}  fix: {check.fix}")
    problems = sum(c.level == "fail" for c in checks)
    warnings = sum(c.level == "warn" for c in checks)
    if problems or warnings:
        out.append(f"{problems} problem(s), {warnings} warning(s)")
    else:
        out.append("everything is in place")
    return "\n".join(out)


def as_data(checks: list[Check]) -> list[dict[str, str]]:
    """The checks for `--json` (printed through scrub.printable_json)."""
    return [asdict(c) for c in checks]


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.level == "fail" for c in checks) else 0
