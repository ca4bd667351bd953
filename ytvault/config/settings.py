"""One configuration schema: TOML from `--config`, `$YTVAULT_CONFIG` or the user config dir,
checked against the fields of `Config` (unknown keys are errors). The environment sets no
field: it only holds the API key (in the variable `api_key_env` names) and can move the cache
(`YTVAULT_CACHE_DIR` wins over `cache_dir`, in `resolved_cache_dir`).

Every field is documented in `config.example.toml`; a test keeps the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytvault.config.parsed import read_table
from ytvault.config.paths import user_dir
from ytvault.config.schema import Invalid, Schema, build, setting
from ytvault.config.sections import DEFAULT_SECTIONS, Section, check_sections
from ytvault.errors import ConfigError

TYPE_CHECKING = False  # no `typing` at run time: the config loads at every start (schema.py)
if TYPE_CHECKING:
    from typing import Literal

DEFAULT_MODEL = "claude-sonnet-5-5"
PROXY_SCHEMES = ("http://", "https://", "socks5://", "socks5h://")


# Neither a pydantic model nor a dataclass: `status` and every `sync` load the config, and
# importing either would cost much of its start-up (docs/benchmarks.md; schema.py).
class Config(Schema):
    """Every setting ytvault reads. Defaults live here and nowhere else.

    Checked on creation, however it is made: `load_config`, `Config(...)`, `config.replace()`.
    """

    vault: Path | None = setting(
        None, "The Obsidian vault that `sync` and `watch` use by default.")
    cache_dir: Path | None = setting(
        None, "Where fetched metadata, transcripts and thumbnails are kept "
        "(env YTVAULT_CACHE_DIR wins; default: the platform's user cache dir).")
    state_dir: Path | None = setting(
        None, "Where the ledger of attempts and failures is kept "
        "(default: the platform's user state dir).")
    model: str = setting(DEFAULT_MODEL, "The Claude model that writes the analysis.")
    api_key_env: str = setting(
        "ANTHROPIC_API_KEY", "The environment variable that holds the Anthropic API key.")
    max_output_tokens: int = setting(
        64000, "Most output tokens one model request may spend, thinking and answer together "
        "(each request asks for what its answer needs, up to this).", ge=1024, le=128000)
    effort: Literal["low", "medium", "high", "xhigh", "max"] = setting(
        "medium", "How hard a thinking model (Claude 5.x) thinks before it writes the analysis: "
        "low, medium, high, xhigh or max. Thinking is billed as output.")
    request_timeout_seconds: float = setting(
        300.0, "How long one model call may take before it is retried.", gt=0,
        le=3600)
    api_max_retries: int = setting(
        6, "Retries of a model call on 429/5xx/network errors, with backoff "
        "honouring retry-after.", ge=0, le=20)
    concurrency: int = setting(4, "How many notes are processed at once.", ge=1, le=64)
    debounce_seconds: float = setting(
        2.0, "How long a note must stay unchanged before the watcher processes it.",
        ge=0, le=600)
    watch_mode: Literal["auto", "native", "polling"] = setting(
        "auto", "How the watcher learns of changes: native file events, polling, or auto "
        "(polling on network mounts and WSL's /mnt drives, native elsewhere).")
    poll_interval_seconds: float = setting(
        5.0, "How often the polling watcher looks at the vault.", ge=0.5, le=3600)
    reconcile_minutes: float = setting(
        10.0, "How often the watcher rescans the whole vault for stubs it was not told "
        "about (sync tools, sleep, missed events).", gt=0, le=1440)
    claim_notes: Literal["auto", "always", "never"] = setting(
        "auto", "Write a claim into a note before filling it, so two devices running "
        "ytvault on one synced vault never both fill it: always, never, or auto (when the "
        "vault looks synced: Obsidian Sync, Syncthing, iCloud, Dropbox, OneDrive…). Set "
        "always on every machine for a shared folder no sync tool marks (a NAS, SMB, rsync, "
        "git): `ytvault doctor` suggests it for a network mount.")
    claim_settle_seconds: float = setting(
        3.0, "How long to wait after claiming a note for another device's claim to "
        "arrive through the sync tool.", ge=0, le=600)
    claim_lease_minutes: float = setting(
        15.0, "How long a claim holds: a device that stopped while holding one delays "
        "the note by at most this.", gt=0, le=1440)
    transcript_languages: list[str] = setting(
        ["en"], "Transcript languages in order of preference; manual captions come "
        "before generated ones, and the first track is used when none matches.")
    # The analysis: what it holds, in which language, how it is checked (docs/analysis.md).
    transcript_any_language: bool = setting(
        True, "When no track is in transcript_languages, use the video's first one "
        "(true) or give the note a 'language not available' callout (false).")
    transcript_proxy: str | None = setting(
        None, "A proxy URL for transcript requests (http://user:pass@host:port), for "
        "when YouTube blocks this IP.")
    cookies_file: Path | None = setting(
        None, "A Netscape cookies file for yt-dlp (signed-in metadata and caption "
        "tracks: age-restricted videos, bot checks).")
    output_language: str = setting(
        "transcript", "The language the analysis is written in: `transcript` (the "
        "transcript's own) or a language, e.g. `English` or `de`. Quotes stay as spoken.")
    input_token_budget: int | None = setting(
        None, "Most input tokens one model request may hold; a longer transcript is "
        "split into parts (default: nine tenths of the model's context window, less "
        "max_output_tokens).", ge=2000, le=2_000_000)
    sections: tuple[Section, ...] = setting(
        DEFAULT_SECTIONS, "The analysis's sections, in order: name, instruction, size, kind "
        "(paragraph, list or quotes), heading (default: the seed note's eight).")
    prompt_file: Path | None = setting(
        None, "Your own instructions for the model instead of ytvault's (a Fabric "
        "pattern's system.md, or its folder); relative to the vault.")
    note_template: Path | None = setting(
        None, "Your own note template instead of ytvault's; relative to the vault.")
    quote_links: bool = setting(
        True, "Link each quote found in the transcript to its moment in the video.")
    unverified_quotes: Literal["drop", "mark"] = setting(
        "drop", "What happens to a quote that is not in the transcript: drop it, or "
        "mark it as not found.")
    chapter_links: bool = setting(
        False, "Add the chapters to the note's body as links to their moment.")

    # Living in an Obsidian vault: where notes go, what their names are, duplicates, pacing.
    new_note_folder: str | None = setting(
        None, "The folder, from the vault root, where `ytvault new` creates notes "
        "(default: Obsidian's *Default location for new notes* when it names a folder, else "
        "the vault root).")
    duplicates: Literal["link", "fill", "skip"] = setting(
        "link", "A stub for a video that already has a finished note: `link` fills it "
        "and adds a `duplicate_of` property linking the earlier note; `fill` fills it; `skip` "
        "leaves it with a callout naming the earlier note. Each is reported.")
    rename_untitled: bool = setting(
        False, "Rename a filled `Untitled.md` (`Untitled 1.md`…) to the video's title. "
        "Links to the old name are not updated: Obsidian does that only for its own renames.")
    fetch_pause_seconds: float = setting(
        3.0, "Pause between two videos fetched from YouTube by `ytvault sync`, `new` "
        "(a playlist, many URLs) and `refresh`, varied by ±50%, so YouTube does not block the "
        "IP. Videos already in the cache do not wait.", ge=0, le=600)
    batch_poll_seconds: float = setting(
        30.0, "How often `ytvault sync --batch` asks whether a Message Batch has ended "
        "(a batch takes up to 24 hours, most far less).", ge=0, le=3600)

    def __post_init__(self) -> None:
        # every field's own type and bounds are checked (paths expanded, tables made
        # Sections) before this
        if not self.transcript_languages or any(not c.strip() for c in self.transcript_languages):
            raise Invalid("transcript_languages", 'must list at least one language code, '
                          'e.g. ["en"]', self.transcript_languages)
        # " en" would match no track: a code is compared as it is written
        object.__setattr__(self, "transcript_languages",
                           [c.strip() for c in self.transcript_languages])
        check_sections(self.sections)
        if self.transcript_proxy and not self.transcript_proxy.startswith(PROXY_SCHEMES):
            raise Invalid("transcript_proxy", "must be a proxy URL: http://, https:// or "
                          "socks5://user:pass@host:port", self.transcript_proxy)
        object.__setattr__(self, "transcript_proxy", self.transcript_proxy or None)
        language = self.output_language
        if not language.strip() or "\n" in language or len(language) > 60:
            raise Invalid("output_language", "must be `transcript`, or the name or code of a "
                          'language, e.g. "English"', language)
        object.__setattr__(self, "output_language", language.strip())

    def resolve(self, path: Path, vault: Path | None, key: str = "the file") -> Path:
        """A configured file (`key`: its setting): relative paths are in the vault."""
        if path.is_absolute():
            return path
        if vault is None:
            raise ConfigError(f"{key} {path} is relative and there is no vault to find it in: "
                              "give its full path in config.toml")
        return vault / path

    @property
    def resolved_cache_dir(self) -> Path:
        env = os.environ.get("YTVAULT_CACHE_DIR")
        if env:
            return Path(env).expanduser()
        if self.cache_dir is not None:
            return self.cache_dir
        return user_dir("cache")

    @property
    def resolved_log_dir(self) -> Path:
        return user_dir("log")

    @property
    def resolved_state_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        return user_dir("state")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None


def default_config_path() -> Path:
    return user_dir("config") / "config.toml"


def config_path(path: Path | None = None) -> Path:
    """The config file read: `path` (`--config`), else `$YTVAULT_CONFIG`, else the default."""
    if path is not None:
        return path
    env = os.environ.get("YTVAULT_CONFIG")
    return Path(env).expanduser() if env else default_config_path()


def load_config(path: Path | None = None) -> Config:
    """Load from `config_path(path)`; only the default file may be missing (the defaults)."""
    explicit = path is not None or bool(os.environ.get("YTVAULT_CONFIG"))
    path = config_path(path)
    if not path.exists():
        if explicit:
            raise ConfigError(
                f"config file {path} does not exist: create it from config.example.toml"
            )
        return Config()
    try:
        data = read_table(path)  # without importing tomllib, while the file is unchanged
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, source=str(path))


def parse_config(data: dict[str, object], source: str = "config") -> Config:
    """A Config from a TOML table; a problem becomes one line naming `source` and the key."""
    try:
        return build(Config, data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
