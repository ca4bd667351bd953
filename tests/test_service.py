"""The login service: each platform's entry rendered into a temp home and parsed back, the key
kept out of everything but the 0600 env file, and install/uninstall/status against a recorder
that stands in for systemctl, launchctl and reg."""

from __future__ import annotations

import configparser
import os
import plistlib
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from ytvault.daemon import service
from ytvault.daemon.service import ServicePlan, load_env_file, render
from ytvault.errors import ConfigError, YtvaultError

KEY = "sk-ant-api03-SECRET-do-not-leak-0123456789"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


class Recorder:
    """Stands in for subprocess.run: records each argv, answers from a script of prefixes."""

    def __init__(self, answers: dict[tuple[str, ...], int | str | type[OSError]] | None = None):
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs.get("check") is False and kwargs.get("capture_output") is True
        self.calls.append(list(argv))
        answer: int | str | type[OSError] = 0
        for prefix, value in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                answer = value
        if isinstance(answer, type):
            raise answer(2, "No such file or directory", argv[0])
        if isinstance(answer, str):
            return subprocess.CompletedProcess(list(argv), 0, answer, "")
        return subprocess.CompletedProcess(list(argv), answer, "", f"{argv[0]}: failed {answer}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home dir"  # a space, as on many Macs and Windows machines
    path.mkdir()
    return path


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    path = tmp_path / "My Vault"
    (path / ".obsidian").mkdir(parents=True)
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # so a stray read of os.environ shows up too
    return {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "https://gateway.example/anthropic",
            "YTVAULT_CONFIG": str(tmp_path / "conf dir" / "config.toml"), "PATH": "/usr/bin"}


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_dir()}


def everything_but_env_file(plan: ServicePlan) -> str:
    """Every byte of the plan that is not the env file: where the key must never be."""
    parts = [f.content.decode() + f.shown for f in plan.files[:-1]]
    parts.append(plan.files[-1].shown)
    steps = [*plan.install, *plan.uninstall, *plan.after_uninstall]
    parts += [" ".join(argv) for step in steps for argv in step.alternatives]
    parts += [*plan.command, *plan.status, *plan.notes, plan.done, plan.logs]
    return "\n".join(parts)


def unit_of(plan: ServicePlan) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(plan.files[0].content.decode())
    return parser


def exec_start(unit: configparser.ConfigParser) -> list[str]:
    # systemd expands a lone % (specifier) or $ (variable); %% and $$ are the literal ones,
    # and the rest is quoted as in a shell.
    line = unit["Service"]["ExecStart"]
    assert not re.search(r"[%$]", re.sub(r"%%|\$\$", "", line)), line
    return shlex.split(line.replace("%%", "%").replace("$$", "$"))


# --- Linux -------------------------------------------------------------------------------------

@pytest.mark.unit
def test_linux_unit(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    unit_path, env_path = (f.path for f in plan.files)
    assert unit_path == home / ".config/systemd/user/ytvault.service"
    assert env_path == home / ".config/ytvault/service.env"
    unit = unit_of(plan)
    argv = exec_start(unit)
    assert argv == [sys.executable, "-m", "ytvault", "watch", str(vault)]
    assert Path(argv[0]).is_absolute()
    assert unit["Service"]["EnvironmentFile"] == str(env_path)
    assert unit["Service"]["Restart"] == "on-failure"
    # a config error (2) or another watcher holding the vault (1): restarting mends neither
    assert unit["Service"]["RestartPreventExitStatus"] == "1 2"
    assert int(unit["Service"]["RestartSec"]) > 0
    assert unit["Install"]["WantedBy"] == "default.target"
    assert not any(k.startswith("Environment") and "API_KEY" in v
                   for k, v in unit["Service"].items())
    assert KEY not in everything_but_env_file(plan)
    assert [s.alternatives[0] for s in plan.install] == [
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "enable", "ytvault.service"),
        ("systemctl", "--user", "restart", "ytvault.service")]


