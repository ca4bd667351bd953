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
