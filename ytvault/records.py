"""`NamedTuple`, as `typing` writes it, without importing `typing` at run time.

Every start-up of `status` and `sync` makes a few records (an Outcome, a Found, a note's
Parts). `typing.NamedTuple` costs the import of `typing` (~4 ms on a machine where a bare
`python -c pass` takes 15) and compiles each field's annotation into a ForwardRef; this one
makes the same class from `collections.namedtuple` (a tuple subclass with the fields, their
defaults, `_replace`, `_asdict`, the repr and equality of a tuple) and copies the methods,
properties and docstring written in the class body onto it. Type checkers see typing's, so a
record is written, and checked, as `class Found(NamedTuple): text: str` either way; a test
holds the two to the same fields, defaults and behaviour (tests/test_records.py).

Not supported, as nothing here needs them: generic records, `__init_subclass__`, and a body
overriding a namedtuple attribute (`_fields`, `_make`…), which typing refuses too.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    _OWN = frozenset({"__module__", "__qualname__", "__annotations__", "__orig_bases__"})
    _RESERVED = frozenset({"_make", "_replace", "_asdict", "_fields", "_field_defaults",
                           "__new__", "__init__", "__slots__", "__getnewargs__"})

    class _Maker(type):
        def __new__(mcls, name, bases, namespace):
            if not bases:  # `NamedTuple` itself
                return super().__new__(mcls, name, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a record's only base is NamedTuple")
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[f] for f in fields if f in namespace]
            if any(f in namespace for f in fields[:len(fields) - len(defaults)]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults,
                                module=namespace["__module__"])
            record.__qualname__ = namespace["__qualname__"]
            record.__annotations__ = dict(namespace.get("__annotations__", {}))
            for key, value in namespace.items():
                if key in _RESERVED:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
                if key not in _OWN and key not in fields:
                    setattr(record, key, value)
            return record

    class NamedTuple(metaclass=_Maker):
        """Base of a record class: `class Found(NamedTuple): text: str; stub: Stub`."""