@pytest.mark.unit
def test_linux_respects_xdg_config_home(home: Path, vault: Path, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    plan = render("linux", vault, home=home, env={"XDG_CONFIG_HOME": str(xdg)})
    assert [f.path for f in plan.files] == [xdg / "systemd/user/ytvault.service",
                                             xdg / "ytvault/service.env"]


@pytest.mark.unit
def test_linux_quotes_awkward_vault_paths(home: Path, tmp_path: Path) -> None:
    vault = tmp_path / 'Notes "2024" 100% $HOME \\ x'
    vault.mkdir()
    plan = render("linux", vault, home=home, env={})
    assert exec_start(unit_of(plan))[-1] == str(vault)


def test_systemd_analyze_accepts_the_unit(home: Path, vault: Path, env: dict[str, str],
                                          tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    plan = render("linux", vault, home=home, env=env)
    unit = plan.files[0].path
    service.install(plan, run=Recorder())
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    check_env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
                 "SYSTEMD_LOG_LEVEL": "warning"}
    result = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=check_env,
                            capture_output=True, text=True, timeout=60)
    if "Failed to initialize manager" in result.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    assert "ytvault.service" not in result.stderr, result.stderr
    # and it would notice a broken one: the check is not a no-op
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    broken = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=check_env,
                            capture_output=True, text=True, timeout=60)
    assert "sometimes" in broken.stderr


# --- macOS -------------------------------------------------------------------------------------

