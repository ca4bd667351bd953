"""paths.py: ytvault's per-user folders are platformdirs' own, without importing it."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from ytvault.config.paths import XDG, user_dir

PLATFORMDIRS = {"config": platformdirs.user_config_dir, "cache": platformdirs.user_cache_dir,
                "state": platformdirs.user_state_dir, "log": platformdirs.user_log_dir}


@pytest.mark.parametrize("xdg", ["absolute", "relative", "empty", "unset"])
@pytest.mark.parametrize("kind", sorted(PLATFORMDIRS))
def test_each_folder_is_where_platformdirs_puts_it(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path, kind: str, xdg: str) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var, _ in XDG.values():
        if xdg == "unset":
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, {"absolute": str(tmp_path / var.lower()),
                                     "relative": "relative/dir", "empty": ""}[xdg])
    expected = Path(PLATFORMDIRS[kind]("ytvault", appauthor=False))
    assert user_dir(kind) == expected
    assert expected.is_absolute()


def test_the_xdg_variable_moves_the_folder(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("sys.platform", "linux")
    assert user_dir("state") == tmp_path / "state" / "ytvault"
    assert user_dir("log") == tmp_path / "state" / "ytvault" / "log"
