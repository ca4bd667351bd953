"""The small schema `Config` and `Section` are declared with: frozen stdlib dataclasses whose
fields carry a description and bounds, checked by their field types in `__post_init__`.

Not pydantic: importing it costs several bare interpreter start-ups, and `ytvault status` must
start within 3x of `python -c pass` (the figures: docs/benchmarks.md). What a TOML file gives
is all there is to check: text, numbers, booleans, lists, tables.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import os
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ytvault.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")

# A field's bounds, in its metadata, and how a message (and docs/configuration.md) says them.
BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "ge": (operator.ge, "at least"),
    "gt": (operator.gt, "more than"),
    "le": (operator.le, "at most"),
}
# What a plain type accepts and how the message names it; a float takes an int too.
PLAIN: dict[type, tuple[tuple[type, ...], str]] = {
    bool: ((bool,), "true or false"),
    int: ((int,), "a whole number"),
    float: ((int, float), "a number"),
    str: ((str,), "text"),
    Path: ((str, os.PathLike), "a path, as text"),
}


class Invalid(ConfigError):
    """A bad value, with the key it was given for: `'sections.0.size': must be at least 1`."""

    def __init__(self, key: str, problem: str, value: object = dataclasses.MISSING) -> None:
        self.key, self.problem = key, problem
        if value is not dataclasses.MISSING:
            self.problem = f"{problem} (got {_shown(value)})"
        super().__init__(f"'{key}': {self.problem}")


def setting(default: T, doc: str, *, ge: float | None = None, gt: float | None = None,
            le: float | None = None) -> T:
    """A field with its default, its description and its bounds (typed as its value, so the
    class reads `concurrency: int = setting(4, "…", ge=1)` and mypy checks the default)."""
    bounds = {"ge": ge, "gt": gt, "le": le}
    metadata = {"doc": doc} | {k: v for k, v in bounds.items() if v is not None}
    if isinstance(default, list):  # mutable: every instance gets its own copy
        return typing.cast(T, dataclasses.field(default_factory=default.copy, metadata=metadata))
    return dataclasses.field(default=default, metadata=metadata)


@cache
def hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a dataclass (its annotations are strings until asked)."""
    return typing.get_type_hints(cls)


def check(obj: DataclassInstance) -> None:
    """Check every field of `obj` against its type and bounds, storing the normalised value (a
    float for an int, a `Path` with `~` and `$VARS` expanded, a table made into its class)."""
    types_ = hints(type(obj))
    for field in dataclasses.fields(obj):
        value = _checked(field.name, types_[field.name], getattr(obj, field.name), field.metadata)
        object.__setattr__(obj, field.name, value)


def build(cls: type[D], table: Mapping[str, object], where: str = "") -> D:
    """An instance of the dataclass `cls` from a table (TOML's dict); `where` prefixes keys."""
    names = [f.name for f in dataclasses.fields(cls)]
    for key in table:
        if key not in names:
            raise ConfigError(
                f"unknown key '{where}{key}': check its spelling against config.example.toml")
    for f in dataclasses.fields(cls):
        required = f.default is f.default_factory is dataclasses.MISSING
        if required and f.name not in table:
            raise Invalid(f"{where}{f.name}", "is required")
    try:
        return cls(**table)
    except Invalid as exc:
        raise Invalid(f"{where}{exc.key}", exc.problem) from None


def _checked(key: str, hint: Any, value: object, metadata: Mapping[str, Any]) -> object:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # `X | None`, the only union a setting has
        if value is None:
            return None
        hint = next(arg for arg in args if arg is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        if not isinstance(value, str) or value not in args:
            raise Invalid(key, f"must be one of {', '.join(args)}", value)
        return value
    if origin in (list, tuple):  # list[X] or tuple[X, ...]: TOML's array
        if not isinstance(value, list | tuple):
            raise Invalid(key, "must be a list", value)
        items = [_checked(f"{key}.{i}", args[0], item, {}) for i, item in enumerate(value)]
        return items if origin is list else tuple(items)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a table
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise Invalid(key, "must be a table", value)
        return build(hint, value, f"{key}.")
    accepted, wanted = PLAIN[hint]
    # To Python a bool is an int; to TOML `true` is no number.
    if not isinstance(value, accepted) or (hint is not bool and isinstance(value, bool)):
        raise Invalid(key, f"must be {wanted}", value)
    if hint is Path:
        return Path(os.path.expandvars(typing.cast("str | os.PathLike[str]", value))).expanduser()
    # TOML's inf and nan are floats; no setting means either (an infinite timeout made every
    # model call fail at once, as "cannot reach the API").
    if hint is float and not math.isfinite(typing.cast(float, value)):
        raise Invalid(key, "must be a finite number", value)
    for name, (within, words) in BOUNDS.items():
        if name in metadata and not within(value, metadata[name]):
            raise Invalid(key, f"must be {words} {metadata[name]}", value)
    return float(typing.cast(float, value)) if hint is float else value


def _shown(value: object) -> str:
    """A value as the message shows it: as TOML writes a boolean, one line, not too long."""
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
