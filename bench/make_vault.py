"""Generate a realistic, deterministic Obsidian vault for the benchmarks.

Most notes are a few KB of Markdown prose with frontmatter, in a few hundred nested folders
(depth up to 4); a few are large (1-5 MB); some mention YouTube links inside their prose (not
stubs); some are finished ytvault notes shaped like tests/fixtures/seed-note.md. There is a
`.obsidian/` folder with app.json, a `.trash/`, and jpg attachments. `--stubs K` adds K stub
notes (bare URLs of the fixture videos in tests/fixtures/cache/videos).

    python bench/make_vault.py /tmp/vault --notes 20000 [--stubs 10] [--seed 0]

The same arguments give the same bytes. A marker file (`.ytvault-bench.json`) records them, so
the other benchmarks reuse a vault generated earlier instead of writing it again.
"""

from __future__ import annotations

import json
import random
import shutil
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import script_parser

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SEED_NOTE = FIXTURES / "seed-note.md"
FIXTURE_VIDEOS = FIXTURES / "cache" / "videos"
MARKER = ".ytvault-bench.json"
FORMAT_VERSION = 1  # bump when the generator's output changes, so cached vaults are rebuilt
ATTACHMENTS = "Attachments"

_WORDS = """
the of and to in a is that for it as was with be by on not he this are or his from at which
but have an they you were her she there been one all we their has would when if so no will
more can out up into do any your what some time could them other than then now only its also
after use two how our work first well way even new want because these give day most us
garden soil compost seed water light root leaf season harvest plan note idea project meeting
review draft chapter book paper author argument evidence model system design test result data
memory habit practice focus attention energy sleep walk morning evening week month year goal
question answer problem solution pattern structure process change growth learning teaching
history context example detail summary outline reference source quote insight principle
language writing reading thinking feeling decision trade risk cost value price market team
"""
_TOPICS = """
Gardening Research Reading Projects Meetings Journal Ideas Recipes Travel Health Finance
Learning Writing Code Music Philosophy History Science Archive People Places Books Courses
Work Home Fitness Language Design Photography Podcasts Talks
"""
WORDS = _WORDS.split()
TOPICS = _TOPICS.split()
TAGS = ["inbox", "idea", "reading", "project", "meeting", "review", "todo", "draft", "ref",
        "evergreen", "people", "log", "journal/daily", "area/health", "area/work"]
UNICODE_NAMES = ["Café Notes", "Übungen", "日本語メモ", "Ideas ✨", "Niño y Niña", "Réunions"]


def make_sentences(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = rng.choices(WORDS, k=rng.randint(7, 22))
        text = " ".join(words)
        out.append(text[0].upper() + text[1:] + rng.choice(".....?!"))
    return out


@dataclass
class Writer:
    root: Path
    rng: random.Random
    sentences: list[str]
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def paragraph(self) -> str:
        return " ".join(self.rng.choices(self.sentences, k=self.rng.randint(2, 6)))

    def frontmatter(self, title: str) -> str:
        rng = self.rng
        day = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        tags = "".join(f"\n  - {t}" for t in rng.sample(TAGS, rng.randint(0, 3))) or " []"
        lines = [f"tags:{tags}", f"created: {day}", f"updated: {day}T{rng.randint(0, 23):02d}:00"]
        if rng.random() < 0.3:
            lines.append(f"aliases:\n  - {title.lower()}")
        if rng.random() < 0.2:
            lines.append(f"status: {rng.choice(['active', 'done', 'someday'])}")
        return "---\n" + "\n".join(lines) + "\n---\n"

    def prose(self, target: int, title: str, youtube: bool) -> str:
        """Markdown of about `target` characters; with `youtube`, links inside the prose."""
        rng = self.rng
        parts = [f"# {title}\n"]
        size = len(parts[0])
        links_left = rng.randint(1, 3) if youtube else 0
        while size < target:
            roll = rng.random()
            if roll < 0.12:
                block = f"## {rng.choice(self.sentences)[:-1].title()}\n"
            elif roll < 0.25:
                block = "".join(f"- {rng.choice(self.sentences)}\n"
                                for _ in range(rng.randint(2, 6)))
            elif roll < 0.30:
                block = "".join(f"- [{rng.choice(' x')}] {rng.choice(self.sentences)}\n"
                                for _ in range(rng.randint(2, 5)))
            elif roll < 0.33:
                block = "```python\n" + "".join(f"x{i} = {rng.randint(0, 99)}\n"
                                                for i in range(rng.randint(2, 8))) + "```\n"
            elif roll < 0.36:
                block = "> [!note]\n> " + rng.choice(self.sentences) + "\n"
            elif roll < 0.40:
                block = "| a | b |\n|---|---|\n" + "".join(
                    f"| {rng.randint(0, 999)} | {rng.choice(WORDS)} |\n" for _ in range(4))
            else:
                block = self.paragraph()
                if rng.random() < 0.3:
                    block += f" See [[{rng.choice(TOPICS)} {rng.randint(1, 400)}]]."
                if rng.random() < 0.1:
                    block += f" #{rng.choice(TAGS)}"
                block += "\n"
            if links_left and rng.random() < 0.4:
                block = self.youtube_mention() + "\n" + block
                links_left -= 1
            parts.append(block)
            size += len(block) + 1
        if links_left:
            parts.append(self.youtube_mention() + "\n")
        return "\n".join(parts)

    def youtube_mention(self) -> str:
        rng = self.rng
        vid = random_id(rng)
        return rng.choice([
            f"I liked the talk at https://www.youtube.com/watch?v={vid}, "
            f"{rng.choice(self.sentences)}",
            f"- [{rng.choice(self.sentences)[:30]}](https://youtu.be/{vid}) was recommended to me",
            f"{self.paragraph()} (see https://youtu.be/{vid}?t={rng.randint(1, 900)})",
            f"Watch later: <https://www.youtube.com/watch?v={vid}&list=PL{random_id(rng)}> and "
            f"https://m.youtube.com/shorts/{random_id(rng)} — both about {rng.choice(WORDS)}.",
        ])

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8", newline="")
        else:
            path.write_bytes(text)


def random_id(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=11))


