"""Start-up benchmark, from a regular install: `ytvault --help`, `status`, and `sync` (an empty
vault, a no-op on 200 notes) against a bare start of the same interpreter.

Users run ytvault from a regular (non-editable) `pip install`, so that is what is timed: the
script builds one of this checkout into a temp venv (`pip install .`, ~20 s), or uses the venv
`--venv` names. The baseline is that venv's `python -c pass`: the same interpreter, the same
`site` start-up. Each round runs the baseline and every command once, in turn (interleaved, so
drift in the machine's load hits them alike), `--runs` rounds after warm-up; for each command
the median of its per-round ratios to the baseline is printed beside the medians (ratios hold
on a busy machine; the milliseconds do not). Targets: `--help` and `status` within 2.5x
(goal 2x), a no-op `sync` of 200 notes within 3x. Then `-X importtime` of each command, and
a child process that runs each command and lists which heavy libraries it imported.

    .venv/bin/python bench/startup.py [--runs 40] [--venv DIR]

The vaults (200 notes with 3 stubs for `status`; 200 notes, no stubs, for `sync`; an empty
one), the config, state and cache live in a temp folder, where a user's would be: the config
file in the user config dir ($XDG_CONFIG_HOME, not $YTVAULT_CONFIG), the state in the user
state dir. `status` runs three times: on a vault no sync has scanned (every note is read), with
a ledger of 52 notes (`--config`), and on a vault a sync has scanned before 3 stubs were pasted
(the scan's memory spares reading the other notes: a vault where the daemon runs).
Bytecode is what `pip install` compiled (PYTHONPYCACHEPREFIX is not set, as for a user).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from common import REPO, fmt_ms, isolated_env, machine, median, run_timed, script_parser
from make_vault import FIXTURE_VIDEOS, build_vault, stub_text

TARGETS = {"ytvault --help": 2.5, "ytvault status VAULT": 2.5, "status, with a ledger": 2.5,
           "status, vault seen by sync": 2.5, "sync, no-op (200 notes)": 3.0}
GOAL = 2.0  # for --help and status
# Never imported by --help, status or a no-op sync (tests/test_startup.py checks it too).
HEAVY = ("yt_dlp", "anthropic", "watchdog", "rich", "pydantic", "ruamel")
# Not required to be absent; printed to show what each command pays for.
INFO = ("youtube_transcript_api", "httpx2", "sqlite3", "platformdirs", "dataclasses",
        "inspect", "logging", "typing", "argparse", "tomllib")

CHECK = """
import contextlib, io, json, sys
from ytvault.commands.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def regular_install(folder: Path) -> Path:
    """A venv in `folder` with this checkout installed as users install it (`pip install .`:
    copied into site-packages and byte-compiled, no editable finder). Returns its python."""
    import venv

    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    str(REPO)], check=True, env={**os.environ, "PIP_NO_INPUT": "1"})
    return python


def user_env(tmp: Path) -> dict[str, str]:
    """isolated_env's, set up as a user's: the config file in the user config dir (found, not
    named by $YTVAULT_CONFIG), the state in the user state dir (no `state_dir`)."""
    env = isolated_env(tmp, bytecode=False)
    config = Path(env.pop("YTVAULT_CONFIG"))
    user_config = Path(env["XDG_CONFIG_HOME"]) / "ytvault" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text("# as a person writes it\ndebounce_seconds = 2.0\n", encoding="utf-8")
    old = time.time() - 3600  # written a while ago: ytvault keeps its parsed copy (parsed.py)
    os.utime(user_config, (old, old))
    config.unlink()
    return env


