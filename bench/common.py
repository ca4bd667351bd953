"""Helpers shared by the benchmark scripts: an isolated environment for `ytvault` subprocesses,
timed runs with the child's CPU time, /proc readings, and medians.

Not a benchmark itself; `python bench/<name>.py --help` for those.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
PYTHON = sys.executable
_YTVAULT = Path(PYTHON).parent / "ytvault"
YTVAULT = str(_YTVAULT) if _YTVAULT.exists() else (shutil.which("ytvault") or "ytvault")
CLK_TCK = os.sysconf("SC_CLK_TCK")
DEFAULT_VAULT = Path(tempfile.gettempdir()) / "ytvault-bench" / "vault-20000"


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return (f"{os.cpu_count()} cores {model}".strip() + f", {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def isolated_env(tmp: Path, config: str = "", api_key: str | None = None,
                 base_url: str | None = None, bytecode: bool = True) -> dict[str, str]:
    """Environment for `ytvault` subprocesses: a config whose state_dir is in `tmp`, a writable
    copy of the fixture cache, HOME and XDG dirs in `tmp`, and no inherited ANTHROPIC_/YTVAULT_
    variables. Nothing of the person running the benchmark is read or written.

    With `bytecode`, compiled modules are written to and read from `tmp/pycache`
    (PYTHONPYCACHEPREFIX), as after a `pip install`, even where PYTHONDONTWRITEBYTECODE is set
    and the editable checkout has no __pycache__; the first (warm-up) run fills it."""
    cache = tmp / "cache"
    if not cache.exists():
        shutil.copytree(FIXTURES / "cache", cache)
        for path in cache.rglob("*"):  # the fixtures may be read-only; the cache must not be
            path.chmod(0o755 if path.is_dir() else 0o644)
    config_file = tmp / "config.toml"
    config_file.write_text(f'state_dir = "{tmp / "state"}"\n{config}', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "YTVAULT_"))}
    env.update(YTVAULT_CONFIG=str(config_file), YTVAULT_CACHE_DIR=str(cache), HOME=str(tmp),
               XDG_STATE_HOME=str(tmp / "xdg-state"), XDG_CACHE_HOME=str(tmp / "xdg-cache"),
               XDG_CONFIG_HOME=str(tmp / "xdg-config"))
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    if api_key:
        env["ANTHROPIC_API_KEY"] = api_key
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return env


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    returncode: int
    output: str  # stdout + stderr


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run `cmd` to completion; wall time from fork to reap, CPU time from wait4's rusage."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode, text)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


# --- /proc readings (Linux) -----------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    # after the ")" field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM…), 0 when absent."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in descendants(pid):
        with contextlib.suppress(OSError):  # it exited between the listing and the read
            total += cpu_seconds(p)
    return total


def tree_rss_mb(pid: int, key: str = "VmRSS") -> float:
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            total += status_kb(p, key)
    return total / 1024


def script_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring's first line as the description, the rest
    as the epilog that `--help` prints."""
    lines = (doc or "").splitlines()
    return argparse.ArgumentParser(description=lines[0] if lines else None,
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog="\n".join(lines[2:]))


def add_vault_options(parser: argparse.ArgumentParser) -> None:
    """--vault and --notes: the generated 20,000-note vault that scan.py and daemon.py share."""
    parser.add_argument("--vault", type=Path, default=DEFAULT_VAULT,
                        help=f"the generated vault (default {DEFAULT_VAULT}; made if missing)")
    parser.add_argument("--notes", type=int, default=20_000, help="notes in the vault (20000)")


def add_backfill_options(parser: argparse.ArgumentParser) -> None:
    """--stubs, --concurrency and --delay: the backfill that backfill.py and batch.py time."""
    parser.add_argument("--stubs", type=int, default=64, help="stub notes to fill (64)")
    parser.add_argument("--concurrency", type=int, default=8, help="`concurrency` (8)")
    parser.add_argument("--delay", type=float, default=1.0,
                        help="seconds the API takes to answer a live call (1.0)")