def make_folders(rng: random.Random, target: int) -> list[str]:
    """About `target` vault-relative folders, depth 1 to 4 ("" is the root)."""
    folders = ["", *TOPICS, *UNICODE_NAMES[:3]]
    level = list(folders[1:])
    depth = 1
    while len(folders) < target and depth < 4:
        nxt = []
        for parent in level:
            for i in range(rng.randint(0, 5 if depth < 3 else 3)):
                if len(folders) >= target:
                    break
                name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
                if rng.random() < 0.05:
                    name = rng.choice(UNICODE_NAMES[3:]) + f" {i}"
                child = f"{parent}/{name}"
                folders.append(child)
                nxt.append(child)
        level, depth = nxt or level, depth + 1
    daily = [f"Journal/Daily/{y}/{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    return folders + daily


def seed_note_text(rng: random.Random, seed_text: str, number: int) -> str:
    vid = random_id(rng)
    title = f"Talk {number}: {rng.choice(WORDS).title()} and {rng.choice(WORDS)}"
    text = seed_text.replace("Yf1o0TQzry8", vid)
    old_title = "Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, Spies, " \
                "Microsoft, & Enlightenment"
    text = text.replace(old_title, title)
    return text.replace("1711477562504", str(1711477562504 + number))


def stub_text(rng: random.Random, vid: str, i: int) -> str:
    url = rng.choice([
        f"https://youtu.be/{vid}",
        f"https://www.youtube.com/watch?v={vid}&t=42s",
        f"<https://www.youtube.com/watch?v={vid}>",
        f"[a talk](https://m.youtube.com/watch?v={vid})",
    ])
    if i % 3 == 0:
        return f"---\ntags:\n  - inbox\n---\n{url}\n"
    return url + "\n"


def fake_jpeg(rng: random.Random, size: int) -> bytes:
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + rng.randbytes(max(0, size - len(header) - 2)) + b"\xff\xd9"


def build_vault(root: Path, notes: int = 20_000, seed: int = 0, stubs: int = 0,
                large: int = 6, folders: int = 300) -> dict[str, int]:
    """Write the vault into `root` (which must not exist or be empty); returns counts."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    w = Writer(root, rng, make_sentences(rng, 3000))
    tree = make_folders(rng, folders)
    w.count("folders", len(tree) - 1)
    seed_text = SEED_NOTE.read_text(encoding="utf-8")

    # .obsidian: the settings ytvault reads, and the clutter a real one has.
    w.write(".obsidian/app.json", json.dumps({
        "attachmentFolderPath": ATTACHMENTS, "alwaysUpdateLinks": True,
        "userIgnoreFilters": ["Archive/Old/", "/\\.excalidraw\\.md$/"],
        "newFileLocation": "root", "promptDelete": False}, indent=2))
    w.write(".obsidian/appearance.json", '{"theme": "obsidian", "baseFontSize": 16}')
    w.write(".obsidian/core-plugins.json", json.dumps(["file-explorer", "search", "backlink"]))
    w.write(".obsidian/workspace.json", json.dumps(
        {"main": {"id": "x", "type": "split", "children": []},
         "lastOpenFiles": [f"{t}/note.md" for t in TOPICS]}, indent=2))
    for plugin in ("dataview", "templater-obsidian", "calendar"):
        w.write(f".obsidian/plugins/{plugin}/manifest.json", json.dumps({"id": plugin}))
        w.write(f".obsidian/plugins/{plugin}/main.js", "/* bundled */\n" + "x;" * 20_000)
    w.write(".obsidian/themes/Minimal/theme.css", "body{}\n" * 2000)
    for i in range(40):
        w.write(f".trash/Deleted note {i}.md", w.frontmatter(f"Deleted {i}") + w.paragraph())

    names_used: set[str] = set()
    large_at = set(rng.sample(range(notes), min(large, notes)))
    for i in range(notes):
        roll = rng.random()
        folder = rng.choice(tree) if roll < 0.9 else ""
        if folder.startswith("Journal/Daily/"):
            title = f"{folder[-7:-3]}-{folder[-2:]}-{rng.randint(1, 28):02d}"
        else:
            title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        rel = f"{folder}/{title}.md".lstrip("/")
        if rel in names_used:
            rel = rel[:-3] + f" {i}.md"
        names_used.add(rel)
        if i in large_at:
            chunk = w.prose(64_000, title, youtube=True)
            size = rng.randint(1_000_000, 5_000_000)
            w.write(rel, w.frontmatter(title) + chunk * (size // len(chunk) + 1))
            w.count("large notes (1-5 MB)")
        elif rng.random() < 0.01:
            w.write(rel, seed_note_text(rng, seed_text, i))
            w.count("finished ytvault notes")
        else:
            youtube = rng.random() < 0.05
            body = w.prose(int(rng.lognormvariate(7.8, 0.6)), title, youtube)
            head = w.frontmatter(title) if rng.random() < 0.8 else ""
            w.write(rel, head + body)
            w.count("notes with YouTube links in prose" if youtube else "prose notes")
        if rng.random() < 0.05:  # an image pasted next to the note
            w.write(f"{folder}/Pasted image {i}.jpg".lstrip("/"),
                    fake_jpeg(rng, rng.randint(3_000, 60_000)))
            w.count("attachments (jpg)")
    for i in range(max(1, notes // 20)):
        w.write(f"{ATTACHMENTS}/{1700000000000 + i * 7919}.jpg",
                fake_jpeg(rng, rng.randint(3_000, 60_000)))
        w.count("attachments (jpg)")

    videos = sorted(p.name for p in FIXTURE_VIDEOS.iterdir() if p.is_dir())
    for i in range(stubs):
        folder = rng.choice(tree)
        text = stub_text(rng, videos[i % len(videos)], i)
        w.write(f"{folder}/Video {i:04d}.md".lstrip("/"), text)
        w.count("stubs")
    return w.stats


def ensure_vault(root: Path, notes: int = 20_000, seed: int = 0, stubs: int = 0,
                 quiet: bool = False) -> Path:
    """Reuse the vault at `root` if it was generated with these arguments; else (re)build it."""
    params = {"version": FORMAT_VERSION, "notes": notes, "seed": seed, "stubs": stubs}
    marker = root / MARKER
    if marker.exists():
        try:
            if json.loads(marker.read_text()) == params:
                return root
        except ValueError:
            pass
    if root.exists():
        if not marker.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} exists and was not made by make_vault.py: "
                             "choose another path or remove it")
        shutil.rmtree(root)
    started = time.perf_counter()
    if not quiet:
        print(f"generating {notes} notes (+{stubs} stubs) in {root} …", file=sys.stderr, flush=True)
    stats = build_vault(root, notes=notes, seed=seed, stubs=stubs)
    marker.write_text(json.dumps(params))
    if not quiet:
        print(f"generated in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{v} {k}" for k, v in stats.items()), file=sys.stderr, flush=True)
    return root


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("vault", type=Path, help="folder to create (must not exist, or be empty)")
    parser.add_argument("--notes", type=int, default=20_000, help="number of notes (20000)")
    parser.add_argument("--stubs", type=int, default=0, help="stub notes to add (0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even when the marker says it is up to date")
    args = parser.parse_args()
    if args.force and (args.vault / MARKER).exists():
        shutil.rmtree(args.vault)
    ensure_vault(args.vault, notes=args.notes, seed=args.seed, stubs=args.stubs)
    md = sum(1 for _ in args.vault.rglob("*.md"))
    total = sum(p.stat().st_size for p in args.vault.rglob("*") if p.is_file())
    print(f"{args.vault}: {md} *.md files (incl. .trash), {total / 1e6:.0f} MB in all")


if __name__ == "__main__":
    main()
