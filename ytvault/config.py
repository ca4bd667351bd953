"""One configuration schema: TOML from `--config`, `$YTVAULT_CONFIG` or the user config dir,
validated by pydantic (unknown keys are errors), then environment overrides.

Every field is documented in `config.example.toml`; a test keeps the two in step.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ytvault.errors import ConfigError
from ytvault.sections import DEFAULT_SECTIONS, Section, check_sections

APP = "ytvault"
DEFAULT_MODEL = "claude-sonnet-5-5"


class Config(BaseModel):
    """Every setting ytvault reads. Defaults live here and nowhere else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vault: Path | None = Field(
        default=None, description="The Obsidian vault that `sync` and `watch` use by default."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where fetched metadata, transcripts and thumbnails are kept "
        "(env YTVAULT_CACHE_DIR wins; default: the platform's user cache dir).",
    )
    state_dir: Path | None = Field(
        default=None,
        description="Where the ledger of attempts and failures is kept "
        "(default: the platform's user state dir).",
    )
    model: str = Field(
        default=DEFAULT_MODEL, description="The Claude model that writes the analysis."
    )
    api_key_env: str = Field(
        default="ANTHROPIC_API_KEY",
        description="The environment variable that holds the Anthropic API key.",
    )
    max_output_tokens: Annotated[int, Field(ge=1024, le=64000)] = Field(
        default=8192, description="Upper bound on the tokens of one analysis answer."
    )
    request_timeout_seconds: Annotated[float, Field(gt=0)] = Field(
        default=300.0, description="How long one model call may take before it is retried."
    )
    api_max_retries: Annotated[int, Field(ge=0, le=20)] = Field(
        default=6,
        description="Retries of a model call on 429/5xx/network errors, with backoff "
        "honouring retry-after.",
    )
    concurrency: Annotated[int, Field(ge=1, le=64)] = Field(
        default=4, description="How many notes are processed at once."
    )
    debounce_seconds: Annotated[float, Field(ge=0, le=600)] = Field(
        default=2.0,
        description="How long a note must stay unchanged before the watcher processes it.",
    )
    watch_mode: Literal["auto", "native", "polling"] = Field(
        default="auto",
        description="How the watcher learns of changes: native file events, polling, or auto "
        "(polling on network mounts and WSL's /mnt drives, native elsewhere).",
    )
    poll_interval_seconds: Annotated[float, Field(ge=0.5, le=3600)] = Field(
        default=5.0, description="How often the polling watcher looks at the vault."
    )
    reconcile_minutes: Annotated[float, Field(gt=0, le=1440)] = Field(
        default=10.0,
        description="How often the watcher rescans the whole vault for stubs it was not told "
        "about (sync tools, sleep, missed events).",
    )
    claim_notes: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Write a claim into a note before filling it, so two devices running "
        "ytvault on one synced vault never both fill it: always, never, or auto (when the "
        "vault looks synced: Obsidian Sync, Syncthing, iCloud, Dropbox, OneDrive…).",
    )
    claim_settle_seconds: Annotated[float, Field(ge=0, le=600)] = Field(
        default=3.0,
        description="How long to wait after claiming a note for another device's claim to "
        "arrive through the sync tool.",
    )
    claim_lease_minutes: Annotated[float, Field(gt=0, le=1440)] = Field(
        default=15.0,
        description="How long a claim holds: a device that stopped while holding one delays "
        "the note by at most this.",
    )
    transcript_languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description="Transcript languages in order of preference; manual captions come "
        "before generated ones, and the first track is used when none matches.",
    )
    # The analysis: what it holds, in which language, how it is checked (docs/analysis.md).
    transcript_any_language: bool = Field(
        default=True,
        description="When no track is in transcript_languages, use the video's first one "
        "(true) or give the note a 'language not available' callout (false).",
    )
    transcript_proxy: str | None = Field(
        default=None,
        description="A proxy URL for transcript requests (http://user:pass@host:port), for "
        "when YouTube blocks this IP.",
    )
    cookies_file: Path | None = Field(
        default=None,
        description="A Netscape cookies file for yt-dlp (signed-in metadata and caption "
        "tracks: age-restricted videos, bot checks).",
    )
    output_language: str = Field(
        default="transcript",
        description="The language the analysis is written in: `transcript` (the "
        "transcript's own) or a language, e.g. `English` or `de`. Quotes stay as spoken.",
    )
    input_token_budget: Annotated[int, Field(ge=2000, le=2_000_000)] | None = Field(
        default=None,
        description="Most input tokens one model request may hold; a longer transcript is "
        "split into parts (default: three quarters of the model's context window, less "
        "max_output_tokens).",
    )
    sections: tuple[Section, ...] = Field(
        default=DEFAULT_SECTIONS,
        description="The analysis's sections, in order: name, instruction, size, kind "
        "(paragraph, list or quotes), heading (default: the seed note's eight).",
    )
    prompt_file: Path | None = Field(
        default=None,
        description="Your own instructions for the model instead of ytvault's (a Fabric "
        "pattern's system.md, or its folder); relative to the vault.",
    )
    note_template: Path | None = Field(
        default=None,
        description="Your own note template instead of ytvault's; relative to the vault.",
    )
    quote_links: bool = Field(
        default=True,
        description="Link each quote found in the transcript to its moment in the video.",
    )
    unverified_quotes: Literal["drop", "mark"] = Field(
        default="drop",
        description="What happens to a quote that is not in the transcript: drop it, or "
        "mark it as not found.",
    )
    chapter_links: bool = Field(
        default=False,
        description="Add the chapters to the note's body as links to their moment.",
    )

    # Living in an Obsidian vault: where notes go, what their names are, duplicates, pacing.
    new_note_folder: str | None = Field(
        default=None,
        description="The folder, from the vault root, where `ytvault new` creates notes "
        "(default: Obsidian's *Default location for new notes* when it names a folder, else "
        "the vault root).",
    )
    duplicates: Literal["link", "fill", "skip"] = Field(
        default="link",
        description="A stub for a video that already has a finished note: `link` fills it "
        "and adds a `duplicate_of` property linking the earlier note; `fill` fills it; `skip` "
        "leaves it with a callout naming the earlier note. Each is reported.",
    )
    rename_untitled: bool = Field(
        default=False,
        description="Rename a filled `Untitled.md` (`Untitled 1.md`…) to the video's title. "
        "Links to the old name are not updated: Obsidian does that only for its own renames.",
    )
    fetch_pause_seconds: Annotated[float, Field(ge=0, le=600)] = Field(
        default=3.0,
        description="Pause between two videos fetched from YouTube by `ytvault sync`, `new` "
        "(a playlist, many URLs) and `refresh`, varied by ±50%, so YouTube does not block the "
        "IP. Videos already in the cache do not wait.",
    )
    batch_poll_seconds: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=30.0,
        description="How often `ytvault sync --batch` asks whether a Message Batch has ended "
        "(a batch takes up to 24 hours, most far less).",
    )

    @field_validator("vault", "cache_dir", "state_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return None if value is None else Path(os.path.expandvars(value)).expanduser()

    @field_validator("transcript_languages", mode="after")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if not value or any(not code.strip() for code in value):
            raise ValueError("list at least one language code, e.g. [\"en\"]")
        return value

    @field_validator("cookies_file", "prompt_file", "note_template", mode="after")
    @classmethod
    def _expand_file(cls, value: Path | None) -> Path | None:
        return None if value is None else Path(os.path.expandvars(value)).expanduser()

    @field_validator("sections", mode="after")
    @classmethod
    def _sections(cls, value: tuple[Section, ...]) -> tuple[Section, ...]:
        return check_sections(value)

    @field_validator("transcript_proxy", mode="after")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ValueError("a proxy URL: http://, https:// or socks5://user:pass@host:port")
        return value or None

    @field_validator("output_language", mode="after")
    @classmethod
    def _language(cls, value: str) -> str:
        if not value.strip() or "\n" in value or len(value) > 60:
            raise ValueError("`transcript`, or the name or code of a language, e.g. \"English\"")
        return value.strip()

    def resolve(self, path: Path, vault: Path) -> Path:
        """A configured file: relative paths are in the vault."""
        return path if path.is_absolute() else vault / path

    @property
    def resolved_cache_dir(self) -> Path:
        env = os.environ.get("YTVAULT_CACHE_DIR")
        if env:
            return Path(env).expanduser()
        if self.cache_dir is not None:
            return self.cache_dir
        from platformdirs import user_cache_dir

        return Path(user_cache_dir(APP, appauthor=False))

    @property
    def resolved_log_dir(self) -> Path:
        from platformdirs import user_log_dir

        return Path(user_log_dir(APP, appauthor=False))

    @property
    def resolved_state_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        from platformdirs import user_state_dir

        return Path(user_state_dir(APP, appauthor=False))

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Load from `path`, else `$YTVAULT_CONFIG`, else the default file if it exists."""
    explicit = path is not None or bool(os.environ.get("YTVAULT_CONFIG"))
    if path is None:
        env = os.environ.get("YTVAULT_CONFIG")
        path = Path(env).expanduser() if env else default_config_path()
    if not path.exists():
        if explicit:
            raise ConfigError(
                f"config file {path} does not exist: create it from config.example.toml"
            )
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, source=str(path))


def parse_config(data: dict[str, object], source: str = "config") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(part) for part in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}': check its spelling against config.example.toml"
    return f"'{key}': {err['msg']}"
