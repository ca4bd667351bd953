"""The package's layers, written down once: each module may import its own layer and those
below, never one above; the two outside services are peers that never import each other;
there is no import cycle (imports inside functions count); and every name is imported from
the module that defines it, never through one that re-exports it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ytvault"

# Low to high. A group of several is one layer whose members must not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "records"),  # records: typing.NamedTuple without typing (records.py)
    ("config",),
    ("models", "cost"),  # the records every stage hands the next
    ("outcome",),
    ("note",),  # pure text
    ("vault",),  # files on disk
    ("youtube", "analysis"),  # the outside services: peers
    ("pipeline",),
    ("daemon",),
    ("commands",),
    ("__main__",),
]


def _room(module: str) -> str:
    """`ytvault.note.parse` → `note`; `ytvault.errors` → `errors`; `ytvault` → ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(room: str) -> int:
    for i, group in enumerate(LAYERS):
        if room in group:
            return i
    raise AssertionError(f"ytvault.{room} is in no layer: add it to LAYERS in {__file__}")


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(module, names taken from it, line) of every import of ytvault, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ytvault" or node.module.startswith("ytvault."):
                yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ytvault."):
                    yield alias.name, [], node.lineno


def _targets(module: str, names: list[str]) -> list[str]:
    """The modules an import reaches: `from ytvault.note import parse` reaches
    `ytvault.note.parse`; `from ytvault.note.parse import Stub` reaches `ytvault.note.parse`."""
    subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    rest = [n for n in names if f"{module}.{n}" not in MODULES]
    return subs + ([module] if rest or not names else [])


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):  # `A = …` and `A, B = …`
                for target in node.targets:
                    parts = target.elts if isinstance(target, ast.Tuple) else [target]
                    names.update(n.id for n in parts if isinstance(n, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)

    visit(tree.body)
    return names


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, tree in MODULES.items():
        for target, names, _ in _imports(tree):
            edges[module].update(t for t in _targets(target, names) if t != module)
    return edges


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        if module != "ytvault":
            _layer(_room(module))


def test_no_module_imports_a_higher_layer_or_a_peer() -> None:
    wrong = []
    for module, tree in MODULES.items():
        room = _room(module)
        if not room:
            continue
        for target, names, line in _imports(tree):
            for reached in _targets(target, names):
                other = _room(reached)
                if not other or other == room:
                    continue
                if _layer(other) > _layer(room):
                    wrong.append(f"{module}:{line} imports {reached}, a higher layer")
                elif _layer(other) == _layer(room):
                    wrong.append(f"{module}:{line} imports {reached}, its peer")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    edges = _edges()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module):], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


def _importers() -> dict[str, ast.Module]:
    """The package's modules, and the tests and benchmarks that import it."""
    outside = {str(p): ast.parse(p.read_text(encoding="utf-8"))
               for folder in ("tests", "bench") for p in (PACKAGE.parent / folder).glob("*.py")}
    return {**MODULES, **outside}


def test_names_are_imported_from_the_module_that_defines_them() -> None:
    defined = {module: _defined(tree) for module, tree in MODULES.items()}
    wrong = []
    for module, tree in _importers().items():
        for target, names, line in _imports(tree):
            if target not in MODULES:
                wrong.append(f"{module}:{line} imports {target}, which does not exist")
                continue
            for name in names:
                if f"{target}.{name}" not in MODULES and name not in defined[target]:
                    wrong.append(f"{module}:{line} takes {name} from {target}, which only "
                                 "imports it")
    assert not wrong, "\n".join(wrong)



def test_no_module_declares_another_modules_names() -> None:
    """An `__all__` that lists imported names invites importing them from the wrong module."""
    wrong = []
    for module, tree in MODULES.items():
        for node in tree.body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                     for t in node.targets)):
                listed = {e.value for e in ast.walk(node.value)
                          if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                wrong += [f"{module} lists {n} in __all__, defined elsewhere"
                          for n in sorted(listed - _defined(tree))]
    assert not wrong, "\n".join(wrong)

def test_folders_are_docstrings_only() -> None:
    """An `__init__.py` that imports or defines anything costs every start-up."""
    for module, tree in MODULES.items():
        if module.count(".") == 1 and (PACKAGE / module.split(".")[1]).is_dir():
            body = tree.body
            assert len(body) == 1 and isinstance(body[0], ast.Expr), module
            assert ast.get_docstring(tree), f"{module} says what lives there"


def test_the_checks_can_fail() -> None:
    """The walker sees imports inside functions and under TYPE_CHECKING."""
    tree = ast.parse("def f():\n    from ytvault.commands.cli import main\n"
                     "if TYPE_CHECKING:\n    from ytvault.note import parse\n")
    assert [m for m, _, _ in _imports(tree)] == ["ytvault.commands.cli", "ytvault.note"]
    assert _targets("ytvault.note", ["parse"]) == ["ytvault.note.parse"]
    assert _layer("commands") > _layer("pipeline") > _layer("note")
