"""note/lines.py: the lines `refresh` may bring up to date, as ytvault wrote them, and a note
with those that are still ytvault's replaced; every other line moves byte for byte."""

from __future__ import annotations

import pytest

from ytvault.note.lines import PLAYER_KEY, UPDATED, generated_lines, own_lines, refresh_text
from ytvault.note.yamltext import FrontmatterError

pytestmark = pytest.mark.unit

PLAYER = ('<iframe title="Old title" src="https://www.youtube.com/embed/Yf1o0TQzry8'
          '?feature=oembed"></iframe>\n')
NEW_PLAYER = PLAYER.replace("Old title", "New title")

RENDERED = f"""\
---
tags:
  - type/youtube
title: Old title
channel_name: Dwarkesh Patel
subscribers: 100
chapters:
  - "00:00 Intro"
  - "05:00 AGI"
thumbnail: "![[1711477562504.jpg]]"
updated: 2024-03-26T15:26
---

# SUMMARY
Text.

{PLAYER}"""


def test_generated_lines_are_the_refreshable_properties_updated_and_the_player() -> None:
    lines = generated_lines(RENDERED)
    assert lines == {
        "title": "title: Old title\n",
        "channel_name": "channel_name: Dwarkesh Patel\n",
        "subscribers": "subscribers: 100\n",
        "chapters": 'chapters:\n  - "00:00 Intro"\n  - "05:00 AGI"\n',
        UPDATED: "updated: 2024-03-26T15:26\n",
        PLAYER_KEY: PLAYER,
    }


def test_generated_lines_of_a_crlf_note_end_in_lf() -> None:
    lines = generated_lines(RENDERED.replace("\n", "\r\n"))
    assert lines["title"] == "title: Old title\n"
    assert lines[PLAYER_KEY] == PLAYER


def test_own_lines_part_a_blocks_comments_from_its_lines() -> None:
    assert own_lines("# why\n\ntitle: x\r\n") == ("# why\n\n", "title: x\n")
    assert own_lines("title: x\n") == ("", "title: x\n")


def fresh(**changes: str) -> dict[str, str]:
    lines = generated_lines(RENDERED)
    lines.pop(UPDATED)
    lines.update(changes)
    return lines


def test_what_is_still_ytvaults_is_brought_up_to_date() -> None:
    previous = generated_lines(RENDERED)
    change = refresh_text(RENDERED, previous,
                          fresh(title="title: New title\n", **{PLAYER_KEY: NEW_PLAYER}),
                          "updated: 2026-01-01T10:00\n")
    assert change.changed == ("title", "player")
    assert change.kept == ()
    expected = (RENDERED.replace("title: Old title", "title: New title")
                .replace(PLAYER, NEW_PLAYER)
                .replace("updated: 2024-03-26T15:26", "updated: 2026-01-01T10:00"))
    assert change.text == expected
    assert change.lines["title"] == "title: New title\n"
    assert change.lines[PLAYER_KEY] == NEW_PLAYER
    assert change.lines[UPDATED] == "updated: 2026-01-01T10:00\n"


def test_what_the_person_edited_is_kept() -> None:
    previous = generated_lines(RENDERED)
    edited = RENDERED.replace("title: Old title", "title: My own title")
    change = refresh_text(edited, previous, fresh(title="title: New title\n",
                                                  subscribers="subscribers: 200\n"), None)
    assert change.changed == ("subscribers",)
    assert change.kept == ("title",)
    assert "title: My own title\n" in change.text
    assert "subscribers: 200\n" in change.text
    assert change.lines["title"] == previous["title"]  # still what ytvault wrote last


def test_a_player_the_person_changed_is_kept() -> None:
    previous = generated_lines(RENDERED)
    edited = RENDERED.replace(PLAYER, "my own embed\n")
    change = refresh_text(edited, previous, fresh(**{PLAYER_KEY: NEW_PLAYER}), None)
    assert change.changed == ()
    assert change.kept == ("player",)
    assert change.text == edited


def test_nothing_changed_leaves_the_text_and_updated_alone() -> None:
    previous = generated_lines(RENDERED)
    change = refresh_text(RENDERED, previous, fresh(), "updated: 2026-01-01T10:00\n")
    assert change.changed == ()
    assert change.text == RENDERED
    assert change.lines == previous  # `updated` included: ytvault did not write it again


def test_updated_the_person_edited_is_not_touched() -> None:
    previous = generated_lines(RENDERED)
    edited = RENDERED.replace("updated: 2024-03-26T15:26", "updated: by hand")
    change = refresh_text(edited, previous, fresh(title="title: New title\n"),
                          "updated: 2026-01-01T10:00\n")
    assert change.changed == ("title",)
    assert "updated: by hand\n" in change.text


def test_a_value_already_up_to_date_is_recorded_as_such() -> None:
    """Whoever wrote the fresh value (the person, say), it is what ytvault would write now."""
    previous = generated_lines(RENDERED)
    edited = RENDERED.replace("subscribers: 100", "subscribers: 200")
    change = refresh_text(edited, previous, fresh(subscribers="subscribers: 200\n"), None)
    assert change.changed == ()
    assert change.lines["subscribers"] == "subscribers: 200\n"


def test_crlf_notes_stay_crlf_and_other_lines_move_byte_for_byte() -> None:
    previous = generated_lines(RENDERED)
    note = RENDERED.replace("\n", "\r\n").replace("---\r\n\r\n# SUMMARY",
                                                 "---\r\n\r\n# SUMMARY  \t")
    change = refresh_text(note, previous, fresh(title="title: New title\n"), None)
    assert change.text == note.replace("title: Old title", "title: New title")


def test_a_layout_that_cannot_be_cut_is_refused() -> None:
    note = RENDERED.replace("tags:\n", "x: &a 1\ny: *a\ntags:\n")
    with pytest.raises(FrontmatterError):
        refresh_text(note, generated_lines(RENDERED), fresh(title="title: New\n"), None)
