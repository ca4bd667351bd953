"""The per-user folders ytvault keeps its config, cache, state and logs in: platformdirs' answer,
worked out here for the XDG Base Directory layout of Linux.

Every start needs one of them (the config file's place; the state dir for `status` and the
scan's memory), and importing platformdirs costs ~8 ms there, most of a bare interpreter's
start (it brings tempfile, shutil, random). The XDG rules are few and fixed by the spec:
`$XDG_<KIND>_HOME` when it is an absolute path, else its default under the home folder.
Elsewhere (macOS, Windows, Android, a home that is not absolute) platformdirs answers;
tests/test_config.py checks that both give the same folders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "ytvault"
# kind → (the XDG variable, its default under $HOME)
XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "state": ("XDG_STATE_HOME", ".local/state"),
}


def user_dir(kind: str) -> Path:
    """ytvault's per-user folder of `kind`: config, cache, state or log."""
    home = os.environ.get("HOME", "")
    if (sys.platform.startswith("linux") and os.path.isabs(home)
            and "ANDROID_DATA" not in os.environ):
        var, default = XDG["state" if kind == "log" else kind]
        base = os.environ.get(var, "")
        folder = Path(base if os.path.isabs(base) else os.path.join(home, default), APP)
        return folder / "log" if kind == "log" else folder
    import platformdirs

    found = {"config": platformdirs.user_config_dir, "cache": platformdirs.user_cache_dir,
             "state": platformdirs.user_state_dir, "log": platformdirs.user_log_dir}[kind]
    return Path(found(APP, appauthor=False))