@pytest.mark.unit
def test_macos_plist(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("macos", vault, home=home, env=env)
    plist_path, env_path = (f.path for f in plan.files)
    assert plist_path == home / "Library/LaunchAgents/io.github.ytvault.plist"
    assert env_path == home / "Library/Application Support/ytvault/service.env"
    agent = plistlib.loads(plan.files[0].content)
    assert agent["Label"] == "io.github.ytvault"
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    args = agent["ProgramArguments"]
    assert Path(args[0]).is_absolute() and args[0] == sys.executable
    assert args[1:] == ["-m", "ytvault", "watch", "--env-file", str(env_path), "--launchd",
                        str(vault)]
    for key in ("StandardOutPath", "StandardErrorPath"):
        assert Path(agent[key]).parent == home / "Library/Logs/ytvault"
    assert home / "Library/Logs/ytvault" in plan.folders
    assert KEY not in plan.files[0].content.decode()
    assert all(KEY not in v for v in agent.get("EnvironmentVariables", {}).values())
    assert KEY not in everything_but_env_file(plan)
    assert any("Full Disk Access" in note and os.path.realpath(sys.executable) in note
               for note in plan.notes)


@pytest.mark.unit
def test_macos_install_falls_back_to_load(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("macos", vault, home=home, env=env)
    run = Recorder({("launchctl", "bootout"): 5, ("launchctl", "bootstrap"): 5})
    lines = service.install(plan, run=run)
    assert [c[:2] for c in run.calls] == [["launchctl", "bootout"], ["launchctl", "bootstrap"],
                                          ["launchctl", "load"]]
    assert run.calls[-1] == ["launchctl", "load", "-w", str(plan.files[0].path)]
    assert (home / "Library/Logs/ytvault").is_dir()
    assert lines[-len(plan.notes) - 1] == plan.done


@pytest.mark.unit
def test_macos_status_reads_launchctl_print(home: Path, vault: Path,
                                            env: dict[str, str]) -> None:
    plan = render("macos", vault, home=home, env=env)
    service.install(plan, run=Recorder())
    printed = "gui/501/io.github.ytvault = {\n\tactive count = 1\n\tstate = running\n}\n"
    lines = service.status(plan, run=Recorder({("launchctl", "print"): printed}))
    assert lines[:2] == [f"installed: yes, {plan.files[0].path}", "running: running"]
    assert service.status(plan, run=Recorder({("launchctl",): 113}))[1] == "running: not loaded"


# --- Windows -----------------------------------------------------------------------------------

@pytest.mark.unit
def test_windows_run_entry(home: Path, vault: Path, env: dict[str, str], tmp_path: Path) -> None:
    local = tmp_path / "Local AppData"
    plan = render("windows", vault, home=home,
                  env={**env, "LOCALAPPDATA": str(local), "USERNAME": "ada"})
    assert [f.path for f in plan.files] == [local / "ytvault/service.env"]
    assert plan.command[0] == str(Path(sys.executable).with_name("pythonw.exe"))
    assert plan.command[1:] == ("-m", "ytvault", "watch", "--env-file",
                                str(local / "ytvault/service.env"), str(vault))
    reg = plan.install[-1].alternatives[0]
    assert reg[:6] == ("reg", "add", service.RUN_KEY, "/v", "ytvault", "/t")
    assert reg[reg.index("/d") + 1] == subprocess.list2cmdline(plan.command)
    assert plan.install[0].alternatives[0][0] == "icacls"  # the env file's owner-only ACL
    assert KEY not in everything_but_env_file(plan)
    run = Recorder()
    service.install(plan, run=run)
    assert [c[0] for c in run.calls] == ["icacls", "reg"]
    lines = service.status(plan, run=Recorder())
    assert lines[0] == f"installed: yes, {service.RUN_KEY}\\ytvault"
    assert str(local / "ytvault/Logs/ytvault.log") in lines[-1]
    assert "Task Manager" in service.uninstall(plan, run=run)[-1]  # the Run key stops nothing
    assert run.calls[-1] == ["reg", "delete", service.RUN_KEY, "/v", "ytvault", "/f"]
    assert not files_under(tmp_path / "Local AppData")
    assert service.status(plan, run=Recorder({("reg",): 1}))[0] == "installed: no"


# --- the env file ------------------------------------------------------------------------------

@pytest.mark.unit
@posix_only
def test_env_file_is_private_and_holds_the_key(home: Path, vault: Path,
                                               env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    env_path = plan.env_file
    env_path.parent.mkdir(parents=True)
    env_path.write_text("stale\n")
    env_path.chmod(0o644)  # a reinstall must not keep a laxer mode
    for umask in (0o022, 0o277):
        old = os.umask(umask)
        try:
            service.install(plan, run=Recorder())
        finally:
            os.umask(old)
        assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    assert load_env_file(env_path) == {
        "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": env["ANTHROPIC_BASE_URL"],
        "YTVAULT_CONFIG": env["YTVAULT_CONFIG"]}
    assert KEY not in plan.files[0].path.read_text()
    assert [p.name for p in env_path.parent.iterdir()] == ["service.env"]  # no temp left


@pytest.mark.unit
def test_env_file_round_trips_awkward_values(home: Path, vault: Path) -> None:
    awkward = {"ANTHROPIC_API_KEY": "k'e\"y $HOME `x` \\ # ;", "HTTPS_PROXY": "http://u:p@h:1"}
    plan = render("macos", vault, home=home, env=awkward)
    service.install(plan, run=Recorder())
    assert load_env_file(plan.env_file) == awkward


@pytest.mark.unit
def test_load_env_file_reads_systemd_forms(tmp_path: Path) -> None:
    path = tmp_path / "service.env"
    path.write_text("# comment\n; another\n\nA=plain\n B = spaced  \nC='single $x \\n'\n"
                    'D="double \\"q\\" \\\\ \\$ \\n"\nE=\n')
    assert load_env_file(path) == {"A": "plain", "B": "spaced", "C": "single $x \\n",
                                   "D": 'double "q" \\ $ \\n', "E": ""}
    path.write_text("A=1\nexport B=2\n")
    with pytest.raises(ConfigError, match=r"service.env:2: expected KEY=VALUE"):
        load_env_file(path)
    with pytest.raises(ConfigError, match="service install"):
        load_env_file(tmp_path / "missing.env")


@pytest.mark.unit
def test_paths_are_made_absolute_against_home(home: Path, vault: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(vault)
    plan = render("linux", Path("."), home=home,
                  env={"YTVAULT_CONFIG": "~/cfg.toml", "YTVAULT_CACHE_DIR": "cache"})
    assert plan.command[-1] == str(vault)
    assert load_env_file_text(plan) == {"YTVAULT_CONFIG": str(home / "cfg.toml"),
                                        "YTVAULT_CACHE_DIR": str(vault / "cache")}


def load_env_file_text(plan: ServicePlan) -> dict[str, str]:
    path = plan.env_file.with_name("check.env")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plan.files[-1].content)
    return load_env_file(path)


@pytest.mark.unit
def test_no_key_still_installs_and_says_so(home: Path, vault: Path) -> None:
    plan = render("linux", vault, home=home, env={})
    assert "ANTHROPIC_API_KEY" not in plan.files[-1].content.decode().split("\n", 2)[-1]
    assert any("ANTHROPIC_API_KEY is not set" in note for note in plan.notes)
    custom = render("linux", vault, home=home, env={"MY_KEY": KEY}, key_env="MY_KEY")
    assert f"MY_KEY={KEY}" in custom.files[-1].content.decode()
    with pytest.raises(ConfigError, match="api_key_env"):
        render("linux", vault, home=home, env={}, key_env="NOT A NAME")


# --- install, uninstall, status ----------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("platform", service.PLATFORMS)
def test_uninstall_removes_exactly_what_install_wrote(platform: str, home: Path, vault: Path,
                                                      env: dict[str, str]) -> None:
    (home / ".config/ytvault").mkdir(parents=True)
    (home / ".config/ytvault/config.toml").write_text("")  # the person's: must stay
    before = files_under(home)
    plan = render(platform, vault, home=home, env=env)
    run = Recorder()
    lines = service.install(plan, run=run)
    assert files_under(home) - before == {f.path for f in plan.files}
    assert [c for c in run.calls] == [list(s.alternatives[0]) for s in plan.install]
    assert KEY not in "\n".join(lines)
    run.calls.clear()
    lines = service.uninstall(plan, run=run)
    assert files_under(home) == before
    assert run.calls == [list(s.alternatives[0])
                         for s in (*plan.uninstall, *plan.after_uninstall)]
    assert all(f"removed {f.path}" in lines for f in plan.files)
    assert "not installed" in service.uninstall(plan, run=Recorder())[0]


@pytest.mark.unit
def test_linux_install_without_a_user_manager(home: Path, vault: Path,
                                              env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    for answer in (FileNotFoundError, 1):
        run = Recorder({("systemctl",): answer})
        lines = service.install(plan, run=run)
        assert len(run.calls) == 1  # nothing after the failed daemon-reload
        assert all(f.path.exists() for f in plan.files)
        manual = [ln for ln in lines if "daemon-reload &&" in ln]
        assert len(manual) == 1 and "enable ytvault.service" in manual[0]
        assert plan.done not in lines


@pytest.mark.unit
def test_linux_install_failure_is_an_error(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    with pytest.raises(YtvaultError, match=r"`systemctl --user enable ytvault.service` failed"):
        service.install(plan, run=Recorder({("systemctl", "--user", "enable"): 1}))


@pytest.mark.unit
def test_linux_status(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    assert service.status(plan, run=Recorder({("systemctl",): "inactive\n"}))[0] == "installed: no"
    service.install(plan, run=Recorder())
    run = Recorder({("systemctl", "--user", "is-active"): "active\n"})
    lines = service.status(plan, run=run)
    assert run.calls == [["systemctl", "--user", "is-active", "ytvault.service"]]
    assert lines[:2] == [f"installed: yes, {plan.files[0].path}", "running: active"]
    assert any("journalctl --user -u ytvault.service" in ln for ln in lines)
    # journald gets only warnings: the status names the watcher's own log too
    log_file = home / ".local/state/ytvault/log/ytvault.log"
    assert any(ln.startswith("logs: ") and str(log_file) in ln for ln in lines)
    missing = service.status(plan, run=Recorder({("systemctl",): FileNotFoundError}))
    assert missing[1].startswith("running: unknown")


@pytest.mark.unit
@pytest.mark.parametrize("platform", service.PLATFORMS)
def test_dry_run_writes_and_runs_nothing(platform: str, home: Path, vault: Path,
                                         env: dict[str, str]) -> None:
    plan = render(platform, vault, home=home, env=env)
    run = Recorder()
    out = "\n".join(service.install(plan, dry_run=True, run=run))
    assert not files_under(home) and not run.calls
    assert KEY not in out
    assert "ANTHROPIC_API_KEY=<set, not shown>" in out
    assert f"ANTHROPIC_BASE_URL={env['ANTHROPIC_BASE_URL']}" in out
    for f in plan.files:
        assert str(f.path) in out
    assert shlex.join(plan.install[-1].alternatives[0]) in out or platform == "windows"
    service.install(plan, run=run)
    run.calls.clear()
    out = "\n".join(service.uninstall(plan, dry_run=True, run=run))
    assert all(f.path.exists() and f"would remove {f.path}" in out for f in plan.files)
    assert not run.calls


@pytest.mark.unit
def test_unknown_platform(home: Path, vault: Path) -> None:
    with pytest.raises(ConfigError, match="linux, macos, windows"):
        render("beos", vault, home=home, env={})


# --- the command -------------------------------------------------------------------------------

CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> CliRun:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("ANTHROPIC_", "YTVAULT_", "XDG_"))}

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ytvault", *args],
                              env={**base, "HOME": str(home), **extra},
                              capture_output=True, text=True, timeout=60)

    return run


def test_cli_dry_run_prints_the_unit(cli: CliRun, home: Path, vault: Path,
                                     tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    result = cli("--config", str(config), "service", "install", "--dry-run", "--platform",
                 "linux", str(vault), ANTHROPIC_API_KEY=KEY)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[Service]" in out and "WantedBy=default.target" in out
    assert f'ExecStart={sys.executable} -m ytvault watch "{vault}"' in out
    assert f"YTVAULT_CONFIG={config}" in out  # the service reads the config this install read
    assert "ANTHROPIC_API_KEY=<set, not shown>" in out
    assert KEY not in out + result.stderr
    assert not files_under(home)


def test_cli_plist_dry_run_and_refusals(cli: CliRun, home: Path, vault: Path) -> None:
    result = cli("service", "install", "--dry-run", "--platform", "macos", str(vault))
    assert result.returncode == 0, result.stderr
    assert "<key>RunAtLoad</key>" in result.stdout and "ANTHROPIC_API_KEY is not set" in (
        result.stdout)
    other = "windows" if sys.platform != "win32" else "linux"
    refused = cli("service", "install", "--platform", other, str(vault))
    assert refused.returncode == 2 and "--dry-run" in refused.stderr
    no_vault = cli("service", "install", "--dry-run")
    assert no_vault.returncode == 2 and "pass VAULT" in no_vault.stderr
    assert not files_under(home)


@pytest.mark.unit
def test_env_file_readable_by_others_is_warned_about(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    from ytvault.daemon.service import load_env_file

    env = tmp_path / "service.env"
    env.write_text("ANTHROPIC_API_KEY=sk-test\n")
    env.chmod(0o600)
    assert load_env_file(env) == {"ANTHROPIC_API_KEY": "sk-test"}
    assert "others can read it" not in caplog.text
    env.chmod(0o644)
    load_env_file(env)
    assert "others can read it" in caplog.text and "chmod 600" in caplog.text
    assert "sk-test" not in caplog.text


@pytest.mark.unit
def test_status_dry_run_runs_nothing(home: Path, vault: Path, env: dict[str, str]) -> None:
    plan = render("linux", vault, home=home, env=env)
    run = Recorder()
    lines = service.status(plan, dry_run=True, run=run)
    assert not run.calls
    assert "would run: systemctl --user is-active ytvault.service" in lines


def test_cli_service_status_honours_dry_run_and_platform(cli: CliRun, home: Path,
                                                         tmp_path: Path) -> None:
    """`service status --dry-run` prints what it would run, and runs none of it; without
    --dry-run, another platform's status is refused, naming what was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ran = tmp_path / "ran"
    for tool in ("systemctl", "launchctl", "reg"):
        fake = bin_dir / tool
        fake.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {ran}\necho active\n")
        fake.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    for platform in service.PLATFORMS:
        result = cli("service", "status", "--dry-run", "--platform", platform, PATH=path)
        assert result.returncode == 0, result.stderr
        assert "would run: " in result.stdout and "logs: " in result.stdout
    assert not ran.exists()
    other = "windows" if sys.platform != "win32" else "linux"
    for action, said in (("status", "checked"), ("uninstall", "uninstalled")):
        refused = cli("service", action, "--platform", other, PATH=path)
        assert refused.returncode == 2
        assert f"cannot be {said} here" in refused.stderr and "--dry-run" in refused.stderr
    assert not ran.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="runs the Linux install with a fake systemctl")
def test_cli_install_exits_1_when_the_service_did_not_start(cli: CliRun, home: Path,
                                                          vault: Path, tmp_path: Path) -> None:
    """No user manager (an SSH session, a container): the files are written, the watcher is not
    running, and the person is told what to run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n")
    fake.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    result = cli("service", "install", str(vault), PATH=path)
    assert result.returncode == 1
    said = result.stderr.splitlines()
    assert len(said) == 1 and said[0].startswith("ytvault: the login service is not running: ")
    assert "systemctl --user daemon-reload && systemctl --user enable" in said[0]
    assert "No medium found" in said[0] and "runs now" not in result.stdout
    assert (home / ".config/systemd/user/ytvault.service").is_file()
    fake.write_text("#!/bin/sh\necho active\n")  # a user manager that answers
    started = cli("service", "install", str(vault), PATH=path)
    assert started.returncode == 0, started.stderr
    assert "runs now" in started.stdout
