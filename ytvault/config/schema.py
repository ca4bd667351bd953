"""The small schema `Config` and `Section` are declared with: `Schema` classes whose fields are
`setting()`s carrying a default, a description and bounds, typed by their annotations and
checked on creation; frozen, compared and copied (`replace`) by their values.

Neither pydantic, nor stdlib dataclasses (they import `inspect`, with `ast`, `dis` and
`tokenize`), nor `typing` at run time: `status` and every `sync` load the config, and must start
within a small multiple of a bare interpreter (the figures: docs/benchmarks.md). A field's type
is read from its annotation's text (they are strings here: `from __future__ import
annotations`); what a TOML file gives is all there is to check: text, numbers, booleans, lists,
tables, and the few forms of annotation below.
"""

from __future__ import annotations

import operator
import os
from functools import cache
from pathlib import Path

from ytvault.errors import ConfigError

TYPE_CHECKING = False  # `typing` costs ~4 ms of start-up: mypy reads this name as its own
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, ClassVar, Self, TypeVar

    T = TypeVar("T")
    S = TypeVar("S", bound="Schema")

# A field's bounds, and how a message (and docs/configuration.md) says them.
BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "ge": (operator.ge, "at least"),
    "gt": (operator.gt, "more than"),
    "le": (operator.le, "at most"),
}
# What a plain type accepts and how the message names it; a float takes an int too.
PLAIN: dict[str, tuple[tuple[type, ...], str]] = {
    "bool": ((bool,), "true or false"),
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "str": ((str,), "text"),
    "Path": ((str, os.PathLike), "a path, as text"),
}
REQUIRED = object()  # the default of a field that has none
_UNSET = object()
_SCHEMAS: dict[str, type[Schema]] = {}  # by class name: what a table-typed field names


class Invalid(ConfigError):
    """A bad value, with the key it was given for: `'sections.0.size': must be at least 1`."""

    def __init__(self, key: str, problem: str, value: object = _UNSET) -> None:
        self.key, self.problem = key, problem
        if value is not _UNSET:
            self.problem = f"{problem} (got {_shown(value)})"
        super().__init__(f"'{key}': {self.problem}")


class Setting:
    """One field of a schema: its default, its description, its bounds, and (once its class is
    made) its name and type, read from the annotation's text."""

    def __init__(self, default: object, doc: str, bounds: dict[str, float]) -> None:
        self.default, self.doc, self.bounds = default, doc, bounds
        self.name = self.hint = ""

    def bind(self, name: str, hint: str) -> None:
        self.name, self.hint = name, hint
        _parse(hint)  # an annotation this module cannot check fails when the class is made

    @property
    def choices(self) -> tuple[str, ...]:
        """The values a `Literal[...]` field accepts; () for other fields."""
        return _parse(self.hint)[2]

    def make_default(self) -> object:
        # mutable: every instance gets its own copy
        return self.default.copy() if isinstance(self.default, list) else self.default


def setting(default: T, doc: str, *, ge: float | None = None, gt: float | None = None,
            le: float | None = None) -> T:
    """A field with its default, its description and its bounds (typed as its value, so the
    class reads `concurrency: int = setting(4, "…", ge=1)` and mypy checks the default)."""
    bounds = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le)) if v is not None}
    made: Any = Setting(default, doc, bounds)
    return made  # type: ignore[no-any-return]


def required(doc: str) -> Any:
    """A field without a default: a table that lacks it is an error naming the key."""
    return Setting(REQUIRED, doc, {})


class Schema:
    """Base of `Config` and `Section`: made from keywords, every field checked (then
    `__post_init__`), frozen, equal when their values are."""

    SETTINGS: ClassVar[dict[str, Setting]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        own: dict[str, Setting] = {}
        # not inspect.get_annotations: importing inspect costs more than the whole config
        for name, hint in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
            field = cls.__dict__.get(name)
            if isinstance(field, Setting):
                field.bind(name, str(hint))
                own[name] = field
                delattr(cls, name)  # the value lives on the instance
        cls.SETTINGS = own
        _SCHEMAS[cls.__name__] = cls

    def __init__(self, **values: object) -> None:
        cls = type(self).__name__
        for key in values:
            if key not in self.SETTINGS:  # a bug, not a config error: build() names the key
                raise TypeError(f"{cls}() got an unexpected keyword argument '{key}'")
        for name, field in self.SETTINGS.items():
            value = values[name] if name in values else field.make_default()
            if value is REQUIRED:
                raise TypeError(f"{cls}() missing required argument: '{name}'")
            object.__setattr__(self, name, _checked(name, field.hint, value, field.bounds))
        self.__post_init__()

    def __post_init__(self) -> None:
        """Checks that span fields, after each field's own."""

    def replace(self, **changes: object) -> Self:
        """A copy with `changes`, checked as a new one is."""
        return type(self)(**{**self._values(), **changes})

    def _values(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.SETTINGS}

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field '{name}': {type(self).__name__} is "
                             "frozen (make a changed copy with .replace())")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field '{name}'")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Schema)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(self._values().values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._values().items())
        return f"{type(self).__name__}({shown})"


