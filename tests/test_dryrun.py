"""`sync --dry-run` as a person runs it (a subprocess): each note's `would …` line, a summary
with the analyses' estimated cost, and a real run that then does what the dry run said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env
from fakeapi import FakeMessagesAPI
from ytfakes import closed_port_url

from ytvault.cost import estimate
from ytvault.pipeline.preview import ANSWER_TOKENS, INSTRUCTION_TOKENS


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytvault", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    return cli_env(tmp_path, cache_dir, "api_max_retries = 2\n")


def snapshot(vault: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()}


def test_without_a_key_each_note_says_what_would_happen(vault: Path, env: dict[str, str]
                                                        ) -> None:
    (vault / "a.md").write_text("https://youtu.be/Yf1o0TQzry8\n")
    (vault / "premiere.md").write_text("https://www.youtube.com/live/fxUpcoming1\n")
    (vault / "bad.md").write_text("---\ntitle: [oops\n---\nhttps://youtu.be/fxShort001F\n")
    before = snapshot(vault)
    result = run(env, "sync", "--dry-run", str(vault))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sorted(lines[:3]) == [
        "would fill: a.md — Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, "
        "Spies, Microsoft, & Enlightenment; no analysis: ANTHROPIC_API_KEY is not set",
        "would skip: bad.md — malformed YAML frontmatter (while parsing a flow sequence)",
        "would skip: premiere.md — upcoming premiere: filled after it airs",
    ]
    assert lines[3:] == ["dry run, nothing written: 1 would fill, 2 would skip; no analysis "
                         "would be made (ANTHROPIC_API_KEY is not set)"]
    assert "filled:" not in result.stdout.replace("would fill:", "")
    assert snapshot(vault) == before


def test_with_a_key_the_dry_run_tells_what_the_run_then_does(
        vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    # filled without a key first: the analysis is pending in a.md
    (vault / "a.md").write_text("https://youtu.be/Yf1o0TQzry8\n")
    assert run(env, "sync", str(vault)).returncode == 0
    keyless = run(env, "sync", "--dry-run", str(vault)).stdout.splitlines()
    assert keyless == ["would skip: a.md — analysis pending",
                       "dry run, nothing written: 1 would skip; no analysis would be made "
                       "(ANTHROPIC_API_KEY is not set)"]
    (vault / "b.md").write_text("https://youtu.be/fxShort001F\n")
    (vault / "c.md").write_text("https://youtu.be/abcdefghijk\n")  # nothing cached
    with FakeMessagesAPI() as api:
        keyed = {**env, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": api.base_url}
        before = snapshot(vault)
        dry = run(keyed, "sync", "--dry-run", "--json", str(vault))
        assert dry.returncode == 0, dry.stderr
        assert snapshot(vault) == before and not api.requests
        objects = [json.loads(line) for line in dry.stdout.splitlines()]
        said = {o["note"]: o["status"] for o in objects[:-1]}
        assert said == {"a.md": "would add the analysis", "b.md": "would fill",
                        "c.md": "would fill"}
        by_note = {o["note"]: o for o in objects[:-1]}
        assert "not in the cache" in by_note["c.md"]["detail"]
        assert by_note["c.md"]["estimated_usage"] is None
        summary = objects[-1]
        assert summary["status"] == "dry run" and summary["analyses_estimated"] == 2
        assert summary["analyses_unknown"] == 1
        # the estimate is the transcripts' tokens and the instructions at the model's price
        usages = [by_note[n]["estimated_usage"] for n in ("a.md", "b.md")]
        assert all(u["output_tokens"] == ANSWER_TOKENS and u["input_tokens"] > INSTRUCTION_TOKENS
                   for u in usages)
        expected = sum(estimate("claude-sonnet-5-5", u["input_tokens"], u["output_tokens"]) or 0
                       for u in usages)
        assert summary["estimated_cost_usd"] == round(expected, 4) > 0
        assert "would cost about $" in summary["detail"]
        # the real run: it analyses what the dry run said it would (c.md is not cached: offline
        # it fails, as the dry run could not price it)
        real = run({**keyed, "HTTPS_PROXY": closed_port_url(), "NO_PROXY": "127.0.0.1"},
                   "sync", "--json", str(vault))
    done = {o["note"]: o for o in map(json.loads, real.stdout.splitlines())}
    assert done["a.md"]["status"] == done["b.md"]["status"] == "filled"
    assert done["a.md"]["usage"] and done["b.md"]["usage"]
    assert len(api.message_requests) == 2


def test_nothing_to_do_says_how_many_notes_are_filled(vault: Path, env: dict[str, str]) -> None:
    # no transcript, so no analysis: the note is done even without a key
    (vault / "a.md").write_text("https://youtu.be/fxNoTrans1E\n")
    assert "would fill: a.md" in run(env, "sync", "--dry-run", str(vault)).stdout
    assert run(env, "sync", str(vault)).returncode == 0
    result = run(env, "sync", "--dry-run", str(vault))
    assert (result.returncode, result.stdout) == (0, "nothing to do (1 note already filled)\n")
    as_json = run(env, "sync", "--dry-run", "--json", str(vault))
    assert json.loads(as_json.stdout) == {"status": "nothing to do", "already_filled": 1}
    # -q prints only failures: nothing
    assert run(env, "sync", "--dry-run", "-q", str(vault)).stdout == ""
    (vault / "b.md").write_text(result.stdout)  # not a stub, not counted
    (vault / "c.md").write_text((vault / "a.md").read_text())
    assert run(env, "sync", "--dry-run", str(vault)).stdout == (
        "nothing to do (2 notes already filled)\n")
