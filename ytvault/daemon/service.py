"""The login service: what starts `ytvault watch` when the person logs in (a systemd user unit,
a launchd LaunchAgent, a Windows Run entry). `run` is its only way to touch the service managers.
"""

from __future__ import annotations

import logging
import os
import plistlib
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ytvault.errors import ConfigError, YtvaultError
from ytvault.records import NamedTuple

PLATFORMS = ("linux", "macos", "windows")
UNIT = "ytvault.service"
LABEL = "io.github.ytvault"
RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "ytvault"
RESTART_SEC = 10
# `watch`'s exits that a restart cannot mend (cli.py): another watcher holds the vault (1), the
# configuration is wrong (2). A crash exits EXIT_CRASH, and is restarted.
NO_RESTART = (1, 2)
HIDDEN = "<set, not shown>"
# Besides the API key: what the service needs to see what `ytvault sync` sees in this shell.
PASSED = ("ANTHROPIC_BASE_URL", "YTVAULT_CONFIG", "YTVAULT_CACHE_DIR", "HTTPS_PROXY",
          "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
          "no_proxy", "SSL_CERT_FILE")
# Shown by --dry-run; every other value is hidden (proxy URLs can hold passwords).
SHOWN = frozenset({"ANTHROPIC_BASE_URL", "YTVAULT_CONFIG", "YTVAULT_CACHE_DIR"})
PATHS = frozenset({"YTVAULT_CONFIG", "YTVAULT_CACHE_DIR", "SSL_CERT_FILE"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./~-]*")

Runner = Callable[..., subprocess.CompletedProcess[str]]


class ServiceFile(NamedTuple):
    path: Path
    content: bytes
    mode: int
    shown: str  # what --dry-run prints: the content with secret values hidden


class Step(NamedTuple):
    """A command, with fallbacks tried in order until one succeeds.

    kind "try": a failure is fine; "probe": a failure means no service manager answers here,
    so the rest is left for the person to run; "must": a failure is an error.
    """

    alternatives: tuple[tuple[str, ...], ...]
    kind: Literal["try", "probe", "must"]


@dataclass(frozen=True)
class ServicePlan:
    platform: str
    interpreter: Path
    command: tuple[str, ...]  # what runs at login
    files: tuple[ServiceFile, ...]  # the entry file first (none on Windows), the env file last
    install: tuple[Step, ...]
    uninstall: tuple[Step, ...]  # before the files are removed
    after_uninstall: tuple[Step, ...]
    status: tuple[str, ...]
    done: str  # the last line of a successful install
    logs: str
    notes: tuple[str, ...] = ()
    folders: tuple[Path, ...] = ()  # made by install, kept by uninstall (they hold logs)

    @property
    def env_file(self) -> Path:
        return self.files[-1].path


def host_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    raise ConfigError(f"no login service for {sys.platform}: start `ytvault watch` from your "
                      "own init system")


def render(platform: str, vault: Path | None, *, home: Path, env: Mapping[str, str],
           key_env: str = "ANTHROPIC_API_KEY", python: str | None = None) -> ServicePlan:
    """Everything an install writes and runs; reads nothing but the cwd and, on macOS, where
    the interpreter's symlinks lead (for the Full Disk Access note).

    `vault` None leaves it to the config (enough for uninstall and status).
    """
    if platform not in PLATFORMS:
        raise ConfigError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    python = python or sys.executable
    if not python:
        raise ConfigError("cannot tell which Python runs ytvault: run `python -m ytvault "
                          "service install` with the interpreter ytvault is installed in")
    # Not resolved: a venv's python is a symlink, and only the link finds the venv's packages.
    interpreter = Path(python)
    target = [str(_absolute(str(vault), home))] if vault is not None else []
    variables = _variables(env, key_env, home)
    notes = [] if key_env in dict(variables) else [
        f"{key_env} is not set: the service fills properties and thumbnails only; export it "
        "and run `ytvault service install` again to add the analysis"]
    render_for = {"linux": _linux, "macos": _macos, "windows": _windows}[platform]
    return render_for(interpreter, target, home, env, variables, notes)


def _linux(interpreter: Path, target: list[str], home: Path, env: Mapping[str, str],
           variables: list[tuple[str, str]], notes: list[str]) -> ServicePlan:
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    env_file = _env_file(config / "ytvault" / "service.env", variables)
    command = (str(interpreter), "-m", "ytvault", "watch", *target)
    unit = (
        "# Written by `ytvault service install`; remove with `ytvault service uninstall`.\n"
        "[Unit]\n"
        "Description=ytvault: turn YouTube URLs pasted into Obsidian notes into full notes\n"
        "\n[Service]\n"
        f"ExecStart={' '.join(_systemd_quote(arg) for arg in command)}\n"
        # The key lives in the env file (mode 0600): a unit is readable by anyone who can ask
        # the user manager, and `systemctl show` prints Environment= lines.
        f"EnvironmentFile={_systemd_escape(str(env_file.path))}\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        "Restart=on-failure\n"
        f"RestartSec={RESTART_SEC}\n"
        # 1: another watcher holds the vault; 2: a configuration error. A restart mends neither
        # (a crash exits 70: restarted).
        f"RestartPreventExitStatus={' '.join(map(str, NO_RESTART))}\n"
        "\n[Install]\n"
        "WantedBy=default.target\n"
    )
    unit_path = config / "systemd" / "user" / UNIT
    # the watcher's own log (config.resolved_log_dir: platformdirs' user_log_dir on Linux)
    log_file = Path(env.get("XDG_STATE_HOME") or home / ".local/state") / "ytvault/log/ytvault.log"
    ctl = ("systemctl", "--user")
    return ServicePlan(
        platform="linux", interpreter=interpreter, command=command,
        files=(ServiceFile(unit_path, unit.encode(), 0o644, unit), env_file),
        # `restart`, not `enable --now`: a reinstall (new key, new vault) must take effect.
        install=(Step(((*ctl, "daemon-reload"),), "probe"),
                 Step(((*ctl, "enable", UNIT),), "must"),
                 Step(((*ctl, "restart", UNIT),), "must")),
        uninstall=(Step(((*ctl, "disable", "--now", UNIT),), "try"),),
        after_uninstall=(Step(((*ctl, "daemon-reload"),), "try"),),
        status=(*ctl, "is-active", UNIT),
        done="ytvault watch runs now and at every login: check it with `ytvault service status`",
        logs=f"tail -f {shlex.quote(str(log_file))} (warnings and crashes: journalctl --user "
             f"-u {UNIT})",
        notes=tuple(notes))


def _macos(interpreter: Path, target: list[str], home: Path, env: Mapping[str, str],
           variables: list[tuple[str, str]], notes: list[str]) -> ServicePlan:
    # The macOS folders platformdirs would give, built from `home` so tests can render them.
    env_file = _env_file(home / "Library/Application Support/ytvault/service.env", variables)
    logs = home / "Library/Logs/ytvault"  # the watcher's own log is ytvault.log in there
    # A plist cannot point at a file of variables, so the watcher loads it itself.
    command = (str(interpreter), "-m", "ytvault", "watch", "--env-file", str(env_file.path),
               "--launchd", *target)
    plist = plistlib.dumps({
        "Label": LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        # Restart after a crash, not after a clean stop. launchd cannot be told which exit
        # codes to leave alone (systemd's RestartPreventExitStatus), so `--launchd` makes the
        # watcher exit 0 where a restart cannot help (NO_RESTART).
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": RESTART_SEC,
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        # What the agent prints, crashes before logging starts included.
        "StandardOutPath": str(logs / "service.log"),
        "StandardErrorPath": str(logs / "service.log"),
    })
    plist_path = home / "Library/LaunchAgents" / f"{LABEL}.plist"
    uid = os.getuid() if hasattr(os, "getuid") else 501
    domain = f"gui/{uid}"
    real = os.path.realpath(interpreter)
    notes.append("for a vault in ~/Documents, ~/Desktop or iCloud Drive, give Full Disk Access to "
                 f"{real} (System Settings → Privacy & Security → Full Disk Access → +)")
    return ServicePlan(
        platform="macos", interpreter=interpreter, command=command,
        files=(ServiceFile(plist_path, plist, 0o644, plist.decode()), env_file),
        install=(Step((("launchctl", "bootout", f"{domain}/{LABEL}"),), "try"),
                 Step((("launchctl", "bootstrap", domain, str(plist_path)),
                       ("launchctl", "load", "-w", str(plist_path))), "must")),
        uninstall=(Step((("launchctl", "bootout", f"{domain}/{LABEL}"),
                         ("launchctl", "unload", "-w", str(plist_path))), "try"),),
        after_uninstall=(),
        status=("launchctl", "print", f"{domain}/{LABEL}"),
        done="ytvault watch runs now and at every login: check it with `ytvault service status`",
        logs=f"tail -f {shlex.quote(str(logs / 'ytvault.log'))} (crashes: service.log)",
        notes=tuple(notes),
        folders=(logs,))


def _windows(interpreter: Path, target: list[str], home: Path, env: Mapping[str, str],
             variables: list[tuple[str, str]], notes: list[str]) -> ServicePlan:
    local = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    env_file = _env_file(local / "ytvault" / "service.env", variables)
    # pythonw.exe: the same interpreter without a console window at every login.
    pythonw = interpreter.with_name("pythonw.exe")
    command = (str(pythonw), "-m", "ytvault", "watch", "--env-file", str(env_file.path), *target)
    line = subprocess.list2cmdline(command)
    user = env.get("USERNAME", "")
    notes.extend([f"the login entry {RUN_KEY}\\{RUN_VALUE} runs: {line}",
                  f"it starts at your next sign-in; to start it now, run: {line}"])
    # icacls: the POSIX 0600 of the env file, on Windows (only the person may read it).
    acl = (Step((("icacls", str(env_file.path), "/inheritance:r", "/grant:r", f"{user}:F"),),
                "try"),) if user else ()
    return ServicePlan(
        platform="windows", interpreter=pythonw, command=command, files=(env_file,),
        install=(*acl, Step((("reg", "add", RUN_KEY, "/v", RUN_VALUE, "/t", "REG_SZ", "/d", line,
                              "/f"),), "must")),
        uninstall=(Step((("reg", "delete", RUN_KEY, "/v", RUN_VALUE, "/f"),), "try"),),
        after_uninstall=(),
        status=("reg", "query", RUN_KEY, "/v", RUN_VALUE),
        done="ytvault watch is registered to start at every sign-in: check it with "
             "`ytvault service status`",
        logs=str(local / "ytvault" / "Logs" / "ytvault.log"), notes=tuple(notes))


def install(plan: ServicePlan, *, dry_run: bool = False,
            run: Runner = subprocess.run) -> list[str]:
    """Write the files and start the service; return the lines to print."""
    if dry_run:
        out = [f"--- would write {f.path} (mode {f.mode:04o})\n{f.shown.rstrip()}"
               for f in plan.files]
        out.append("--- would run")
        out.extend(_join(plan, step.alternatives[0]) for step in plan.install)
        out.append(f"--- interpreter: {plan.interpreter}")
        return out + list(plan.notes)
    out, manual = start(plan, run=run)
    return [*out, manual or plan.done, *plan.notes]


def start(plan: ServicePlan, *, run: Runner = subprocess.run) -> tuple[list[str], str | None]:
    """Write the files and start the service: the lines to print, and None when it started,
    else the line saying what the person must run to start it."""
    out = []
    for folder in plan.folders:
        folder.mkdir(parents=True, exist_ok=True)
    for f in plan.files:
        write_private(f.path, f.content, f.mode)
        out.append(f"wrote {f.path}")
    return out, _run_steps(plan, plan.install, run, out)


def uninstall(plan: ServicePlan, *, dry_run: bool = False,
              run: Runner = subprocess.run) -> list[str]:
    """Stop the service and remove every file install wrote; return the lines to print."""
    present = [f.path for f in plan.files if f.path.exists()]
    if dry_run:
        return ([f"would run: {_join(plan, step.alternatives[0])}" for step in plan.uninstall]
                + [f"would remove {path}" for path in present]
                + [f"would run: {_join(plan, s.alternatives[0])}" for s in plan.after_uninstall])
    out = [] if present else ["no files to remove: the login service is not installed"]
    _run_steps(plan, plan.uninstall, run, out)
    for path in present:
        path.unlink()
        out.append(f"removed {path}")
    _run_steps(plan, plan.after_uninstall, run, out)
    if plan.platform == "windows":
        out.append("a watcher started before keeps running until you sign out "
                   "(or end its pythonw.exe in Task Manager)")
    return out


def status(plan: ServicePlan, *, dry_run: bool = False,
           run: Runner = subprocess.run) -> list[str]:
    """Installed? Running? Where are the logs? As lines to print."""
    entry = plan.files[0].path
    if dry_run:
        where = f"{RUN_KEY}\\{RUN_VALUE}" if plan.platform == "windows" else str(entry)
        return [f"would look for {where}", f"would run: {_join(plan, plan.status)}",
                f"logs: {plan.logs}"]
    code, output = _call(run, plan.status)
    if plan.platform == "windows":
        installed = code == 0
        where = f"{RUN_KEY}\\{RUN_VALUE}"
        state = "unknown (look for pythonw.exe in Task Manager)"
    else:
        installed = entry.exists()
        where = str(entry)
        if code == 127:
            state = f"unknown ({output})"
        elif plan.platform == "linux":
            word = output.strip()  # active, inactive, failed…; else why systemctl cannot tell
            state = word if re.fullmatch(r"[a-z-]+", word) else f"unknown ({word})"
        else:
            match = re.search(r"^\s*state = (\S+)", output, re.M)
            state = match.group(1) if match else "not loaded"
    lines = [f"installed: {'yes, ' + where if installed else 'no'}", f"running: {state}"]
    if installed:
        lines += [f"environment: {plan.env_file}"
                  + ("" if plan.env_file.exists() else " (missing: install again)"),
                  f"logs: {plan.logs}"]
    return lines


def load_env_file(path: Path) -> dict[str, str]:
    """Read the service's environment file: `KEY=VALUE` lines as systemd's EnvironmentFile=
    reads them (bare, 'single-quoted' or "double-quoted" with \\ escapes; # and ; comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read environment file {path}: {exc}: run `ytvault service "
                          "install` again") from exc
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        parsed = _unquote(value) if sep and _NAME.fullmatch(name) else None
        if parsed is None:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE: fix the line or run "
                              "`ytvault service install` again")
        result[name] = parsed
    _warn_if_readable(path, result)
    return result


def _warn_if_readable(path: Path, values: Mapping[str, str]) -> None:
    """A file holding a key must be private: say so when others can read it."""
    if os.name != "posix" or not any(k.endswith(("_KEY", "_TOKEN")) for k in values):
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        logging.getLogger(__name__).warning(
            "%s holds an API key but others can read it (mode %o): run `chmod 600 %s`",
            path, mode, path)


def write_private(path: Path, data: bytes, mode: int) -> None:
    """Write atomically, with `mode` from the first byte on (the env file holds the key)."""
    from ytvault.vault.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, mode=mode)


def _absolute(path: str, home: Path) -> Path:
    # `home`, not $HOME: what is rendered for a test's temp home must stay inside it
    if path == "~" or path.startswith(("~/", "~\\")):
        return home / path[2:]
    return Path(path).absolute()


def _variables(env: Mapping[str, str], key_env: str, home: Path) -> list[tuple[str, str]]:
    if not _NAME.fullmatch(key_env):
        raise ConfigError(f"api_key_env {key_env!r} is not a variable name: fix it in config.toml")
    found: list[tuple[str, str]] = []
    for name in (key_env, *PASSED):
        value = env.get(name)
        if not value or name in dict(found):
            continue
        if name in PATHS:
            value = str(_absolute(value, home))
        if "\n" in value or "\r" in value or "\0" in value:
            raise ConfigError(f"{name} holds a line break: set it on one line and install again")
        found.append((name, value))
    return found


def _env_file(path: Path, variables: Iterable[tuple[str, str]]) -> ServiceFile:
    head = ("# Environment of the ytvault login service, readable by you only.\n"
            "# Written by `ytvault service install`; remove with `ytvault service uninstall`.\n")
    content = shown = head
    for name, value in variables:
        content += f"{name}={_env_quote(value)}\n"
        shown += f"{name}={value if name in SHOWN else HIDDEN}\n"
    return ServiceFile(path, content.encode(), 0o600, shown)


def _env_quote(value: str) -> str:
    if _BARE.fullmatch(value):
        return value
    return '"' + re.sub(r'(["\\`$])', r"\\\1", value) + '"'


def _unquote(value: str) -> str | None:
    if value[:1] == "'":
        return value[1:-1] if len(value) > 1 and value.endswith("'") else None
    if value[:1] == '"':
        body = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', value)
        # systemd keeps the backslash of an escape it does not know, as a shell does
        return re.sub(r'\\(["\\`$])', r"\1", body.group(1)) if body else None
    if value.endswith("\\") and not value.endswith("\\\\"):
        return None  # a continuation line: never written by install
    return re.sub(r"\\(.)", r"\1", value)


def _systemd_escape(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise ConfigError(f"{text!r} holds a line break: a service cannot run it; rename it")
    return text.replace("%", "%%")  # specifiers are expanded in every unit setting


def _systemd_quote(arg: str) -> str:
    escaped = _systemd_escape(arg).replace("$", "$$")
    if arg and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _join(plan: ServicePlan, argv: Sequence[str]) -> str:
    return subprocess.list2cmdline(argv) if plan.platform == "windows" else shlex.join(argv)


def _call(run: Runner, argv: Sequence[str]) -> tuple[int, str]:
    """(exit code, output or error text); 127 when the program is not there, as in a shell."""
    try:
        done = run(list(argv), capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        return 127, f"{argv[0]} not found"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 124, str(exc)
    text = (done.stdout or "") + (done.stderr or "")
    return done.returncode, text


def _run_steps(plan: ServicePlan, steps: Sequence[Step], run: Runner,
               out: list[str]) -> str | None:
    """Run `steps` in order; None when done, else the line saying what the person must run."""
    for index, step in enumerate(steps):
        code, text = 0, ""
        for argv in step.alternatives:
            code, text = _call(run, argv)
            if code == 0:
                out.append(f"ran: {_join(plan, argv)}")
                break
        if code == 0 or step.kind == "try":
            continue
        why = (text.strip().splitlines() or [f"exit code {code}"])[-1]
        rest = " && ".join(_join(plan, s.alternatives[0]) for s in steps[index:])
        if step.kind == "probe" or code == 127:
            return (f"wrote the files, but `{_join(plan, step.alternatives[0])}` failed "
                    f"({why}): run `{rest}` in your login session")
        raise YtvaultError(f"`{_join(plan, step.alternatives[-1])}` failed ({why}): "
                           f"fix that, then run `{rest}`")
    return None
