"""`ytvault status`: what the ledger and a quick scan say about a vault. No network, no heavy
imports: it must answer at once."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from ytvault.daemon.lock import VaultLock, lock_path

TYPE_CHECKING = False  # no `typing` at run time; SQLite only when there is a ledger to read
if TYPE_CHECKING:
    from ytvault.config.settings import Config
    from ytvault.pipeline.ledger import Entry, Ledger
    from ytvault.vault.scan import Found

LABELS = {
    "filled": "done",
    "pending": "analysis pending",
    "waiting": "waiting for a premiere",
    "transient": "failed, will retry",
    "failed": "failed",
}


def render_status(config: Config, vault: Path) -> str:
    holder = VaultLock(lock_path(config.resolved_state_dir, vault)).holder()
    lines = [f"vault: {vault}",
             f"daemon: running (pid {holder})" if holder else "daemon: not running"]
    waiting, skipped = _stubs_waiting(config, vault)
    lines.append(f"stubs not yet filled: {waiting}")
    if skipped:  # what `sync` passes over until the person mends it
        lines.append(f"stubs skipped: {len(skipped)}")
        lines += [f"  {note} — {reason}" for note, reason in skipped]
    db = config.resolved_state_dir / "ledger.sqlite3"
    ledger = None
    if db.exists():
        from ytvault.pipeline.ledger import Ledger

        ledger = Ledger(db)
    # a note deleted (or renamed outside ytvault) since is no longer pending, failed or done
    entries = [e for e in ledger.entries(vault) if (vault / e.note).is_file()] if ledger else []
    counts = Counter(e.status for e in entries)
    for status, label in LABELS.items():
        lines.append(f"{label}: {counts.get(status, 0)}")
    for entry in entries:
        if entry.status in ("failed", "transient"):
            lines.append(f"  {entry.note} — {entry.reason}{_retry(entry)}")
    if entries:
        last = entries[0]
        lines.append(f"last activity: {_when(last.updated)} ({last.note}: "
                     f"{LABELS.get(last.status, last.status)})")
    else:
        lines.append("last activity: none recorded")
    if ledger is not None:
        lines += _spending(ledger, vault)
    return "\n".join(lines)


def _spending(ledger: Ledger, vault: Path) -> list[str]:
    """What the analyses took: notes, tokens, the estimated cost; the batches still running."""
    from ytvault.cost import PRICES_AS_OF, dollars

    total = ledger.usage_totals(vault)
    batched = f", {total.batched} in Message Batches" if total.batched else ""
    unpriced = (f"; {total.unpriced} by a model without a known price, not counted"
                if total.unpriced else "")
    lines = [
        f"analyses: {total.notes} notes, {total.requests} requests{batched}",
        f"tokens: {total.input_tokens + total.cache_write_tokens + total.cache_read_tokens:,}"
        f" in ({total.cache_read_tokens:,} read from the cache, {total.cache_write_tokens:,} "
        f"written to it), {total.output_tokens:,} out",
        f"estimated cost: {dollars(total.cost_usd)} (list prices of {PRICES_AS_OF}{unpriced})",
    ] if total.notes else ["analyses: none recorded"]
    running = ledger.open_batches(vault)
    if running:
        lines.append(f"message batches running: {', '.join(b[0] for b in running)} "
                     "(`ytvault sync --batch` writes their notes)")
    return lines


def _stubs_waiting(config: Config, vault: Path) -> tuple[int, list[tuple[str, str]]]:
    """The stubs a `sync` would fill, and those it would skip (from the vault root) with why:
    malformed YAML, frontmatter it cannot merge into, a note it cannot read."""
    from ytvault.vault.scan import Found, scan_vault
    from ytvault.vault.seen import Seen
    from ytvault.vault.walk import vault_path

    # The last scan's memory spares opening the notes it found not to be ours (read only:
    # `status` changes nothing).
    seen = Seen.for_vault(config.resolved_state_dir, vault, save=False)
    count = 0
    skipped: list[tuple[str, str]] = []
    for note, read in scan_vault(vault, seen, tidy=False):
        rel = vault_path(vault, Path(note))
        if not isinstance(read, Found):  # an Outcome: the scan skipped it
            skipped.append((rel, read.detail))
        else:
            # only now: a scan that remembers every note never loads note/parse.py (nor YAML)
            why = _why_skipped(read)
            if why:
                skipped.append((rel, why))
            else:
                from ytvault.note.parse import Kind

                count += read.stub.kind is Kind.STUB
    return count, sorted(skipped)


def _why_skipped(found: Found) -> str | None:
    """Why `sync` would skip this stub before any work (pipeline.run.judge's first checks)."""
    if plainly_fine(found.stub.frontmatter):  # most stubs: status need not load ruamel.yaml
        return None
    from ytvault.errors import NoteSkipped
    from ytvault.note.merge import check_mergeable
    from ytvault.note.parse import Kind

    try:
        found.stub.properties  # noqa: B018  (parsing it is the check)
        if found.stub.kind is not Kind.ANALYSIS:
            check_mergeable(found.stub.frontmatter)
    except NoteSkipped as exc:
        return str(exc)
    return None


# A key and a plain value (or none), or a list item under it: the frontmatter templates give
# stubs. A line like these is valid YAML and merges as it is; anything else is parsed.
# (Compiled on first use, by re's cache: a stub without frontmatter needs none.)
_PLAIN_LINE = (
    r"(?:(?P<key>[A-Za-z][\w-]*):|(?P<item> {0,2}-))"  # `key:`, or a list item
    # a value: none of YAML's indicators first, no control characters (a YAML reader refuses
    # them; yamltext's plain-scalar set), nothing after which it would mean something else
    r"(?P<value> (?![-?:,\[\]{}#&*!|>'\"%@`\s])"
    r"(?:(?!: | #)[^\t{}\[\]\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff])*"
    r"(?<![\s:]))?"
)


def plainly_fine(frontmatter: str) -> bool:
    """Whether `frontmatter` is, without parsing it, a mapping the merge takes: every line a
    `key: plain value` (or a list item) whose meaning no YAML reader differs on, no key twice.
    False says nothing: the frontmatter is then parsed."""
    keys: set[str] = set()
    items: str | None = None  # after a `key:` without a value, the list's indent ("" unknown)
    for line in frontmatter.splitlines():
        match = re.fullmatch(_PLAIN_LINE, line)
        if match is None:
            return False
        item, key = match.group("item"), match.group("key")
        if item is not None:
            if items is None or not match.group("value") or items not in ("", item):
                return False  # an item not under a key, empty, or indented unlike the others
            items = item
        elif key in keys:
            return False
        else:
            keys.add(key)
            items = None if match.group("value") else ""
    return True


def _retry(entry: Entry) -> str:
    if entry.status != "transient" or entry.next_attempt is None:
        return ""
    return f" (next try {_when(entry.next_attempt)})"


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