def timings(commands: dict[str, list[str]], env: dict[str, str], runs: int,
            warmup: int = 3) -> dict[str, list[float]]:
    for _ in range(warmup):
        for cmd in commands.values():
            run_timed(cmd, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so drift in machine load hits every command alike
        for name, cmd in commands.items():
            result = run_timed(cmd, env)
            if result.returncode != 0:
                raise SystemExit(f"{name} exited {result.returncode}:\n{result.output}")
            if name.startswith("sync") and result.output.strip():
                raise SystemExit(f"{name} was not a no-op:\n{result.output[:2000]}")
            walls[name].append(result.wall)
    return walls


def worked_config(tmp: Path, vault: Path) -> Path:
    """A config whose state dir holds a ledger, as once ytvault has filled notes of the vault:
    `status` then loads SQLite and reads it (50 notes done, 2 failed, their costs)."""
    from ytvault.cost import Usage
    from ytvault.pipeline.ledger import Ledger

    state = tmp / "worked-state"
    ledger = Ledger(state / "ledger.sqlite3")
    for n in range(50):
        ledger.record(vault, f"done {n}.md", "Yf1o0TQzry8", "filled")
        ledger.record_usage(vault, f"done {n}.md", "Yf1o0TQzry8",
                            Usage(input_tokens=2248, output_tokens=830))
    ledger.record(vault, "private.md", "fxHostile1D", "failed", "the video is private")
    ledger.record(vault, "offline.md", "fxGerman01C", "transient", "network unreachable")
    config = tmp / "worked.toml"
    config.write_text(f'state_dir = "{state}"\n', encoding="utf-8")
    return config


def seen_vault(root: Path, ytvault: str, env: dict[str, str]) -> Path:
    """200 notes a `sync` has already scanned (its memory is in the state dir), then 3 stubs
    pasted since: the vault as `status` finds it where the daemon runs. The sync waits 3.5 s:
    the memory keeps no note changed (ctime) in the 3 s before a scan (seen.py)."""
    build_vault(root, notes=200, stubs=0, large=0, folders=20, seed=2)
    time.sleep(3.5)
    subprocess.run([ytvault, "sync", str(root)], env=env, check=True, capture_output=True)
    rng = random.Random(2)
    videos = sorted(p.name for p in FIXTURE_VIDEOS.iterdir() if p.is_dir())
    for i in range(3):
        (root / f"Pasted {i}.md").write_text(stub_text(rng, videos[i], i), encoding="utf-8")
    return root


def importtime(cmd: Sequence[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, indented module name) of every import `cmd` does."""
    proc = subprocess.run(list(cmd), env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                          capture_output=True, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        head, cum, name = line.split("|")
        own = head.rsplit(":", 1)[1]
        rows.append((int(own), int(cum), name.rstrip()))
    return rows


def direct_children(rows: list[tuple[int, int, str]], parent: str) -> list[tuple[int, str]]:
    """(cumulative µs, name) of the modules `parent` (a top-level row) imported itself."""
    index = next(i for i, r in enumerate(rows) if r[2] == parent)
    kids = []
    for j in range(index - 1, -1, -1):  # importtime prints children before their parent
        name = rows[j][2]
        if not name.startswith("  "):  # the previous top-level import: no longer ours
            break
        if len(name) - len(name.lstrip()) == 3:  # one level down: " " + 2 spaces
            kids.append((rows[j][1], name.strip()))
    return sorted(kids, reverse=True)


def print_importtime(label: str, rows: list[tuple[int, int, str]], top: int) -> None:
    total = sum(own for own, _, _ in rows)
    print(f"\n-X importtime, {label}: {len(rows)} modules, {total / 1000:.1f} ms of imports")
    print("  top-level imports by cumulative time:")
    roots = [r for r in rows if not r[2].startswith("  ")]
    for _, cum, name in sorted(roots, key=lambda r: -r[1])[:top]:
        print(f"    {cum / 1000:7.1f} ms  {name.strip()}")
    print("  what the slowest top-level imports pull in (direct imports, cumulative):")
    for _, cum, name in sorted(roots, key=lambda r: -r[1])[:3]:
        kids = direct_children(rows, name)
        listed = ", ".join(f"{n} {c / 1000:.1f}" for c, n in kids[:6] if c >= 500)
        print(f"    {name.strip()} ({cum / 1000:.1f} ms): {listed or '-'}")
    print("  modules by self time:")
    for own, _, name in sorted(rows, key=lambda r: -r[0])[:top]:
        print(f"    {own / 1000:7.1f} ms  {name.strip()}")


def loaded_modules(python: str, args: Sequence[str], env: dict[str, str]) -> set[str]:
    proc = subprocess.run([python, "-c", CHECK, *args], env=env, capture_output=True,
                          text=True, check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--runs", type=int, default=40, help="timed rounds (40)")
    parser.add_argument("--top", type=int, default=8, help="import offenders to list (8)")
    parser.add_argument("--venv", type=Path,
                        help="a venv with ytvault installed in it, used as it is (default: "
                             "build a regular install of this checkout in a temp venv)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ytvault-startup-") as tmp_name:
        tmp = Path(tmp_name)
        os.chdir(tmp)  # `python -c` puts the working folder first on sys.path: not the checkout
        if args.venv is not None:
            python = str(args.venv.absolute() / "bin" / "python")
            how = f"the venv {args.venv}"
        else:
            print("building a regular install (pip install .) in a temp venv …", flush=True)
            python = str(regular_install(tmp / "venv"))
            how = "a regular install of this checkout in a temp venv"
        ytvault = str(Path(python).parent / "ytvault")
        where = subprocess.run([python, "-c", "import ytvault; print(ytvault.__file__)"],
                               capture_output=True, text=True, check=True).stdout.strip()
        vault, noop, empty = tmp / "vault", tmp / "noop-vault", tmp / "empty-vault"
        build_vault(vault, notes=200, stubs=3, large=0, folders=20)
        build_vault(noop, notes=200, stubs=0, large=0, folders=20, seed=1)
        (empty / ".obsidian").mkdir(parents=True)
        env = user_env(tmp)
        worked = worked_config(tmp, vault)
        seen = seen_vault(tmp / "seen-vault", str(Path(python).parent / "ytvault"), env)
        commands = {
            "python -c pass": [python, "-c", "pass"],
            # floors: what `--help` imports before anything of its own (pip's launcher imports
            # re; argparse), and the standard library `status` and `sync` need (pathlib for
            # every path, json for Obsidian's app.json, zlib for the state files' names, fcntl
            # for the vault lock)
            "import re, argparse, pathlib": [python, "-c", "import re, argparse, pathlib"],
            "import re, pathlib, json, zlib, fcntl": [
                python, "-c", "import re, pathlib, json, zlib, fcntl"],
            "ytvault --help": [ytvault, "--help"],
            "ytvault status VAULT": [ytvault, "status", str(vault)],
            "status, with a ledger": [ytvault, "--config", str(worked), "status", str(vault)],
            "status, vault seen by sync": [ytvault, "status", str(seen)],
            "sync, empty vault": [ytvault, "sync", str(empty)],
            "sync, no-op (200 notes)": [ytvault, "sync", str(noop)],
        }
        print(f"machine: {machine()}")
        print(f"ytvault: {how} ({where}); {args.runs} interleaved rounds after 3 warm-up "
              "rounds; vaults: 200 notes with 3 stubs (status), 200 without (sync)\n")
        walls = timings(commands, env, args.runs)
        base = walls["python -c pass"]
        print(f"{'command':<38} {'median':>10} {'min':>10} {'ratio':>7}  "
              "(median of the per-round ratios)")
        for name, values in walls.items():
            ratio = median([v / b for v, b in zip(values, base, strict=True)])
            target = TARGETS.get(name)
            verdict = "" if target is None else (
                f"  ok (<= {target}x)" if ratio <= target else f"  MISSED (> {target}x)")
            if target == 2.5 and ratio <= GOAL:
                verdict += f", goal {GOAL}x met"
            print(f"{name:<38} {fmt_ms(median(values))} {fmt_ms(min(values))} {ratio:6.2f}x"
                  + verdict)

        for label, cmd in (("ytvault --help", [ytvault, "--help"]),
                           ("ytvault status VAULT", [ytvault, "status", str(vault)]),
                           ("ytvault sync (no-op)", [ytvault, "sync", str(noop)])):
            print_importtime(label, importtime(cmd, env), args.top)

        print("\nheavy libraries in sys.modules after running each command in one process:")
        for label, cli_args in (("--help", ["--help"]), ("status", ["status", str(vault)]),
                                ("sync", ["sync", str(noop)])):
            mods = loaded_modules(python, cli_args, env)
            heavy = [n for n in HEAVY if n in mods]
            extra = [n for n in INFO if n in mods]
            print(f"  {label:<7} heavy: " + (f"LOADED {', '.join(heavy)} (should not be)"
                                             if heavy else f"none of {', '.join(HEAVY)} (ok)")
                  + f"; also: {', '.join(extra) or 'none'}; {len(mods)} modules in all")


if __name__ == "__main__":
    main()
