"""The configuration reference in docs/configuration.md is the one the schema generates.

When this fails after a key was added or changed: `python -m ytvault.config.docgen`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytvault.config import docgen
from ytvault.config.settings import Config

pytestmark = pytest.mark.unit

DOC = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_the_committed_reference_matches_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert docgen.update(text) == text, "run `python -m ytvault.config.docgen` to regenerate it"


def test_every_key_has_a_row_with_its_default_and_limits() -> None:
    table = docgen.render_table()
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[0].strip("| `") for row in rows] == list(Config.SETTINGS)
    assert "| `concurrency` | `4` | How many notes are processed at once. Between 1 and 64. |" \
        in table
    assert "One of `link`, `fill`, `skip`." in table
    assert "More than 0, at most 1440. |" in table  # reconcile_minutes: gt and le
    assert "split into parts. Between 2000 and 2000000. |" in table  # bounds of an optional
    assert "| `cache_dir` | the platform's user cache dir |" in table  # said in the description
    assert all(row.count(" | ") == 2 for row in rows)  # no `|` from a description splits a row


def test_update_replaces_only_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "c.md"
    doc.write_text(f"intro\n{docgen.BEGIN}\nstale\n{docgen.END}\noutro\n")
    assert docgen.main([str(doc), "--check"]) == 1
    assert docgen.main([str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{docgen.END}\noutro\n")
    assert "stale" not in text and "| `vault` |" in text
    assert docgen.main([str(doc), "--check"]) == 0
