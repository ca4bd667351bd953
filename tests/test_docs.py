"""The docs are tested: the README's commands are what CI runs, and they name real commands."""

from __future__ import annotations

import re
from pathlib import Path

from ytvault.cli import build_parser

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    main_job, tests = commands
    assert "ytvault sync" in main_job and "pytest" in tests
    assert tests in (ROOT / ".ci/run").read_text().splitlines()


def test_commands_in_the_readme_table_exist() -> None:
    text = (ROOT / "README.md").read_text()
    named = set(re.findall(r"^\| `ytvault (\w+)", text, re.M))
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    known = set(subparsers.choices)  # type: ignore[attr-defined]
    assert named and named <= known


def test_docs_links_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+\.(?:md|toml))\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
