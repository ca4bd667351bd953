"""records.NamedTuple makes the same class typing.NamedTuple makes, from the same body."""

from __future__ import annotations

import pickle
import typing

import pytest

from ytvault import records

pytestmark = pytest.mark.unit


def _pair() -> tuple[type, type]:
    made = []
    for base in (typing.NamedTuple, records.NamedTuple):
        class Point(base):  # type: ignore[misc, valid-type]
            """A point, with a label."""

            x: int
            y: int = 0
            label: str = "origin"

            @property
            def norm(self) -> int:
                return abs(self.x) + abs(self.y)

            def moved(self, dx: int) -> Point:
                return self._replace(x=self.x + dx)

        made.append(Point)
    return made[0], made[1]


TYPED, OURS = _pair()


def test_the_same_fields_defaults_and_docstring() -> None:
    assert OURS._fields == TYPED._fields == ("x", "y", "label")
    assert OURS._field_defaults == TYPED._field_defaults == {"y": 0, "label": "origin"}
    assert OURS.__doc__ == TYPED.__doc__ == "A point, with a label."
    assert OURS.__name__ == TYPED.__name__ and OURS.__module__ == TYPED.__module__
    assert list(OURS.__annotations__) == list(TYPED.__annotations__)


def test_the_same_behaviour() -> None:
    typed, ours = TYPED(3, -4), OURS(3, -4)
    assert tuple(ours) == tuple(typed) == (3, -4, "origin")
    assert ours == typed and hash(ours) == hash(typed)  # both are plain tuples underneath
    assert repr(ours) == repr(typed) == "Point(x=3, y=-4, label='origin')"
    assert ours.norm == typed.norm == 7
    assert ours.moved(2) == typed.moved(2) == (5, -4, "origin")
    assert type(ours.moved(2)) is OURS
    assert ours._asdict() == typed._asdict()
    assert OURS._make([1, 2, "a"]) == (1, 2, "a")
    assert isinstance(ours, tuple) and not isinstance(ours, records.NamedTuple)
    with pytest.raises(AttributeError):
        ours.x = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        OURS()  # x has no default


def test_a_record_of_a_module_pickles() -> None:
    from ytvault.outcome import Outcome

    outcome = Outcome(note=__import__("pathlib").Path("a.md"), status="filled", detail="ok")
    assert pickle.loads(pickle.dumps(outcome)) == outcome


@pytest.mark.parametrize("base", [typing.NamedTuple, records.NamedTuple])
def test_refuses_what_typing_refuses(base: type) -> None:
    with pytest.raises(TypeError):
        class Late(base):  # type: ignore[misc, valid-type]
            a: int = 1
            b: int
    with pytest.raises(AttributeError):
        class Clash(base):  # type: ignore[misc, valid-type]
            a: int

            def _replace(self) -> None: ...


def test_no_record_of_ytvault_is_made_by_typing() -> None:
    """Each record is written as records.NamedTuple, so a start-up that makes one does not
    import typing (tests/test_startup.py checks sys.modules; this says which line to change)."""
    import pathlib

    package = pathlib.Path(records.__file__).parent
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 if "from typing import" in p.read_text(encoding="utf-8")
                 and "NamedTuple" in _runtime_typing_names(p)]
    assert offenders == []


def _runtime_typing_names(path: typing.Any) -> set[str]:
    """Names a module imports from typing outside `if TYPE_CHECKING:`."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
               for n in ast.walk(node)}
    return {a.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "typing"
            and id(node) not in guarded for a in node.names}
