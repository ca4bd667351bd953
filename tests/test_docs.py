"""The docs are tested: the README's commands are what CI runs, and they name real commands."""

from __future__ import annotations

import re
from pathlib import Path

from ytvault.commands.arguments import build_parser

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_both() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    main_job, tests = commands
    assert "ytvault sync" in main_job and "pytest" in tests
    ci = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert tests in ci and main_job in ci
    # each makes its own virtualenv: a system Python under PEP 668 refuses a bare pip install
    for command in commands:
        assert command.startswith("python3 -m venv ") and "pip install" in command
        assert " python -m pip" not in f" {command}"  # never the system's pip


def test_commands_in_the_readme_table_exist() -> None:
    text = (ROOT / "README.md").read_text()
    named = set(re.findall(r"^\| `ytvault (\w+)", text, re.M))
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    known = set(subparsers.choices)  # type: ignore[attr-defined]
    assert named and named <= known


def slugs(markdown: str) -> set[str]:
    """The anchors GitHub makes of a document's headings: lower case, punctuation dropped,
    spaces to hyphens, a repeated one numbered; headings in code blocks do not count."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        heading = re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)
        if fenced or not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    found |= set(re.findall(r"<a (?:name|id)=\"([^\"]+)\"", markdown))
    return found


def test_slugs_are_githubs() -> None:
    text = ("# What a stub is\n```sh\n# not a heading\n```\n"
            "## Many notes at once: batches, and cost\n## Cost\n## Cost\n")
    assert slugs(text) == {"what-a-stub-is", "many-notes-at-once-batches-and-cost", "cost",
                           "cost-1"}


def test_docs_links_resolve() -> None:
    checked = 0
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        for target, anchor in re.findall(r"\]\(([^)#:]*\.(?:md|toml)|)(?:#([^)\s]+))?\)", text):
            if not target and not anchor:
                continue
            linked = doc.parent / target if target else doc
            assert linked.exists(), f"{doc.name} links to missing {target}"
            if anchor:
                assert anchor in slugs(linked.read_text()), (
                    f"{doc.name} links to {target}#{anchor}: no such heading")
            checked += 1
    assert checked
