"""Start-up benchmark: `ytvault --help` and `ytvault status VAULT` against a bare `python -c pass`.

Every command runs `--runs` times (interleaved, after warm-up runs), and the medians and their
ratio to the baseline are printed (target: within 3x of `python -c pass`). Then
`-X importtime` shows the top import offenders, and a child process checks that the heavy
libraries (yt_dlp, anthropic, watchdog, rich) are not in sys.modules after importing
ytvault.commands.cli and running `--help`.

    /work/venv/bin/python bench/startup.py [--runs 10]

The small vault (200 notes, 3 stubs) and the config, state and cache live in a temp folder;
`status` runs twice: on a state dir with no ledger yet, and on one with a ledger (52 notes).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from common import PYTHON, YTVAULT, fmt_ms, isolated_env, machine, median, run_timed, script_parser
from make_vault import build_vault

TARGET_RATIO = 3.0
HEAVY = ("yt_dlp", "anthropic", "watchdog", "rich")
# Not required to be absent; printed to show what each command pays for.
INFO = ("youtube_transcript_api", "httpx2", "pydantic", "ruamel.yaml", "sqlite3", "platformdirs")

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


def timings(commands: dict[str, list[str]], env: dict[str, str], runs: int,
            warmup: int = 2) -> dict[str, list[float]]:
    for _ in range(warmup):
        for cmd in commands.values():
            run_timed(cmd, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so drift in machine load hits every command alike
        for name, cmd in commands.items():
            result = run_timed(cmd, env)
            if result.returncode != 0:
                raise SystemExit(f"{name} exited {result.returncode}:\n{result.output}")
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


def loaded_modules(args: Sequence[str], env: dict[str, str]) -> set[str]:
    proc = subprocess.run([PYTHON, "-c", CHECK, *args], env=env, capture_output=True,
                          text=True, check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = script_parser(__doc__)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (10)")
    parser.add_argument("--top", type=int, default=8, help="import offenders to list (8)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep the inherited PYTHONDONTWRITEBYTECODE: with an editable "
                             "checkout that has no __pycache__, every run compiles ytvault")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ytvault-startup-") as tmp_name:
        tmp = Path(tmp_name)
        vault = tmp / "vault"
        build_vault(vault, notes=200, stubs=3, large=0, folders=20)
        env = isolated_env(tmp, bytecode=not args.no_bytecode)
        worked = worked_config(tmp, vault)
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "ytvault --help": [YTVAULT, "--help"],
            "ytvault status VAULT": [YTVAULT, "status", str(vault)],
            "status, with a ledger": [YTVAULT, "--config", str(worked), "status", str(vault)],
        }
        print(f"machine: {machine()}")
        print(f"ytvault: {YTVAULT}; small vault: 200 notes, 3 stubs; "
              f"{args.runs} runs each after 2 warm-up runs\n")
        walls = timings(commands, env, args.runs)
        base = median(walls["python -c pass"])
        print(f"{'command':<24} {'median':>10} {'min':>10} {'ratio':>7}  target <= {TARGET_RATIO}x")
        for name, values in walls.items():
            ratio = median(values) / base
            verdict = "" if name.startswith("python") else (
                "  ok" if ratio <= TARGET_RATIO else f"  MISSED by {ratio / TARGET_RATIO:.1f}x")
            print(f"{name:<24} {fmt_ms(median(values))} {fmt_ms(min(values))} {ratio:6.1f}x"
                  + verdict)

        print_importtime("ytvault --help", importtime([YTVAULT, "--help"], env), args.top)
        print_importtime("ytvault status VAULT",
                         importtime([YTVAULT, "status", str(vault)], env), args.top)

        print("\nheavy libraries in sys.modules after importing ytvault.commands.cli:")
        for label, cli_args in (("--help", ["--help"]), ("status", ["status", str(vault)])):
            mods = loaded_modules(cli_args, env)
            for name in HEAVY:
                state = "LOADED (should not be)" if name in mods else "not loaded (ok)"
                print(f"  {label:<7} {name:<24} {state}")
            extra = [n for n in INFO if n in mods]
            print(f"  {label:<7} also loaded (for information): {', '.join(extra) or 'none'}; "
                  f"{len(mods)} modules in all")
        if "PYTHONPYCACHEPREFIX" in env:
            print("\nbytecode: cached in the temp folder (PYTHONPYCACHEPREFIX), as installed")
        else:
            print("\nbytecode: as inherited, PYTHONDONTWRITEBYTECODE="
                  + env.get("PYTHONDONTWRITEBYTECODE", "(unset)"))


if __name__ == "__main__":
    main()
