"""The person edits the note before, during and after processing, in random ways. Afterwards:
every line they wrote is there, generated content appears at most once, and a note they
emptied or un-stubbed is left exactly as they left it."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from conftest import FIXTURES, GOLDEN_NOW, SEED_URL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytvault.config.settings import Config
from ytvault.cost import Usage
from ytvault.models import Analysis, Transcript, Video
from ytvault.pipeline.context import Context
from ytvault.pipeline.ledger import Ledger
from ytvault.pipeline.run import process_note
from ytvault.youtube.cache import Cache
from ytvault.youtube.client import YouTubeClient

ANALYSIS = Analysis.model_validate_json((FIXTURES / "analysis/Yf1o0TQzry8.json").read_text())

words = st.text(alphabet="abcdefghij klmnop.,!?-_*#", min_size=1, max_size=24).map(str.strip)
line = words.filter(lambda s: bool(s) and not s.startswith(("-", "#", ">", "*")))
key = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True).filter(
    lambda k: k not in {"youtube_url", "tags", "title"})

EDITS = ["append", "prepend", "insert_property", "change_property", "delete_url", "empty",
         "rename", "delete", "atomic_save", "nothing"]


@dataclass
class Scenario:
    props: dict[str, str]
    during: str
    during_line: str
    after_line: str


scenarios = st.builds(
    Scenario,
    props=st.dictionaries(key, line, max_size=3),
    during=st.sampled_from(EDITS),
    during_line=line,
    after_line=line,
)


def initial_text(props: dict[str, str]) -> str:
    if not props:
        return SEED_URL + "\n"
    fm = "".join(f"{k}: {v!r}\n".replace("'", '"') for k, v in props.items())
    return f"---\n{fm}---\n{SEED_URL}\n"


class Editor:
    """The 'model call' during which the person edits the note."""

    def __init__(self, note: Path, scenario: Scenario) -> None:
        self.note, self.s = note, scenario
        self.person_lines: list[str] = []  # lines the person added during processing
        self.replaced: list[str] = []  # lines the person changed during processing

    def analyze(self, video: Video, transcript: Transcript, usage: Usage | None = None
                ) -> Analysis:
        note, s, text = self.note, self.s, self.note.read_text()
        if s.during == "append":
            note.write_text(text + s.during_line + "\n")
            self.person_lines.append(s.during_line)
        elif s.during == "prepend":
            if text.startswith("---\n"):
                head, body = text.split("\n---\n", 1)
                note.write_text(f"{head}\n---\n{s.during_line}\n{body}")
            else:
                note.write_text(f"{s.during_line}\n{text}")
            self.person_lines.append(s.during_line)
        elif s.during in ("insert_property", "change_property"):
            value = f'"{s.during_line}"'
            if text.startswith("---\n"):
                lines = text.split("\n")
                if s.during == "change_property" and s.props:
                    k = next(iter(s.props))
                    self.replaced += [ln for ln in lines if ln.startswith(f"{k}:")]
                    lines = [f"{k}: {value}" if ln.startswith(f"{k}:") else ln for ln in lines]
                    self.person_lines.append(f"{k}: {value}")
                else:
                    lines.insert(1, f"mine: {value}")
                    self.person_lines.append(f"mine: {value}")
                note.write_text("\n".join(lines))
            else:
                note.write_text(f"---\nmine: {value}\n---\n{text}")
                self.person_lines.append(f"mine: {value}")
        elif s.during == "delete_url":
            note.write_text(text.replace(SEED_URL + "\n", s.during_line + "\n"))
        elif s.during == "empty":
            note.write_text("")
        elif s.during == "rename":
            note.rename(note.with_name("Renamed.md"))
        elif s.during == "delete":
            note.unlink()
        elif s.during == "atomic_save":  # Obsidian's own save: temp file, then rename
            tmp = note.with_name(".Untitled.md.tmp")
            tmp.write_text(text + s.during_line + "\n")
            os.replace(tmp, note)
            self.person_lines.append(s.during_line)
        return ANALYSIS


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_random_edits_never_lose_a_byte(s: Scenario) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        vault = root / "vault"
        vault.mkdir()
        note = vault / "Untitled.md"
        before = initial_text(s.props)
        note.write_text(before)
        editor = Editor(note, s)
        ctx = Context(config=Config(), vault=vault, cache=Cache(FIXTURES / "cache"),
                      ledger=Ledger(None), youtube=YouTubeClient(), analyzer=editor,
                      clock=lambda: GOLDEN_NOW)
        outcome = process_note(ctx, note)
        assert outcome is not None

        if s.during in ("rename", "delete"):
            assert outcome.status == "skipped"
            renamed = vault / "Renamed.md"
            assert not note.exists()
            assert renamed.read_text() == before if s.during == "rename" else not renamed.exists()
            assert list(vault.glob("*.jpg")) == []
            return
        after_processing = note.read_text()
        if s.during in ("delete_url", "empty"):  # un-stubbed: exactly as the person left it
            assert outcome.status == "skipped"
            expected = "" if s.during == "empty" else before.replace(SEED_URL, s.during_line)
            assert after_processing == expected
            assert list(vault.glob("*.jpg")) == []
            return
        assert outcome.status == "filled", outcome
        # an edit after processing is simply the person's, and stays
        edited = after_processing + s.after_line + "\n"
        note.write_text(edited)
        # a second pass finds nothing to do, and leaves every byte where it is
        assert process_note(ctx, note) is None
        final = note.read_text()
        assert final == edited
        lines = final.split("\n")
        for original in before.split("\n"):
            if original and original not in (SEED_URL, "---", *editor.replaced):
                assert original in lines
        for added in [*editor.person_lines, s.after_line]:
            assert added in lines
        assert final.count("# SUMMARY") == 1 and final.count("</iframe>") == 1
        assert final.count("\n---\n") + final.startswith("---\n") == 2  # one frontmatter
    finally:
        shutil.rmtree(root, ignore_errors=True)