def build(cls: type[S], table: Mapping[str, object], where: str = "") -> S:
    """An instance of the schema `cls` from a table (TOML's dict); `where` prefixes keys."""
    for key in table:
        if key not in cls.SETTINGS:
            raise ConfigError(
                f"unknown key '{where}{key}': check its spelling against config.example.toml")
    for name, field in cls.SETTINGS.items():
        if field.default is REQUIRED and name not in table:
            raise Invalid(f"{where}{name}", "is required")
    try:
        return cls(**table)
    except Invalid as exc:
        raise Invalid(f"{where}{exc.key}", exc.problem) from None


def _container(text: str) -> tuple[str, str] | None:
    """`list[X]` → ("list", "X"); `tuple[X, ...]` → ("tuple", "X"); anything else → None.
    (String methods, not a regex: every start reads the config, and a regex costs its compile.)"""
    for kind, tail in (("list", "]"), ("tuple", ", ...]")):
        if text.startswith(f"{kind}[") and text.endswith(tail):
            item = text[len(kind) + 1:-len(tail)]
            return (kind, item) if item.isidentifier() else None
    return None


@cache
def _parse(hint: str) -> tuple[str, bool, tuple[str, ...]]:
    """An annotation's text → (base, optional, choices): `Path | None` → ("Path", True, ()),
    `Literal["a", "b"]` → ("Literal", False, ("a", "b")), `list[str]` → ("list[str]", …)."""
    text = hint.strip()
    optional = text.endswith("| None")
    if optional:
        text = text[:-len("| None")].strip()
    if text.startswith("Literal[") and text.endswith("]"):
        choices = [c.strip() for c in text[len("Literal["):-1].split(",")]
        if all(len(c) >= 2 and c[0] == c[-1] and c[0] in "'\"" for c in choices):
            return "Literal", optional, tuple(c[1:-1] for c in choices)
    container = _container(text)
    item = container[1] if container else text
    if item not in PLAIN and not (item.isidentifier() and item[0].isupper()):
        raise TypeError(f"a setting's annotation must be one schema.py checks, not {hint!r}")
    return text, optional, ()


def _checked(key: str, hint: str, value: object, bounds: Mapping[str, float]) -> object:
    base, optional, choices = _parse(hint)
    if optional and value is None:
        return None
    if base == "Literal":
        if not isinstance(value, str) or value not in choices:
            raise Invalid(key, f"must be one of {', '.join(choices)}", value)
        return value
    container = _container(base)
    if container:  # list[X] or tuple[X, ...]: TOML's array
        if not isinstance(value, list | tuple):
            raise Invalid(key, "must be a list", value)
        kind, item_hint = container
        items = [_checked(f"{key}.{i}", item_hint, item, {}) for i, item in enumerate(value)]
        return items if kind == "list" else tuple(items)
    if base not in PLAIN:  # a table: another schema, by its class name
        schema = _SCHEMAS[base]
        if isinstance(value, schema):
            return value
        if not isinstance(value, dict):
            raise Invalid(key, "must be a table", value)
        return build(schema, value, f"{key}.")
    accepted, wanted = PLAIN[base]
    # To Python a bool is an int; to TOML `true` is no number.
    if not isinstance(value, accepted) or (base != "bool" and isinstance(value, bool)):
        raise Invalid(key, f"must be {wanted}", value)
    if base == "Path":
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        return Path(os.path.expandvars(text)).expanduser()
    # TOML's inf and nan are floats; no setting means either (an infinite timeout made every
    # model call fail at once, as "cannot reach the API").
    if base == "float" and not _finite(value):  # type: ignore[arg-type]
        raise Invalid(key, "must be a finite number", value)
    for name, (within, words) in BOUNDS.items():
        if name in bounds and not within(value, bounds[name]):
            raise Invalid(key, f"must be {words} {bounds[name]}", value)
    return float(value) if base == "float" else value  # type: ignore[arg-type]


def _finite(value: float) -> bool:
    return value - value == 0  # inf - inf and anything - nan are nan (math.isfinite's import)


def _shown(value: object) -> str:
    """A value as the message shows it: as TOML writes a boolean, one line, not too long."""
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
